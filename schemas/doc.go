// Package schemas holds the records that flow between prefstream's stages: one Go type per
// record, its Arrow schema (the wire format on JetStream) and its Parquet layout (the lake),
// side by side and versioned. It imports nothing else of prefstream.
package schemas
