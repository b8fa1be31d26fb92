// Package rankings ingests human rankings into the RANKINGS stream: JSONL files of rankings of
// k responses (FormatJSONL) and Anthropic HH-RLHF comparisons (FormatHH), plain, gzip or zstd.
//
// Each valid line becomes one schemas.Ranking (k responses ordered best first, which imply
// k(k-1)/2 preference pairs), published in Arrow batches of up to 1000 rows or 1 MiB to
// rankings.<source> with ids rankings/<source>/<file identity>/<batch>. A line that is not a
// valid ranking (bad JSON, an order that is not a permutation of the responses, an empty or
// duplicated response, HH-RLHF transcripts that diverge before their last assistant turn) goes to
// dlq.ingest.rankings with the reason and its file, byte offset and line number; the good lines
// around it go through.
//
// The rankings ingest has its own small batcher rather than ingest.Batcher: rankings need no
// buckets or grouping jobs (each line is a complete record), and ingest.Batcher and ingest.Copy
// carry schemas.Document. It shares the rest: bus.Publisher, the checkpoints bucket (one key per
// source and file content, with the resume offset and line, the next batch number and the
// counts, stored after the publisher has flushed, every 32 MiB of input), and the dead-letter
// format of the other ingests (a schemas.Document holding the line).
package rankings
