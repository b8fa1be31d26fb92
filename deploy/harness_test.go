package deploy

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/prefstream/prefstream/internal/lake"
)

// The users of nats/accounts.conf that log in with a password.
var passwordUsers = []string{"ingest", "featurize", "sink", "pipeline", "rollout", "trainer"}

var (
	// binary is the prefstream command, built once by TestMain.
	binary string
	// secrets are the throwaway CA, certificates, passwords and admin NKey the configs read from
	// the environment.
	secrets *testSecrets
	workDir string
)

func TestMain(m *testing.M) {
	code, err := testMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		code = 1
	}
	os.Exit(code)
}

func testMain(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "prefstream-deploy-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	workDir = dir
	binary = filepath.Join(dir, "prefstream")
	build := exec.Command(goCommand(), "build", "-o", binary, "github.com/prefstream/prefstream/cmd/prefstream")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return 1, fmt.Errorf("building prefstream: %w", err)
	}
	if secrets, err = newSecrets(filepath.Join(dir, "secrets")); err != nil {
		return 1, err
	}
	if err := secrets.setenv(); err != nil {
		return 1, err
	}
	return m.Run(), nil
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// testSecrets is what a deployment keeps in its secret store, made up for one test run.
type testSecrets struct {
	ca, serverCert, serverKey string // PEM files
	clientCert, clientKey     string
	passwords                 map[string]string // user -> password
	sysPassword               string
	adminSeed                 string // NKey seed file
	adminPublic               string
}

func newSecrets(dir string) (*testSecrets, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &testSecrets{passwords: map[string]string{}}
	for _, u := range passwordUsers {
		s.passwords[u] = randomPassword()
	}
	s.sysPassword = randomPassword()
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	if s.adminPublic, err = kp.PublicKey(); err != nil {
		return nil, err
	}
	s.adminSeed = filepath.Join(dir, "admin.nk")
	if err := os.WriteFile(s.adminSeed, seed, 0o600); err != nil {
		return nil, err
	}
	return s, s.makeCerts(dir)
}

func randomPassword() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "pw" + hex.EncodeToString(b)
}

func (s *testSecrets) setenv() error {
	env := map[string]string{
		"NATS_TLS_CA": s.ca, "NATS_TLS_CERT": s.serverCert, "NATS_TLS_KEY": s.serverKey,
		"NATS_SYS_PASSWORD": s.sysPassword, "PREFSTREAM_ADMIN_NKEY": s.adminPublic,
	}
	for u, p := range s.passwords {
		env["PREFSTREAM_"+strings.ToUpper(u)+"_PASSWORD"] = p
	}
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// makeCerts writes a throwaway CA, a server certificate for the names the configs and tests dial
// (routes and clients), and a client certificate.
func (s *testSecrets) makeCerts(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "prefstream test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	s.ca = filepath.Join(dir, "ca.pem")
	if err := writePEM(s.ca, "CERTIFICATE", caDER); err != nil {
		return err
	}
	leaf := func(serial int64, name string, usage []x509.ExtKeyUsage, certFile, keyFile string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage,
			DNSNames:    []string{"localhost", "nats", "nats-1", "nats-2", "nats-3"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(keyFile, "EC PRIVATE KEY", keyDER)
	}
	s.serverCert, s.serverKey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	s.clientCert, s.clientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	// Nodes dial each other's routes, so the server certificate serves both ends.
	if err := leaf(2, "nats", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, s.serverCert, s.serverKey); err != nil {
		return err
	}
	return leaf(3, "prefstream", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, s.clientCert, s.clientKey)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// cluster is the 3-node cluster of nats/node-N.conf, running in this process.
type cluster struct {
	t       testing.TB
	dir     string
	clients [3]int
	routes  [3]int
	mu      sync.Mutex
	nodes   [3]*server.Server
}

// startCluster boots nats/node-1.conf..node-3.conf with free local ports and store directories
// under a temporary directory, and waits for JetStream to have a meta leader.
func startCluster(t testing.TB) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir()}
	for i := range 3 {
		c.clients[i], c.routes[i] = freePort(t), freePort(t)
	}
	t.Cleanup(c.shutdown)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() { errs[i] = c.boot(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	c.waitJetStream()
	return c
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// options reads node i's config file, as a deployment would, and moves it onto this machine.
func (c *cluster) options(i int) (*server.Options, error) {
	opts, err := server.ProcessConfigFile(filepath.Join("nats", fmt.Sprintf("node-%d.conf", i+1)))
	if err != nil {
		return nil, err
	}
	opts.Host, opts.Port = "127.0.0.1", c.clients[i]
	opts.HTTPHost, opts.HTTPPort = "", 0
	opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", c.routes[i]
	opts.Routes = nil
	for _, p := range c.routes {
		opts.Routes = append(opts.Routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	opts.StoreDir = filepath.Join(c.dir, fmt.Sprintf("nats-%d", i+1))
	opts.NoSigs = true
	return opts, nil
}

func (c *cluster) boot(i int) error {
	opts, err := c.options(i)
	if err != nil {
		return err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("nats-%d: %w", i+1, err)
	}
	if os.Getenv("PREFSTREAM_DEPLOY_SERVER_LOG") != "" {
		ns.ConfigureLogger()
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return fmt.Errorf("nats-%d did not become ready", i+1)
	}
	c.mu.Lock()
	c.nodes[i] = ns
	c.mu.Unlock()
	return nil
}

// start brings node i back from its store directory.
func (c *cluster) start(i int) {
	c.t.Helper()
	if err := c.boot(i); err != nil {
		c.t.Fatal(err)
	}
}

// stop kills node i (no lame-duck mode: clients see the connection drop).
func (c *cluster) stop(i int) {
	c.mu.Lock()
	ns := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
}

func (c *cluster) shutdown() {
	for i := range 3 {
		c.stop(i)
	}
}

// index returns the node named name (nats-N).
func (c *cluster) index(name string) int {
	c.t.Helper()
	var i int
	if _, err := fmt.Sscanf(name, "nats-%d", &i); err != nil || i < 1 || i > 3 {
		c.t.Fatalf("no node named %q", name)
	}
	return i - 1
}

// urls lists every node's client URL, as a service's --nats flag would.
func (c *cluster) urls() string {
	var u []string
	for _, p := range c.clients {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	return strings.Join(u, ",")
}

func (c *cluster) waitJetStream() {
	c.t.Helper()
	nc, js := c.connect(c.t, "admin")
	defer nc.Close()
	deadline := time.Now().Add(45 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("JetStream has no meta leader: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tlsOptions are what every client of the cluster needs: the CA and a client certificate.
func tlsOptions() []nats.Option {
	return []nats.Option{nats.RootCAs(secrets.ca), nats.ClientCert(secrets.clientCert, secrets.clientKey)}
}

// userOption logs in as user: the admin with its NKey seed, the others with their password.
func userOption(t testing.TB, user string) nats.Option {
	t.Helper()
	if user == "admin" {
		opt, err := nats.NkeyOptionFromSeed(secrets.adminSeed)
		if err != nil {
			t.Fatal(err)
		}
		return opt
	}
	pw, ok := secrets.passwords[user]
	if !ok {
		t.Fatalf("no user %q", user)
	}
	return nats.UserInfo(user, pw)
}

// connect logs in as user over TLS; extra options come last.
func (c *cluster) connect(t testing.TB, user string, extra ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	opts := append(tlsOptions(), userOption(t, user), nats.Name("deploy-test-"+user), nats.MaxReconnects(-1))
	nc, err := nats.Connect(c.urls(), append(opts, extra...)...)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// flags are the prefstream global flags that reach the cluster as user.
func (c *cluster) flags(user string) []string {
	f := []string{"--nats", c.urls(), "--replicas", "3", "--tls-ca", secrets.ca, "--tls-cert", secrets.clientCert, "--tls-key", secrets.clientKey}
	if user == "admin" {
		return append(f, "--nats-nkey", secrets.adminSeed)
	}
	return append(f, "--nats-user", user, "--nats-password", secrets.passwords[user])
}

// prefstream is one run of the binary, its output kept in a buffer.
type prefstream struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{} // closed when the process has exited; err is then set
	err    error
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startPrefstream starts the binary with args; its temporary files go to a test directory. The
// process is killed when the test ends.
func startPrefstream(t testing.TB, args ...string) *prefstream {
	t.Helper()
	p := &prefstream{cmd: exec.Command(binary, args...), out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// wait returns the run's exit error; after timeout it makes the process print its goroutines,
// kills it and fails the test.
func (p *prefstream) wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	err, ok := p.waitFor(timeout)
	if !ok {
		t.Fatalf("prefstream %s did not finish in %s; output:\n%s", strings.Join(p.cmd.Args[1:], " "), timeout, tail(p.out.String(), 60000))
	}
	return err
}

// waitFor returns the run's exit error and true, or, after timeout, makes the process print its
// goroutines (a Go program does on SIGQUIT), kills it and returns false.
func (p *prefstream) waitFor(timeout time.Duration) (error, bool) {
	select {
	case <-p.exited:
		return p.err, true
	case <-time.After(timeout):
		_ = p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		return nil, false
	}
}

func (p *prefstream) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// runPrefstream runs the binary to the end and fails the test if it fails.
func runPrefstream(t testing.TB, timeout time.Duration, args ...string) string {
	t.Helper()
	p := startPrefstream(t, args...)
	if err := p.wait(t, timeout); err != nil {
		t.Fatalf("prefstream %s: %v; output:\n%s", strings.Join(args, " "), err, tail(p.out.String(), 4000))
	}
	return p.out.String()
}

var (
	sitesMu sync.Mutex
	sites   = map[string]string{}
)

// site generates (once per test binary) a Stack Exchange site with gen's arguments and returns
// its folder.
func site(t testing.TB, genArgs ...string) string {
	t.Helper()
	key := strings.Join(genArgs, " ")
	sitesMu.Lock()
	defer sitesMu.Unlock()
	if dir, ok := sites[key]; ok {
		return dir
	}
	out := filepath.Join(workDir, fmt.Sprintf("site-%d", len(sites)))
	runPrefstream(t, 5*time.Minute, append([]string{"gen", "stackexchange", "--quiet", "--out", out}, genArgs...)...)
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("gen made %v in %s: %v", entries, out, err)
	}
	sites[key] = filepath.Join(out, entries[0].Name())
	return sites[key]
}

// pairIDs reads the pair ids committed to a lake, failing on a pair committed twice.
func pairIDs(t testing.TB, lakeDir string) map[string]bool {
	t.Helper()
	type row struct {
		PairID string `parquet:"pair_id"`
	}
	ids := map[string]bool{}
	var dups []string
	err := lake.Scan(filepath.Join(lakeDir, "pairs"), func(_ string, rows []row) error {
		for _, r := range rows {
			if ids[r.PairID] {
				dups = append(dups, r.PairID)
			}
			ids[r.PairID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dups) > 0 {
		t.Fatalf("%d pairs committed twice to %s, e.g. %v", len(dups), lakeDir, dups[:min(5, len(dups))])
	}
	return ids
}

// sameIDs fails unless got and want hold the same pair ids.
func sameIDs(t testing.TB, got, want map[string]bool, what string) {
	t.Helper()
	var missing, extra []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Fatalf("%s: %d pairs, want %d: %d missing (e.g. %v), %d extra (e.g. %v)", what, len(got), len(want),
			len(missing), missing[:min(3, len(missing))], len(extra), extra[:min(3, len(extra))])
	}
}
