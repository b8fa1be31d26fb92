package schemas

// Message headers every prefstream message may carry.
const (
	// HeaderSchema names the schema version of the message body, e.g. "pair/v1".
	HeaderSchema = "Prefstream-Schema"
	// HeaderRows is the number of records in a batch.
	HeaderRows = "Prefstream-Rows"
	// HeaderDump identifies the input dump a batch came from.
	HeaderDump = "Prefstream-Dump"
	// HeaderBatch is the batch number within its (dump, subject) sequence.
	HeaderBatch = "Prefstream-Batch"
	// HeaderReason explains why a message was dead-lettered.
	HeaderReason = "Prefstream-Reason"
	// HeaderOrigin names the file and byte offset, or the subject and sequence, a dead letter came from.
	HeaderOrigin = "Prefstream-Origin"
)
