package schemas

// JobSchema is the version of the Job record (JSON on the wire: jobs are few and small).
const JobSchema = "job/v2"

// Job asks featurize to pair one completely ingested dump: the batches stored on the subjects
// matching Subjects (one subject per bucket, the bucket number last) between stream sequences
// FirstSeq and LastSeq, Batches[k] of them in bucket k.
type Job struct {
	Source   string `json:"source"`
	Dump     string `json:"dump"`
	Subjects string `json:"subjects"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	Batches  []int  `json:"batches"`
}

// ID names the job for deduplication and progress keys.
func (j Job) ID() string { return j.Source + "/" + j.Dump }
