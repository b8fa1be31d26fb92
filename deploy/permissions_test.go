package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

// setupModelStreams creates, as the admin, what rollout and the trainer use and prefstream does
// not create yet: Object Store "models", KV "registry", and streams PROMPTS, RANKINGS and TRAJ.
func setupModelStreams(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx, cancel := ctxTimeout(30 * time.Second)
	defer cancel()
	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "models", Replicas: 3, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "registry", Replicas: 3, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for name, subject := range map[string]string{"PROMPTS": "prompts.>", "RANKINGS": "rankings.>", "TRAJ": "trajectories.>", "PAIRS": "pairs.>"} {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Replicas: 3}); err != nil {
			t.Fatal(err)
		}
	}
	for _, subject := range []string{"prompts.hh", "rankings.hh", "pairs.stackexchange", "trajectories.run0"} {
		if _, err := js.Publish(ctx, subject, []byte(subject)); err != nil {
			t.Fatal(err)
		}
	}
}

// modelSize is big enough for Object Store gets to need flow control.
const modelSize = 16 << 20

// readOne reads one message from stream with a durable consumer (durable != "") or an ordered
// one, and acks it.
func readOne(t *testing.T, js jetstream.JetStream, stream, durable string) {
	t.Helper()
	ctx, cancel := ctxTimeout(10 * time.Second)
	defer cancel()
	var cons jetstream.Consumer
	var err error
	if durable != "" {
		cons, err = js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: durable, AckPolicy: jetstream.AckExplicitPolicy})
	} else {
		cons, err = js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	}
	if err != nil {
		t.Fatalf("consumer on %s: %v", stream, err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	if durable != "" {
		if err := msg.DoubleAck(ctx); err != nil {
			t.Fatalf("ack %s: %v", stream, err)
		}
	}
}

// TestPermissions checks, against the booted cluster and with real clients, what the users of
// nats/accounts.conf may and may not do: rollout reads models and prompts and writes
// trajectories but cannot publish raw documents; the trainer writes models; ingest cannot read
// models; and the prefstream binary run as a user denied a subject stops at once with an error
// naming it. (The ingest, featurize, sink and pipeline users' grants are exercised by
// TestClusterServices and TestClusterPipelineNodeRestart, where any denial is fatal.)
func TestPermissions(t *testing.T) {
	c := startCluster(t)
	anc, admin := c.connect(t, "admin")
	defer anc.Close()
	setupModelStreams(t, admin)

	t.Run("trainer writes models and the registry and reads pairs, rankings and trajectories", func(t *testing.T) {
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
		readOne(t, js, "PAIRS", "")
		readOne(t, js, "RANKINGS", "trainer")
		readOne(t, js, "TRAJ", "")
		v.none(t, "trainer")
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
		r, err := obs.Get(ctx, "pm/v1")
		if err != nil {
			t.Fatalf("get model: %v", err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil || len(data) != modelSize {
			t.Fatalf("model: %d bytes, %v", len(data), err)
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
		readOne(t, js, "PROMPTS", "rollout")
		if _, err := js.Publish(ctx, "trajectories.run1", []byte("tokens")); err != nil {
			t.Fatalf("publish trajectory: %v", err)
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
		// topology has streams this cluster does not have yet, must stop at the first refusal.
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
