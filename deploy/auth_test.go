package deploy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// TestNKeyFlag runs the binary as the admin, who logs in with an NKey seed file (--nats-nkey),
// over TLS, against the cluster.
func TestNKeyFlag(t *testing.T) {
	c := startCluster(t)
	runPrefstream(t, 2*time.Minute, append(c.flags("admin"), "--log-level", "warn", "ingest", "stackexchange", "--quiet", site(t, "--questions", "50"))...)
	nc, js := c.connect(t, "admin")
	defer nc.Close()
	ctx, cancel := ctxTimeout(10 * time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "RAW")
	if err != nil {
		t.Fatal(err)
	}
	if info := s.CachedInfo(); info.State.Msgs == 0 || info.Config.Replicas != 3 {
		t.Fatalf("RAW after ingest as admin: %d messages, R%d", info.State.Msgs, info.Config.Replicas)
	}
}

// TestCredsFlag runs the binary with a credentials file (--nats-creds: a user JWT and its NKey
// seed) against a server in operator (JWT) mode, the other way to run NATS auth. The
// cluster configs in nats/ use config-file accounts instead, so this server is built here.
func TestCredsFlag(t *testing.T) {
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "prefstream-test"
	ojwt, err := oc.Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	operator, err := jwt.DecodeOperatorClaims(ojwt)
	if err != nil {
		t.Fatal(err)
	}
	account := func(name string, js bool) (nkeys.KeyPair, string, string) {
		kp, _ := nkeys.CreateAccount()
		pub, _ := kp.PublicKey()
		ac := jwt.NewAccountClaims(pub)
		ac.Name = name
		if js {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		token, err := ac.Encode(okp)
		if err != nil {
			t.Fatal(err)
		}
		return kp, pub, token
	}
	_, sysPub, sysJWT := account("SYS", false)
	akp, aPub, aJWT := account("PREFSTREAM", true)

	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	useed, _ := ukp.Seed()
	uc := jwt.NewUserClaims(upub)
	uc.Name = "ingest"
	ujwt, err := uc.Encode(akp)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(ujwt, useed)
	if err != nil {
		t.Fatal(err)
	}
	credsFile := filepath.Join(t.TempDir(), "ingest.creds")
	if err := os.WriteFile(credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}

	resolver := &server.MemAccResolver{}
	_ = resolver.Store(sysPub, sysJWT)
	_ = resolver.Store(aPub, aJWT)
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoSigs: true, ServerName: "creds-test",
		JetStream: true, StoreDir: t.TempDir(),
		TrustedOperators: []*jwt.OperatorClaims{operator}, AccountResolver: resolver, SystemAccount: sysPub,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("server not ready")
	}

	runPrefstream(t, 2*time.Minute, "--nats", ns.ClientURL(), "--nats-creds", credsFile, "--log-level", "warn",
		"ingest", "stackexchange", "--quiet", site(t, "--questions", "50"))

	nc, err := nats.Connect(ns.ClientURL(), nats.UserCredentials(credsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "RAW")
	if err != nil {
		t.Fatal(err)
	}
	if s.CachedInfo().State.Msgs == 0 {
		t.Fatal("RAW is empty after ingest with a creds file")
	}

	// A creds file of a user the server does not trust fails fast.
	other, _ := nkeys.CreateAccount()
	bad, err := uc.Encode(other)
	if err != nil {
		t.Fatal(err)
	}
	badCreds, _ := jwt.FormatUserConfig(bad, useed)
	badFile := filepath.Join(t.TempDir(), "bad.creds")
	if err := os.WriteFile(badFile, badCreds, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPrefstream(t, "--nats", ns.ClientURL(), "--nats-creds", badFile, "featurize")
	if err := p.wait(t, 30*time.Second); err == nil {
		t.Fatalf("featurize with untrusted credentials succeeded:\n%s", p.out.String())
	}
	t.Logf("untrusted creds: %s", lastLine(p.out.String()))
}
