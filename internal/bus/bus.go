package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the JetStream server is and how to reach it.
type Config struct {
	// URL of a nats-server or cluster; empty starts an embedded server in DataDir.
	URL     string
	DataDir string
	// Replicas of every stream and bucket: 1 on the embedded default, 3 on a cluster.
	Replicas int
	// Name is the client connection name, e.g. "prefstream-ingest".
	Name string
	// Credentials (any may be empty).
	CredsFile, NKeyFile, User, Password string
	TLSCA, TLSCert, TLSKey              string
	// SyncAlways makes the embedded server fsync every write.
	SyncAlways bool
	// OnDenied, if set, is called once when the server refuses this client a subject (a
	// permissions violation, which nats.go reports only asynchronously while the denied request
	// waits out its timeout). The error names the subject. Connect itself fails at once with it;
	// a running service should stop on it (cmd/prefstream cancels the command).
	OnDenied func(error)
}

// Bus is a live connection to JetStream, and the embedded server behind it when there is one.
type Bus struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	Server   *server.Server
	Replicas int

	user     string
	onDenied func(error)
	mu       sync.Mutex
	denied   error
}

// Connect joins the server in c.URL, or starts the embedded one, and makes sure every stream and
// bucket of the topology exists.
func Connect(ctx context.Context, c Config) (*Bus, error) {
	b := &Bus{Replicas: max(c.Replicas, 1), user: c.User}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b.onDenied = func(err error) {
		cancel(err)
		if c.OnDenied != nil {
			c.OnDenied(err)
		}
	}
	opts := []nats.Option{nats.Name(c.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond), nats.ErrorHandler(b.asyncError)}
	opts = append(opts, c.authOptions()...)
	url := c.URL
	if url == "" {
		ns, err := StartServer(ServerOptions{DataDir: c.DataDir, SyncAlways: c.SyncAlways})
		if err != nil {
			return nil, err
		}
		b.Server = ns
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("bus: connect %s: %w", describe(url), err)
	}
	b.NC = nc
	// An async publish whose ack never comes (the message or the ack was lost with a node that
	// died) fails after the timeout instead of waiting forever; the Publisher then re-sends it
	// under the same message id, which the server deduplicates. The timeout is how long a
	// failover stalls a publisher; one that fires on a slow ack costs only a re-send.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(256), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.JS = js
	if err := EnsureTopology(ctx, js, b.Replicas); err != nil {
		if denied := b.Denied(); denied != nil {
			err = denied
		}
		b.Close()
		return nil, err
	}
	return b, nil
}

// asyncError receives the errors the server reports asynchronously. A permissions violation
// ("Permissions Violation for Publish to \"raw.x\"") or a lost authorization is a configuration
// error no retry fixes: it is recorded and reported once, to stop the service.
func (b *Bus) asyncError(_ *nats.Conn, _ *nats.Subscription, err error) {
	if !errors.Is(err, nats.ErrPermissionViolation) && !errors.Is(err, nats.ErrAuthorization) {
		return
	}
	who := "this client"
	if b.user != "" {
		who = fmt.Sprintf("NATS user %q", b.user)
	}
	b.mu.Lock()
	first := b.denied == nil
	if first {
		b.denied = fmt.Errorf("bus: the server denied %s: %w", who, err)
	}
	denied := b.denied
	b.mu.Unlock()
	if first && b.onDenied != nil {
		b.onDenied(denied)
	}
}

// Denied returns the first permissions violation or authorization error the server reported
// for this connection, or nil.
func (b *Bus) Denied() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.denied
}

func (c Config) authOptions() []nats.Option {
	var opts []nats.Option
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.NKeyFile != "" {
		if opt, err := nats.NkeyOptionFromSeed(c.NKeyFile); err == nil {
			opts = append(opts, opt)
		} else {
			opts = append(opts, func(*nats.Options) error { return fmt.Errorf("nkey %s: %w", c.NKeyFile, err) })
		}
	}
	if c.User != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.TLSCert != "" || c.TLSKey != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	return opts
}

func describe(url string) string {
	if url == "" {
		return "embedded server"
	}
	return url
}

// MaxPayload is the largest message the server accepts.
func (b *Bus) MaxPayload() int { return int(b.NC.MaxPayload()) }

// Close drains the connection and stops the embedded server, if any.
func (b *Bus) Close() error {
	var err error
	if b.NC != nil {
		if derr := b.NC.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
			err = derr
		}
		for i := 0; i < 200 && !b.NC.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		b.NC.Close()
	}
	b.shutdownServer()
	return err
}

func (b *Bus) shutdownServer() {
	if b.Server != nil {
		b.Server.Shutdown()
		b.Server.WaitForShutdown()
	}
}
