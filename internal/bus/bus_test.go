package bus

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/leakcheck"
	"github.com/prefstream/prefstream/schemas"
)

func testBus(t *testing.T) *Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Connect(ctx, Config{DataDir: t.TempDir(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestPublisherDeduplicatesAndReportsAcksInOrder(t *testing.T) {
	b := testBus(t)
	ctx := context.Background()
	var acks []Ack
	p := NewPublisher(b.JS, 4)
	p.OnAck = func(a Ack) { acks = append(acks, a) }
	for round := 0; round < 2; round++ {
		for i := 0; i < 10; i++ {
			if err := p.Publish(ctx, PairSubject("test"), fmt.Sprintf("batch-%d", i), []byte{byte(i)}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(acks) != 20 {
		t.Fatalf("got %d acks, want 20", len(acks))
	}
	for i, a := range acks {
		wantDup := i >= 10
		if a.Duplicate != wantDup || a.Sequence != uint64(i%10+1) || a.MsgID != fmt.Sprintf("batch-%d", i%10) {
			t.Fatalf("ack %d = %+v", i, a)
		}
	}
	info, err := b.JS.Stream(ctx, StreamPairs)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 10 {
		t.Fatalf("stream holds %d messages, want 10", n)
	}
}

func TestConsumeRetriesThenDeadLetters(t *testing.T) {
	b := testBus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, body := range []string{"ok", "flaky", "poison", "hopeless"} {
		if _, err := b.JS.Publish(ctx, PairSubject("test"), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	spec := ConsumerSpec{
		Stream: StreamPairs, Durable: "test", FilterSubjects: []string{PairSubject("test")},
		MaxAckPending: 10, MaxDeliver: 3, BackOff: []time.Duration{10 * time.Millisecond}, AckWait: 5 * time.Second,
		DeadLetters: DeadLetterSubject("test", "test"),
	}
	var flakyTries, hopelessTries, handled atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = Consume(ctx, b.JS, spec, func(ctx context.Context, msg jetstream.Msg) error {
			switch string(msg.Data()) {
			case "flaky":
				if flakyTries.Add(1) < 2 {
					return errors.New("try again")
				}
			case "poison":
				return Permanent(errors.New("cannot parse"))
			case "hopeless":
				hopelessTries.Add(1)
				return errors.New("still broken")
			}
			handled.Add(1)
			return msg.Ack()
		})
	}()
	deadline := time.Now().Add(15 * time.Second)
	for dlqCount(t, b) < 2 || handled.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("handled %d, dead letters %d", handled.Load(), dlqCount(t, b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if got := hopelessTries.Load(); got != 3 {
		t.Fatalf("hopeless message tried %d times, want MaxDeliver=3", got)
	}
	cons, err := b.JS.OrderedConsumer(context.Background(), StreamDeadLetters, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for i := 0; i < 2; i++ {
		m, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		reasons[string(m.Data())] = m.Headers().Get(schemas.HeaderReason)
		if m.Headers().Get(schemas.HeaderOrigin) == "" {
			t.Fatal("dead letter without origin")
		}
	}
	if reasons["poison"] != "cannot parse" || reasons["hopeless"] != "still broken" {
		t.Fatalf("dead-letter reasons %v", reasons)
	}
}

func dlqCount(t *testing.T, b *Bus) uint64 {
	info, err := b.JS.Stream(context.Background(), StreamDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	st, err := info.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.State.Msgs
}

func TestStateRoundTripAndTopologyIsIdempotent(t *testing.T) {
	b := testBus(t)
	ctx := context.Background()
	if err := EnsureTopology(ctx, b.JS, 1); err != nil {
		t.Fatal("second EnsureTopology:", err)
	}
	st, err := b.OpenState(ctx, BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	type cp struct{ Offset int64 }
	var got cp
	if found, err := st.Load(ctx, "site a/Posts.xml", &got); err != nil || found {
		t.Fatalf("empty load: %v %v", found, err)
	}
	if err := st.Store(ctx, "site a/Posts.xml", cp{42}); err != nil {
		t.Fatal(err)
	}
	if found, err := st.Load(ctx, "site a/Posts.xml", &got); err != nil || !found || got.Offset != 42 {
		t.Fatalf("load: %v %v %+v", found, err, got)
	}
}

func TestTokenAndKey(t *testing.T) {
	for in, want := range map[string]string{"ai.meta.stackexchange.com": "ai_meta_stackexchange_com", "": "_", "a>b*c d": "a_b_c_d"} {
		if got := Token(in); got != want {
			t.Errorf("Token(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Key("a b:c/ü"); got != "a_b_c/__" {
		t.Errorf("Key = %q", got)
	}
}

func TestPermanentPublishErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"too large", nats.ErrMaxPayload, true},
		{"denied", nats.ErrPermissionViolation, true},
		{"bad request", fmt.Errorf("nats: %w", &jetstream.APIError{Code: 400, ErrorCode: 10003}), true},
		{"stream not found", jetstream.ErrStreamNotFound, true},
		{"request timeout", fmt.Errorf("nats: %w", &jetstream.APIError{Code: 408}), false},
		{"duplicate id still being stored", fmt.Errorf("nats: %w", &jetstream.APIError{Code: 409, ErrorCode: errDuplicateInProcess}), false},
		{"no leader yet", jetstream.ErrNoStreamResponse, false},
		{"timeout", context.DeadlineExceeded, false},
	} {
		if got := permanent(tc.err); got != tc.want {
			t.Errorf("%s (%v): permanent %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestConsumeOutlastsServerRestart: a consumer waiting for messages, with idle callbacks, keeps
// consuming across its server going away and coming back, and stops cleanly.
func TestConsumeOutlastsServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := startRestartable(t)
	b := srv.connect(ctx)
	spec := ConsumerSpec{
		Stream: StreamPairs, Durable: "restart", FilterSubjects: []string{PairSubject("test")},
		MaxAckPending: 10, AckWait: time.Minute, DeadLetters: DeadLetterSubject("test", "test"),
		IdleAfter: 50 * time.Millisecond,
	}
	if _, err := CreateConsumer(ctx, b.JS, spec); err != nil { // the server's goroutines for it
		t.Fatal(err)
	}
	goroutinesEnded := leakcheck.Goroutines(t)
	var idles atomic.Int32
	spec.OnIdle = func(context.Context) error { idles.Add(1); return nil }
	got := make(chan string, 2)
	cctx, stop := context.WithCancel(ctx)
	consumed := make(chan error, 1)
	go func() {
		consumed <- Consume(cctx, b.JS, spec, func(_ context.Context, msg jetstream.Msg) error {
			got <- string(msg.Data())
			return msg.Ack()
		})
	}()
	publish := func(body string) {
		t.Helper()
		if err := Retry(ctx, func(ctx context.Context) error {
			_, err := b.JS.Publish(ctx, PairSubject("test"), []byte(body))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	receive := func(want string) {
		t.Helper()
		select {
		case body := <-got:
			if body != want {
				t.Fatalf("got %q, want %q", body, want)
			}
		case err := <-consumed:
			t.Fatalf("Consume returned %v before %q", err, want)
		case <-time.After(20 * time.Second):
			t.Fatalf("%q never came", want)
		}
	}

	publish("before")
	receive("before")
	srv.outage(2 * time.Second)
	srv.waitRestarted()
	idlesBefore := idles.Load()
	publish("after")
	receive("after")
	time.Sleep(200 * time.Millisecond)
	if idles.Load() == idlesBefore {
		t.Error("no idle callback after the restart")
	}
	stop()
	if err := <-consumed; !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume returned %v after its context ended, want context.Canceled", err)
	}
	goroutinesEnded()
}
