// Package featurize turns ingested Documents into preference Pairs. Ingest queues one job per
// complete bucket of a dump; a worker reads that bucket back from the RAW stream, groups its
// documents by thread, applies the source's pairing recipe to each thread and publishes the
// pairs, with deterministic message ids and a progress mark, so a job that is retried after a
// crash neither loses nor repeats a pair. One subpackage per source holds its recipe as a pure
// function over one thread.
package featurize
