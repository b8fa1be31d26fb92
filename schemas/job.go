package schemas

import "fmt"

// JobSchema is the version of the Job record (JSON on the wire: jobs are few and small).
const JobSchema = "job/v1"

// Job asks featurize to group one complete bucket of one dump: the batches numbered 0..Batches-1
// stored on Subject between stream sequences FirstSeq and LastSeq.
type Job struct {
	Source   string `json:"source"`
	Dump     string `json:"dump"`
	Bucket   int    `json:"bucket"`
	Subject  string `json:"subject"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	Batches  int    `json:"batches"`
}

// ID names the job for deduplication and progress keys.
func (j Job) ID() string { return fmt.Sprintf("%s/%s/%d", j.Source, j.Dump, j.Bucket) }
