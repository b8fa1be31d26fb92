package bus

import (
	"context"
	"errors"
	"fmt"
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
}

// Bus is a live connection to JetStream, and the embedded server behind it when there is one.
type Bus struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	Server   *server.Server
	Replicas int
}

// Connect joins the server in c.URL, or starts the embedded one, and makes sure every stream and
// bucket of the topology exists.
func Connect(ctx context.Context, c Config) (*Bus, error) {
	b := &Bus{Replicas: max(c.Replicas, 1)}
	opts := []nats.Option{nats.Name(c.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
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
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(256))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.JS = js
	if err := EnsureTopology(ctx, js, b.Replicas); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
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
