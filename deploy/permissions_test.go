package deploy

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/internal/sink"
	"github.com/prefstream/prefstream/trainer"
)

// violations collects the permissions violations the server reports to a client (asynchronously:
// a denied publish or request is dropped, and the request itself only times out).
type violations struct {
	mu   sync.Mutex
	errs []string
}

func (v *violations) handler() nats.Option {
	return nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			v.mu.Lock()
			v.errs = append(v.errs, err.Error())
			v.mu.Unlock()
		}
	})
}

// wait returns the first violation naming a subject that starts with prefix, waiting up to a
// few seconds for it.
func (v *violations) wait(prefix string) (string, bool) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		v.mu.Lock()
		for _, e := range v.errs {
			if strings.Contains(e, `"`+prefix) {
				v.mu.Unlock()
				return e, true
			}
		}
		v.mu.Unlock()
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (v *violations) none(t *testing.T, user string) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.errs) > 0 {
		t.Errorf("%s was denied what it needs: %v", user, v.errs)
	}
}

func ctxTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// setupTopology creates, as the admin, what the services use, with the services' own code
// (bus.EnsureTopology for the streams, registry.Open for Object Store "models" and KV
// "registry"), so every config is the one a service checks at start and none needs an update;
// then it puts one message in each stream rollout, the trainer and the sink read.
func setupTopology(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx, cancel := ctxTimeout(30 * time.Second)
	defer cancel()
	if err := bus.EnsureTopology(ctx, js, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Open(ctx, js, 3); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"prompts.hh", "rankings.hh", "pairs.stackexchange", "trajectories.run0"} {
		if _, err := js.Publish(ctx, subject, []byte(subject)); err != nil {
			t.Fatal(err)
		}
	}
}

// modelSize is big enough for Object Store gets to need flow control.
const modelSize = 16 << 20

// readDurable reads one message from stream with the durable pull consumer durable, as
// bus.Consume does, and acks it.
func readDurable(t *testing.T, js jetstream.JetStream, stream, durable string) {
	t.Helper()
	ctx, cancel := ctxTimeout(30 * time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: durable, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("consumer %s on %s: %v", durable, stream, err)
	}
	// A new consumer of an R3 stream answers fetches once its leader is elected: until then a
	// fetch finds no responders, which bus.Retry asks again.
	var msg jetstream.Msg
	if err := bus.Retry(ctx, func(context.Context) error {
		msg, err = cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		return err
	}); err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	if err := msg.DoubleAck(ctx); err != nil {
		t.Fatalf("ack %s: %v", stream, err)
	}
}

// readOrdered reads one message of filter from stream with an ordered consumer, as
// trainer.StreamSource does (create, info, pull), then deletes the consumer as the library does
// when it restarts one.
func readOrdered(t *testing.T, js jetstream.JetStream, stream, filter string) {
	t.Helper()
	ctx, cancel := ctxTimeout(30 * time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatalf("ordered consumer on %s: %v", stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatalf("ordered consumer on %s: info: %v", stream, err)
	}
	if info.NumPending == 0 {
		t.Fatalf("ordered consumer on %s: nothing pending", stream)
	}
	it, err := cons.Messages(jetstream.PullMaxBytes(1 << 20))
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	_, err = it.Next()
	it.Stop()
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	// On a loaded cluster a request can go unanswered; bus.Retry asks again (a second delete
	// may find the consumer gone).
	if err := bus.Retry(ctx, func(ctx context.Context) error {
		return js.DeleteConsumer(ctx, stream, info.Name)
	}); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Fatalf("delete the ordered consumer on %s: %v", stream, err)
	}
}

// getModel reads an object, with 10 s per attempt: on the cluster a request can go unanswered
// (a direct get that reached a replica still catching up on what was just written), and the
// client then waits for its deadline. A denied request is reported as a violation, which the
// caller checks.
func getModel(t *testing.T, obs jetstream.ObjectStore, name string) []byte {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var data []byte
		ctx, cancel := ctxTimeout(10 * time.Second)
		data, err = obs.GetBytes(ctx, name)
		cancel()
		if err == nil {
			return data
		}
		t.Logf("get %s, attempt %d: %v", name, attempt, err)
	}
	t.Fatalf("get %s: %v", name, err)
	return nil
}

// denied checks that what try does fails and that the server reports a permissions violation
// for a subject starting with prefix.
func denied(t *testing.T, v *violations, prefix string, try func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := ctxTimeout(2 * time.Second)
	defer cancel()
	if err := try(ctx); err == nil {
		t.Fatalf("allowed what %s guards", prefix)
	}
	if e, ok := v.wait(prefix); !ok {
		t.Fatalf("no permissions violation reported for %s", prefix)
	} else {
		t.Logf("denied: %s", e)
	}
}

// TestPermissions checks, against the booted cluster and with real clients, what the users of
// nats/accounts.conf may and may not do: rollout reads models and prompts and writes
// trajectories but cannot publish raw documents; the trainer writes models, reads pairs and
// rankings with ordered consumers and trajectories with a durable one, but not prompts; the
// sink consumes rankings and trajectories with its own durables only; ingest publishes
// rankings and prompts but cannot read models; and the prefstream binary run as a user denied
// a subject stops at once with an error naming it. (The ingest, featurize, sink and pipeline users' grants are exercised by
// TestClusterServices and TestClusterPipelineNodeRestart, where any denial is fatal.)
func TestPermissions(t *testing.T) {
	c := startCluster(t)
	anc, admin := c.connect(t, "admin")
	defer anc.Close()
	setupTopology(t, admin)

	t.Run("trainer writes models and the registry, reads pairs and rankings, and consumes trajectories", func(t *testing.T) {
		var v violations
		nc, js := c.connect(t, "trainer", v.handler())
		defer nc.Close()
		ctx, cancel := ctxTimeout(30 * time.Second)
		defer cancel()
		obs, err := js.ObjectStore(ctx, "models")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := obs.PutBytes(ctx, "pm/v1", bytes.Repeat([]byte("w"), modelSize/2)); err != nil {
			t.Fatalf("put model: %v", err)
		}
		// A second put of the same name purges the old chunks.
		if _, err := obs.PutBytes(ctx, "pm/v1", bytes.Repeat([]byte("W"), modelSize)); err != nil {
			t.Fatalf("overwrite model: %v", err)
		}
		kv, err := js.KeyValue(ctx, "registry")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Put(ctx, "pm", []byte("pm/v1")); err != nil {
			t.Fatalf("registry put: %v", err)
		}
		readOrdered(t, js, "PAIRS", "pairs.>")
		readOrdered(t, js, "RANKINGS", "rankings.hh")
		readDurable(t, js, "TRAJ", "ppo-run0") // trainer.RunPPO's consumer of run run0
		v.none(t, "trainer")
	})

	t.Run("trainer cannot read prompts nor ack pairs", func(t *testing.T) {
		var v violations
		nc, js := c.connect(t, "trainer", v.handler())
		defer nc.Close()
		denied(t, &v, "$JS.API.CONSUMER.CREATE.PROMPTS.", func(ctx context.Context) error {
			_, err := js.OrderedConsumer(ctx, "PROMPTS", jetstream.OrderedConsumerConfig{})
			return err
		})
		// Its consumers ack nothing; an ack is a core publish the server drops.
		if err := nc.Publish("$JS.ACK.PAIRS.trainer.1.1.1.0.0", nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := v.wait("$JS.ACK.PAIRS."); !ok {
			t.Fatal("no permissions violation reported for an ack on PAIRS")
		}
	})

	t.Run("sink consumes rankings and trajectories with its own durables", func(t *testing.T) {
		var v violations
		nc, js := c.connect(t, "sink", v.handler())
		defer nc.Close()
		readDurable(t, js, "RANKINGS", sink.RankingsSpec().Durable)
		readDurable(t, js, "TRAJ", "sink-parquet-trajectories")
		v.none(t, "sink")
		denied(t, &v, "$JS.API.CONSUMER.CREATE.RANKINGS.other", func(ctx context.Context) error {
			_, err := js.CreateOrUpdateConsumer(ctx, "RANKINGS", jetstream.ConsumerConfig{Durable: "other", AckPolicy: jetstream.AckExplicitPolicy})
			return err
		})
	})

	t.Run("ingest publishes rankings and prompts", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "rated.jsonl")
		runPrefstream(t, time.Minute, "gen", "rankings", "--quiet", "--n", "40", "--out", file)
		runPrefstream(t, time.Minute, append(c.flags("ingest"), "--log-level", logLevel(), "ingest", "rankings", "--quiet", file)...)
		ctx, cancel := ctxTimeout(10 * time.Second)
		defer cancel()
		s, err := admin.Stream(ctx, "RANKINGS")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetLastMsgForSubject(ctx, "rankings.rated"); err != nil {
			t.Fatalf("RANKINGS holds nothing on rankings.rated: %v", err)
		}
		var v violations
		nc, js := c.connect(t, "ingest", v.handler())
		defer nc.Close()
		if _, err := js.Publish(ctx, "prompts.set1", []byte("a prompt")); err != nil {
			t.Fatalf("publish a prompt: %v", err)
		}
		v.none(t, "ingest")
	})

	t.Run("rollout reads models, the registry and prompts and writes trajectories", func(t *testing.T) {
		var v violations
		nc, js := c.connect(t, "rollout", v.handler())
		defer nc.Close()
		ctx, cancel := ctxTimeout(30 * time.Second)
		defer cancel()
		obs, err := js.ObjectStore(ctx, "models")
		if err != nil {
			t.Fatal(err)
		}
		if data := getModel(t, obs, "pm/v1"); len(data) != modelSize {
			t.Fatalf("model: %d bytes, want %d", len(data), modelSize)
		}
		kv, err := js.KeyValue(ctx, "registry")
		if err != nil {
			t.Fatal(err)
		}
		if e, err := kv.Get(ctx, "pm"); err != nil || string(e.Value()) != "pm/v1" {
			t.Fatalf("registry get: %v", err)
		}
		w, err := kv.Watch(ctx, "pm")
		if err != nil {
			t.Fatalf("registry watch: %v", err)
		}
		select {
		case e := <-w.Updates():
			if e == nil || string(e.Value()) != "pm/v1" {
				t.Fatalf("watch: %v", e)
			}
		case <-ctx.Done():
			t.Fatal("watch saw nothing")
		}
		_ = w.Stop()
		readDurable(t, js, "PROMPTS", "rollout")
		if _, err := js.Publish(ctx, "trajectories.run1", []byte("tokens")); err != nil {
			t.Fatalf("publish trajectory: %v", err)
		}
		// A worker holds back while the trainer's consumer has too many batches waiting: it
		// reads that consumer's info (whether or not the trainer has created it yet).
		if _, err := js.Consumer(ctx, "TRAJ", trainer.PPOConsumer("run1")); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Fatalf("the trainer's consumer info: %v", err)
		}
		v.none(t, "rollout")
	})

	t.Run("rollout cannot publish raw documents", func(t *testing.T) {
		var v violations
		nc, js := c.connect(t, "rollout", v.handler())
		defer nc.Close()
		ctx, cancel := ctxTimeout(2 * time.Second)
		defer cancel()
		if _, err := js.Publish(ctx, "raw.stackexchange.x.0", []byte("forged")); err == nil {
			t.Fatal("rollout published to raw.stackexchange.x.0")
		}
		if e, ok := v.wait("raw.stackexchange.x.0"); !ok {
			t.Fatal("no permissions violation reported for raw.stackexchange.x.0")
		} else {
			t.Logf("denied: %s", e)
		}
		// Nor with core NATS (which bypasses nothing: the stream listens on raw.>).
		if err := nc.Publish("raw.stackexchange.x.1", []byte("forged")); err != nil {
			t.Fatal(err)
		}
		if _, ok := v.wait("raw.stackexchange.x.1"); !ok {
			t.Fatal("no permissions violation reported for raw.stackexchange.x.1")
		}
		checkNotStored(t, admin, "RAW", "raw.stackexchange.x.>")
	})

	t.Run("ingest cannot read models", func(t *testing.T) {
		var v violations
		nc, js := c.connect(t, "ingest", v.handler())
		defer nc.Close()
		ctx, cancel := ctxTimeout(2 * time.Second)
		defer cancel()
		// Stream info is allowed to every user; reading the content is not.
		obs, err := js.ObjectStore(ctx, "models")
		if err != nil {
			t.Fatalf("object store info: %v", err)
		}
		if _, err := obs.GetBytes(ctx, "pm/v1"); err == nil {
			t.Fatal("ingest read model pm/v1")
		}
		if e, ok := v.wait("$JS.API.DIRECT.GET.OBJ_models.$O.models.M."); !ok {
			t.Fatalf("no permissions violation reported for the models metadata get: %v", v.errs)
		} else {
			t.Logf("denied: %s", e)
		}
		// Subscribing to the bucket's subjects directly is denied too.
		sub, err := nc.SubscribeSync("$O.models.>")
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		if _, ok := v.wait("$O.models.>"); !ok {
			t.Fatal("no permissions violation reported for subscribing to $O.models.>")
		}
		ctx2, cancel2 := ctxTimeout(2 * time.Second)
		defer cancel2()
		kv, err := js.KeyValue(ctx2, "registry")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Get(ctx2, "pm"); err == nil {
			t.Fatal("ingest read the registry")
		}
	})

	t.Run("the binary fails fast naming the denied subject", func(t *testing.T) {
		// rollout's user may read stream info but not create streams: prefstream ingest, whose
		// topology has a stream this cluster does not have yet, must stop at the first refusal.
		ctx, cancel := ctxTimeout(10 * time.Second)
		defer cancel()
		if err := admin.DeleteStream(ctx, "RAW"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		p := startPrefstream(t, append(c.flags("rollout"), "ingest", "stackexchange", "--quiet", site(t, "--questions", "50"))...)
		err := p.wait(t, time.Minute)
		took := time.Since(start)
		out := p.out.String()
		if err == nil {
			t.Fatalf("prefstream ingest as rollout succeeded:\n%s", out)
		}
		if !strings.Contains(out, "Permissions Violation for Publish to") || !strings.Contains(out, `"$JS.API.STREAM.CREATE.`) {
			t.Fatalf("the error does not name the denied subject:\n%s", out)
		}
		if took > 15*time.Second {
			t.Errorf("took %s to fail; want fast", took)
		}
		t.Logf("failed in %s: %s", took.Round(time.Millisecond), lastLine(out))
	})

	t.Run("the binary fails fast on a wrong password", func(t *testing.T) {
		args := c.flags("ingest")
		for i, a := range args {
			if a == "--nats-password" {
				args[i+1] = "wrong"
			}
		}
		start := time.Now()
		p := startPrefstream(t, append(args, "featurize")...)
		err := p.wait(t, time.Minute)
		out := p.out.String()
		if err == nil || !strings.Contains(strings.ToLower(out), "authorization violation") {
			t.Fatalf("want an authorization violation, got %v:\n%s", err, out)
		}
		t.Logf("failed in %s: %s", time.Since(start).Round(time.Millisecond), lastLine(out))
	})
}

// checkNotStored fails if stream holds a message on subject.
func checkNotStored(t *testing.T, js jetstream.JetStream, stream, subject string) {
	t.Helper()
	ctx, cancel := ctxTimeout(5 * time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetLastMsgForSubject(ctx, subject); err == nil {
		t.Fatalf("%s holds a message on %s", stream, subject)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
