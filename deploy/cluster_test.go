package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// logLevel is the services' log level: warn, or $PREFSTREAM_DEPLOY_LOG_LEVEL.
func logLevel() string {
	if l := os.Getenv("PREFSTREAM_DEPLOY_LOG_LEVEL"); l != "" {
		return l
	}
	return "warn"
}

// summary is the part of `prefstream pipeline --summary` the tests read.
type summary struct {
	Documents map[string]int64 `json:"documents"`
	Pairs     map[string]int64 `json:"pairs"`
	Seconds   float64          `json:"seconds"`
	BytesIn   int64            `json:"bytes_in"`
}

func readSummary(t testing.TB, path string) summary {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// embeddedPairs runs the pipeline uninterrupted on the embedded single-node server (R1) and
// returns the pair ids it committed: what any other run on the same site must commit.
func embeddedPairs(t testing.TB, siteDir string) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	lakeDir := filepath.Join(dir, "lake")
	runPrefstream(t, 3*time.Minute, "--log-level", "warn", "pipeline", "--data-dir", filepath.Join(dir, "data"), "--lake", lakeDir, "stackexchange="+siteDir)
	ids := pairIDs(t, lakeDir)
	if len(ids) == 0 {
		t.Fatal("the embedded pipeline committed no pair")
	}
	return ids
}

// TestClusterPipelineNodeRestart runs the Stack Exchange pipeline on the 3-node cluster of
// nats/ with R3 streams, over TLS, as the "pipeline" user, and kills the node leading the RAW
// stream as soon as ingest has published to it, bringing it back from its store two seconds
// later. The run must exit 0 with every pair committed exactly once: the same pair ids as an
// uninterrupted run on the embedded server.
func TestClusterPipelineNodeRestart(t *testing.T) {
	siteDir := site(t, "--questions", "3000")
	want := embeddedPairs(t, siteDir)

	c := startCluster(t)
	nc, js := c.connect(t, "admin")
	defer nc.Close()

	dir := t.TempDir()
	lakeDir, sumFile := filepath.Join(dir, "lake"), filepath.Join(dir, "summary.json")
	// A checkpoint every 512 KiB of the 7 MB Posts.xml flushes batches to RAW from the dump's
	// first tenth on, so the node dies mid-ingest (with the default 32 MiB every batch goes out
	// at the end).
	args := append(c.flags("pipeline"), "--log-level", logLevel(), "pipeline", "--data-dir", filepath.Join(dir, "data"),
		"--lake", lakeDir, "--summary", sumFile, "--checkpoint-bytes", "524288", "stackexchange="+siteDir)
	// The pipeline is frozen (SIGSTOP) by the first RAW message it publishes, while the node is
	// killed: a fast run on a loaded machine would otherwise finish before the test could act.
	var pipeline atomic.Pointer[os.Process]
	frozen, freeze := make(chan struct{}), sync.Once{}
	sub, err := nc.Subscribe("raw.>", func(*nats.Msg) {
		if p := pipeline.Load(); p != nil {
			freeze.Do(func() {
				_ = p.Signal(syscall.SIGSTOP)
				close(frozen)
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	run := startPrefstream(t, args...)
	pipeline.Store(run.cmd.Process)
	select {
	case <-frozen:
	case <-run.exited:
		t.Fatalf("the pipeline stopped before publishing to RAW: %v\n%s", run.err, tail(run.out.String(), 4000))
	case <-time.After(2 * time.Minute):
		t.Fatal("RAW never got a message")
	}
	leader := rawLeader(t, js)
	victim := c.index(leader)
	c.stop(victim)
	if err := run.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s (leader of RAW) while the pipeline was publishing to it", leader)
	time.Sleep(2 * time.Second)
	c.start(victim)
	t.Logf("%s is back", leader)

	if err, ok := run.waitFor(2 * time.Minute); !ok || err != nil {
		t.Fatalf("pipeline on the cluster: exited %v (error %v)\nstreams:\n%s\noutput:\n%s", ok, err, jetStreamState(js), tail(run.out.String(), 60000))
	}
	if os.Getenv("PREFSTREAM_DEPLOY_LOG_LEVEL") != "" {
		t.Logf("pipeline output:\n%s", run.out.String())
	}
	got := pairIDs(t, lakeDir)
	sameIDs(t, got, want, "cluster run with a node restart")
	s := readSummary(t, sumFile)
	if s.Pairs["stackexchange"] != int64(len(want)) {
		t.Errorf("summary says %d pairs, want %d", s.Pairs["stackexchange"], len(want))
	}
	t.Logf("%d pairs, each committed once, in %.1fs", len(got), s.Seconds)

	// The streams are R3 and the restarted node catches up.
	waitReplicasCurrent(t, js, "PAIRS", 3)
	waitReplicasCurrent(t, js, "RAW", 3)
}

// jetStreamState describes the streams and consumers, to say where a run that failed stood.
func jetStreamState(js jetstream.JetStream) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var b strings.Builder
	for name := range js.StreamNames(ctx).Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", name, err)
			continue
		}
		info := s.CachedInfo()
		fmt.Fprintf(&b, "%s: %d msgs, seq %d..%d, cluster %+v\n", name, info.State.Msgs, info.State.FirstSeq, info.State.LastSeq, info.Cluster)
		for ci := range s.ListConsumers(ctx).Info() {
			fmt.Fprintf(&b, "  consumer %s: pending %d, ack pending %d, redelivered %d, waiting %d, delivered %+v, ack floor %+v, cluster %+v\n",
				ci.Name, ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.NumWaiting, ci.Delivered, ci.AckFloor, ci.Cluster)
		}
	}
	return b.String()
}

// rawLeader returns the node leading the RAW stream.
func rawLeader(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := js.Stream(ctx, "RAW")
		cancel()
		if err == nil {
			if info := s.CachedInfo(); info.Cluster != nil && info.Cluster.Leader != "" {
				return info.Cluster.Leader
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("RAW has no leader")
	return ""
}

// waitReplicasCurrent waits until stream has n replicas, all current.
func waitReplicasCurrent(t *testing.T, js jetstream.JetStream, stream string, n int) {
	t.Helper()
	var last string
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := js.Stream(ctx, stream)
		cancel()
		if err != nil {
			last = err.Error()
		} else if info := s.CachedInfo(); info.Config.Replicas != n || info.Cluster == nil {
			last = "config or cluster info"
		} else {
			current := 1 // the leader
			for _, r := range info.Cluster.Replicas {
				if r.Current && !r.Offline {
					current++
				}
			}
			if current == n {
				return
			}
			last = "replicas not current"
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("stream %s: not %d current replicas: %s", stream, n, last)
}

// TestClusterServices runs the stages as separate long-lived processes, each logged in as its
// own user of nats/accounts.conf (where any denied subject is fatal), and checks the lake gets
// every pair of the site exactly once; then SIGTERM stops the services cleanly.
func TestClusterServices(t *testing.T) {
	siteDir := site(t, "--questions", "400")
	want := embeddedPairs(t, siteDir)
	c := startCluster(t)
	lakeDir := filepath.Join(t.TempDir(), "lake")

	featurize := startPrefstream(t, append(c.flags("featurize"), "--log-level", logLevel(), "featurize")...)
	sink := startPrefstream(t, append(c.flags("sink"), "--log-level", logLevel(), "sink", "parquet", "--lake", lakeDir)...)
	runPrefstream(t, 2*time.Minute, append(c.flags("ingest"), "--log-level", logLevel(), "ingest", "stackexchange", "--quiet", siteDir)...)

	deadline := time.Now().Add(2 * time.Minute)
	for {
		for _, p := range []*prefstream{featurize, sink} {
			if !p.running() {
				t.Fatalf("%s stopped: %v\n%s", p.cmd.Args, p.wait(t, time.Second), tail(p.out.String(), 4000))
			}
		}
		if got := lakeIDs(t, lakeDir); len(got) >= len(want) {
			sameIDs(t, pairIDs(t, lakeDir), want, "services on the cluster")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lake has %d of %d pairs after 2 minutes\nfeaturize:\n%s\nsink:\n%s", len(lakeIDs(t, lakeDir)), len(want),
				tail(featurize.out.String(), 3000), tail(sink.out.String(), 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range []*prefstream{featurize, sink} {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := p.wait(t, 30*time.Second); err != nil {
			t.Errorf("%s after SIGTERM: %v\n%s", p.cmd.Args, err, tail(p.out.String(), 3000))
		}
	}
}

// lakeIDs reads the pair ids committed so far, without failing on an empty lake.
func lakeIDs(t *testing.T, lakeDir string) map[string]bool {
	t.Helper()
	if _, err := os.Stat(filepath.Join(lakeDir, "pairs")); err != nil {
		return nil
	}
	return pairIDs(t, lakeDir)
}
