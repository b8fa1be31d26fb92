package bus

import (
	"context"
	"testing"
	"time"
)

// TestDeadLettersOutlastServerRestart asks for the dead letters while the server is down for
// longer than one request's timeout, as a client of a cluster is while its node is replaced or
// the DLQ stream's leader is elected: each request must be asked again until it is answered.
func TestDeadLettersOutlastServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := startRestartable(t)
	b := srv.connect(ctx)
	subject := DeadLetterSubject("featurize", "jobs")
	for _, id := range []string{"a", "b"} {
		if err := DeadLetter(ctx, b.JS, subject, id, []byte(id), nil, "broken "+id, "test:"+id); err != nil {
			t.Fatal(err)
		}
	}

	outage := func() { srv.outage(6 * time.Second) } // more than the 5 s of one request

	outage()
	counts, err := DeadLetterCounts(ctx, b.JS, AllDeadLetters)
	if err != nil || counts[subject] != 2 {
		t.Fatalf("counts during an outage: %v, %v; want 2 on %s", counts, err, subject)
	}

	outage()
	var seqs []uint64
	err = ReadDeadLetters(ctx, b.JS, subject, 0, func(d Dead) error {
		seqs = append(seqs, d.Seq)
		return nil
	})
	if err != nil || len(seqs) != 2 {
		t.Fatalf("read during an outage: %v, %v; want two dead letters", seqs, err)
	}

	outage()
	if err := DeleteDeadLetter(ctx, b.JS, seqs[0]); err != nil {
		t.Fatalf("delete during an outage: %v", err)
	}
	if counts, err := DeadLetterCounts(ctx, b.JS, AllDeadLetters); err != nil || counts[subject] != 1 {
		t.Fatalf("after the delete: %v, %v; want 1", counts, err)
	}
}
