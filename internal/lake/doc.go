// Package lake is prefstream's Parquet data lake, written exactly once with respect to JetStream
// stream sequences.
//
// Layout:
//
//	ROOT/<dataset>/<partition>/part-<first seq, 20 digits>-<last seq, 20 digits>.parquet
//	ROOT/<dataset>/<partition>/_manifest.jsonl
//
// A Writer streams the rows of each message into a temp file (.part-*.tmp) as they arrive, one
// row group at a time. Commit closes and fsyncs it, renames it to its final name, fsyncs the
// directory, then appends its manifest line (file, size, sha256 and the exact sequence ranges it
// holds) and fsyncs the manifest. A part exists only once its manifest line is durable; readers go
// by the manifest alone. The caller acknowledges messages only after Commit returns, so whatever a
// crash leaves uncommitted is redelivered, and Committed tells which redeliveries to skip.
package lake
