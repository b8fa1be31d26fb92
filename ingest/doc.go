// Package ingest streams dumps into JetStream: each source reader (one subpackage per source)
// turns its files into schemas.Documents and hands them to a Batcher, which partitions them by
// thread into buckets, publishes Arrow batches with deterministic ids, checkpoints its position,
// and, once a dump is read, queues one grouping job per bucket for featurize.
package ingest
