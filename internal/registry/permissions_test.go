package registry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// TestDeployPermissions runs the registry as the trainer and rollout users of
// deploy/nats/accounts.conf, on one node: the trainer creates the buckets and publishes, the
// rollout worker watches and fetches; neither needs more than the file grants.
func TestDeployPermissions(t *testing.T) {
	accounts, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nats", "accounts.conf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "accounts.conf"), accounts, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "server.conf")
	if err := os.WriteFile(conf, []byte("jetstream { store_dir: \""+filepath.Join(dir, "js")+"\" }\ninclude \"accounts.conf\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	admin, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	adminPublic, _ := admin.PublicKey()
	t.Setenv("PREFSTREAM_ADMIN_NKEY", adminPublic)
	t.Setenv("NATS_SYS_PASSWORD", "sys-pw")
	for _, u := range []string{"ingest", "featurize", "sink", "pipeline", "rollout", "trainer"} {
		t.Setenv("PREFSTREAM_"+strings.ToUpper(u)+"_PASSWORD", u+"-pw")
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	opts.DontListen, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	login := func(user string) jetstream.JetStream {
		nc, err := nats.Connect("", nats.InProcessServer(ns), nats.UserInfo(user, user+"-pw"),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			t.Fatalf("connect as %s: %v", user, err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	ctx := testContext(t)

	trainer, err := Open(ctx, login("trainer"), 1)
	if err != nil {
		t.Fatalf("the trainer opens (and creates) the registry: %v", err)
	}
	blob := blobOf(3*int64(trainer.ChunkSize()) + 1)
	if _, err := trainer.Publish(ctx, Entry{Name: "policy", Kind: "policy"}, strings.NewReader("v1")); err != nil {
		t.Fatalf("the trainer publishes: %v", err)
	}
	if e, err := trainer.Resolve(ctx, "policy"); err != nil || e.Version != 1 {
		t.Fatalf("the trainer resolves its resume point: %d, %v", e.Version, err)
	}
	if _, got := fetch(t, trainer, "policy@1"); string(got) != "v1" {
		t.Fatalf("the trainer fetches %q", got)
	}

	rollout, err := Open(ctx, login("rollout"), 1)
	if err != nil {
		t.Fatalf("the rollout worker opens the registry: %v", err)
	}
	updates, err := rollout.Watch(ctx, "policy")
	if err != nil {
		t.Fatalf("the rollout worker watches: %v", err)
	}
	if e := <-updates; e.Version != 1 {
		t.Fatalf("the rollout worker first sees version %d", e.Version)
	}
	if _, err := trainer.Publish(ctx, Entry{Name: "policy", Kind: "policy"}, bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-updates:
		if e.Version != 2 {
			t.Fatalf("the rollout worker then sees version %d", e.Version)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the rollout worker did not see version 2")
	}
	if _, got := fetch(t, rollout, "policy"); !bytes.Equal(got, blob) {
		t.Fatal("the rollout worker fetched other bytes")
	}
	if list, err := rollout.List(ctx); err != nil || len(list) != 2 {
		t.Fatalf("the rollout worker lists %d entries, %v", len(list), err)
	}
	// Only the trainer writes.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := rollout.Publish(short, Entry{Name: "policy"}, strings.NewReader("x")); err == nil {
		t.Fatal("the rollout worker published")
	}
}
