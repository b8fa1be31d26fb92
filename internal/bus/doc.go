// Package bus is prefstream's JetStream plumbing: the embedded server, connecting to a real one,
// the streams, consumers and buckets (defined once, in topology.go), a batching publisher with
// deterministic message ids, a consumer loop with back-off and dead letters, and JSON checkpoints
// in a KV bucket. It knows nothing of any stage.
package bus
