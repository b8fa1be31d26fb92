// Package prompts ingests prompts for rollout workers into the PROMPTS stream, from prompt files
// (Ingest) or from the pairs in the Parquet lake (FromLake).
//
// Files hold one prompt per line: JSONL objects {"prompt": "..."} or {"text": "..."} with an
// optional "id", or plain text lines (FormatAuto tells them apart by the first non-blank line),
// plain, gzip or zstd. Each valid line becomes one schemas.Prompt (id: the given one, or a hash
// of source and text), published in Arrow batches of up to 64 rows (BatchRows) or 1 MiB to
// prompts.<source> with ids prompts/<source>/<file identity>/<batch>. A line that is not a prompt
// (bad JSON, no or an empty prompt, a bad id, invalid UTF-8, too long) goes to dlq.ingest.prompts
// with the reason and its file, byte offset and line number; the lines around it go through.
//
// Like the rankings ingest, whose line reader it uses, it has a small batcher of its own rather
// than ingest.Batcher (which carries schemas.Document into buckets and grouping jobs, none of
// which prompts need), and shares the rest: bus.Publisher, the checkpoints bucket (one key per
// source and input content, with the resume position, the next batch number and the counts,
// stored after the publisher has flushed, every 32 MiB of input), and the dead-letter format of
// the other ingests (a schemas.Document holding the line).
package prompts
