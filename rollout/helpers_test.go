package rollout

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// cluster is an embedded JetStream server with the topology and the registry.
type cluster struct {
	t   *testing.T
	ns  *server.Server
	js  jetstream.JetStream
	reg *registry.Registry
	tok *tokenizer.Tokenizer
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	ns, err := bus.StartServer(bus.ServerOptions{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	c := &cluster{t: t, ns: ns}
	_, c.js = c.connect()
	ctx := testContext(t)
	if err := bus.EnsureTopology(ctx, c.js, 1); err != nil {
		t.Fatal(err)
	}
	if c.reg, err = registry.Open(ctx, c.js, 1); err != nil {
		t.Fatal(err)
	}
	c.tok = testTokenizer(t)
	return c
}

// connect opens a client connection of its own, as a worker on another machine would have.
func (c *cluster) connect() (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(c.ns))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	return nc, js
}

var sentences = []string{
	"the quick brown fox jumps over the lazy dog",
	"how do I sort a list of numbers in python",
	"what is the capital of france and why",
	"explain how a transformer model predicts the next token",
	"please write a short poem about the sea and the wind",
	"why is the sky blue during the day and red at sunset",
}

var (
	tokOnce sync.Once
	tokTest *tokenizer.Tokenizer
)

func testTokenizer(t *testing.T) *tokenizer.Tokenizer {
	tokOnce.Do(func() {
		tok, err := tokenizer.Train(func(yield func([]byte) bool) {
			for range 3 {
				for _, s := range sentences {
					if !yield([]byte(s)) {
						return
					}
				}
			}
		}, 300)
		if err != nil {
			t.Fatal(err)
		}
		tokTest = tok
	})
	return tokTest
}

// model makes a small model of kind with random weights from seed.
func (c *cluster) model(kind string, seed uint64) *trainer.Model {
	c.t.Helper()
	m, err := trainer.New(trainer.Config{Vocab: c.tok.Vocab(), Context: 32, DModel: 16, Layers: 1, Heads: 2, DFF: 32, Kind: kind}, seed)
	if err != nil {
		c.t.Fatal(err)
	}
	m.Tokenizer = c.tok.Version()
	return m
}

// checkpoint is what WriteTo writes for m.
func (c *cluster) checkpoint(m *trainer.Model) []byte {
	c.t.Helper()
	var buf bytes.Buffer
	if _, err := (&trainer.Checkpoint{Model: m, Tok: c.tok}).WriteTo(&buf); err != nil {
		c.t.Fatal(err)
	}
	return buf.Bytes()
}

// publish stores blob as the next version of name.
func (c *cluster) publish(name, kind string, blob []byte, labels map[string]string) registry.Entry {
	c.t.Helper()
	e, err := c.reg.Publish(testContext(c.t), registry.Entry{Name: name, Kind: kind, Labels: labels}, bytes.NewReader(blob))
	if err != nil {
		c.t.Fatal(err)
	}
	return e
}

// baseModels publishes a preference model "pm-<run>" and a reference "sft-<run>"; policy
// versions then name them.
func (c *cluster) baseModels(run string) map[string]string {
	pm := c.publish("pm-"+run, trainer.KindPM, c.checkpoint(c.model(trainer.KindPM, 7)), nil)
	ref := c.publish("sft-"+run, trainer.KindPolicy, c.checkpoint(c.model(trainer.KindPolicy, 1)), nil)
	return map[string]string{LabelPM: pm.Ref(), LabelReference: ref.Ref()}
}

// publishPolicy stores m as the next version of the run's policy.
func (c *cluster) publishPolicy(run string, m *trainer.Model, labels map[string]string) registry.Entry {
	return c.publish(trainer.PolicyName(run), trainer.KindPolicy, c.checkpoint(m), labels)
}

// prompts returns n prompts of the set.
func prompts(set string, n int) []schemas.Prompt {
	out := make([]schemas.Prompt, n)
	for i := range out {
		text := fmt.Sprintf("%s (question %d of %s)", sentences[i%len(sentences)], i, set)
		out[i] = schemas.Prompt{PromptID: schemas.PromptID(set, text), Text: text, Source: set, Split: "train"}
	}
	return out
}

// publishPrompts publishes ps to prompts.<set>, perMsg to a message.
func (c *cluster) publishPrompts(set string, ps []schemas.Prompt, perMsg int) {
	c.t.Helper()
	for lo := 0; lo < len(ps); lo += perMsg {
		data, err := schemas.PromptCodec.Encode(ps[lo:min(lo+perMsg, len(ps))])
		if err != nil {
			c.t.Fatal(err)
		}
		c.publishRaw(bus.PromptSubject(set), data)
	}
}

func (c *cluster) publishRaw(subject string, data []byte) {
	c.t.Helper()
	if _, err := c.js.Publish(testContext(c.t), subject, data); err != nil {
		c.t.Fatal(err)
	}
}

// stored is one message of a stream.
type stored struct {
	seq    uint64
	header nats.Header
	data   []byte
}

// messages returns every message of stream on subject, in order.
func (c *cluster) messages(stream, subject string) []stored {
	c.t.Helper()
	ctx := testContext(c.t)
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []stored
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		if m.Subject == subject {
			out = append(out, stored{seq: seq, header: m.Header, data: m.Data})
		}
	}
	return out
}

// trajectories decodes every trajectory of the run, in stream order.
func (c *cluster) trajectories(run string) []schemas.Trajectory {
	c.t.Helper()
	var out []schemas.Trajectory
	for _, m := range c.messages(bus.StreamTrajectories, bus.TrajectorySubject(run)) {
		ts, err := schemas.TrajectoryCodec.Decode(m.data)
		if err != nil {
			c.t.Fatalf("trajectory message %d: %v", m.seq, err)
		}
		out = append(out, ts...)
	}
	return out
}

// worker builds a worker on a connection of its own.
func (c *cluster) worker(o Options) (*Worker, *nats.Conn) {
	c.t.Helper()
	nc, js := c.connect()
	reg, err := registry.Open(testContext(c.t), js, 1)
	if err != nil {
		c.t.Fatal(err)
	}
	w, err := New(js, reg, o)
	if err != nil {
		c.t.Fatal(err)
	}
	return w, nc
}

// observed returns a logger whose entries the test can read.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// logged reports whether an entry with message msg has every field value in want (as text).
func logged(logs *observer.ObservedLogs, msg string, want map[string]string) bool {
	for _, e := range logs.FilterMessage(msg).All() {
		fields := e.ContextMap()
		ok := true
		for k, v := range want {
			if !strings.Contains(fmt.Sprint(fields[k]), v) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !until(d, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// until polls cond for up to d and reports whether it became true.
func until(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func registryEntry(name string, labels map[string]string) registry.Entry {
	return registry.Entry{Name: name, Kind: trainer.KindPolicy, Labels: labels}
}

// promptIDs counts trajectories per prompt id.
func promptIDs(ts []schemas.Trajectory) map[string]int {
	out := map[string]int{}
	for _, t := range ts {
		out[t.PromptID]++
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
