package rollout

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prefstream/prefstream/trainer"
)

func TestOptionsDefaultsAndErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string // part of the error; empty: valid
	}{
		{name: "defaults", o: Options{Run: "r1"}},
		{name: "no run", o: Options{}, want: "empty run name"},
		{name: "run with a dot", o: Options{Run: "a.b"}, want: "run name"},
		{name: "long worker", o: Options{Run: "r", Worker: strings.Repeat("w", 129)}, want: "worker name of 129 bytes"},
		{name: "negative batch", o: Options{Run: "r", Batch: -1}, want: "batch -1"},
		{name: "negative temperature", o: Options{Run: "r", Sampling: trainer.Sampling{Temperature: -1}}, want: "temperature"},
		{name: "NaN temperature", o: Options{Run: "r", Sampling: trainer.Sampling{Temperature: math.NaN()}}, want: "temperature"},
		{name: "top-p above 1", o: Options{Run: "r", Sampling: trainer.Sampling{TopP: 1.5}}, want: "top-p"},
		{name: "negative max new", o: Options{Run: "r", Sampling: trainer.Sampling{MaxNew: -3}}, want: "max new tokens"},
		{name: "short ack wait", o: Options{Run: "r", AckWait: time.Millisecond}, want: "ack wait"},
		{name: "max deliver too big", o: Options{Run: "r", MaxDeliver: 101}, want: "max deliver"},
		{name: "negative idle", o: Options{Run: "r", UntilIdle: -time.Second}, want: "until-idle"},
		{name: "prompts outside PROMPTS", o: Options{Run: "r", Prompts: "pairs.>"}, want: "want prompts.>"},
		{name: "prompts bare", o: Options{Run: "r", Prompts: "prompts"}, want: "want prompts.>"},
		{name: "prompts inner >", o: Options{Run: "r", Prompts: "prompts.>.x"}, want: "last token"},
		{name: "prompts empty token", o: Options{Run: "r", Prompts: "prompts..x"}, want: "empty token"},
		{name: "prompts bad wildcard", o: Options{Run: "r", Prompts: "prompts.a*"}, want: "not a subject token"},
		{name: "prompts space", o: Options{Run: "r", Prompts: "prompts.a b"}, want: "not a subject token"},
		{name: "prompts one set", o: Options{Run: "r", Prompts: "prompts.lake"}},
		{name: "prompts wildcard", o: Options{Run: "r", Prompts: "prompts.*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			err := o.Check()
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Worker == "" || o.Batch < 1 || o.Sampling.Temperature <= 0 || o.Sampling.TopP <= 0 || o.Sampling.MaxNew < 1 ||
				o.AckWait < time.Second || o.MaxDeliver < 1 || o.MaxAckPending < 1 || o.Prompts == "" || o.Log == nil {
				t.Fatalf("defaults not filled in: %+v", o)
			}
		})
	}
}

func TestTrajectorySeq(t *testing.T) {
	tests := []struct {
		streamSeq, delivery uint64
		row                 int
		wantDelivery        uint64
		err                 string
	}{
		{streamSeq: 1, delivery: 1, row: 0, wantDelivery: 1},
		{streamSeq: 12345, delivery: 5, row: 999, wantDelivery: 5},
		{streamSeq: 1<<36 - 1, delivery: 127, row: MaxPromptRows - 1, wantDelivery: 127},
		{streamSeq: 7, delivery: 1000, row: 3, wantDelivery: 127},
		{streamSeq: 1 << 36, delivery: 1, row: 0, err: "does not fit"},
		{streamSeq: 1, delivery: 1, row: MaxPromptRows, err: "outside"},
		{streamSeq: 1, delivery: 1, row: -1, err: "outside"},
	}
	for _, tc := range tests {
		seq, err := TrajectorySeq(tc.streamSeq, tc.delivery, tc.row)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: got %v, want %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || seq < 0 {
			t.Fatalf("%+v: %d, %v", tc, seq, err)
		}
		s, d, r := SplitTrajectorySeq(seq)
		if s != tc.streamSeq || d != tc.wantDelivery || r != tc.row {
			t.Errorf("%+v: split into %d %d %d", tc, s, d, r)
		}
	}
	// Different places give different seqs, and so different trajectory ids.
	seen := map[int64]bool{}
	for s := uint64(1); s < 4; s++ {
		for d := uint64(1); d < 4; d++ {
			for r := range 4 {
				seq, _ := TrajectorySeq(s, d, r)
				if seen[seq] {
					t.Fatalf("seq %d twice", seq)
				}
				seen[seq] = true
			}
		}
	}
}

func TestBatchIdentity(t *testing.T) {
	if got := BatchMsgID("run-1", 42, 8, 4); got != "rollout/run-1/42/8+4" {
		t.Fatalf("BatchMsgID = %q", got)
	}
	seeds := map[uint64]bool{}
	for _, args := range [][4]uint64{{1, 1, 1, 0}, {1, 1, 2, 0}, {1, 2, 1, 0}, {2, 1, 1, 0}, {1, 1, 1, 8}} {
		s := batchSeed(args[0], args[1], args[2], int(args[3]))
		if s >= 1<<63 || seeds[s] {
			t.Fatalf("seed %d of %v: out of range or repeated", s, args)
		}
		seeds[s] = true
	}
	if batchSeed(9, 8, 7, 6) != batchSeed(9, 8, 7, 6) {
		t.Fatal("batchSeed is not deterministic")
	}
}
