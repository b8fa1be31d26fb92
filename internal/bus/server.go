package bus

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedMaxPayload is the max message size of the embedded server: large enough for Arrow
// batches of about a thousand long posts.
const EmbeddedMaxPayload = 8 << 20

// ServerOptions configures an embedded nats-server.
type ServerOptions struct {
	// DataDir holds the JetStream store (DataDir/jetstream).
	DataDir string
	// Listen is host:port to accept clients on; empty means in-process connections only.
	Listen string
	// SyncAlways fsyncs every write instead of every two minutes.
	SyncAlways bool
}

// StartServer starts an in-process nats-server with JetStream on a file store.
func StartServer(o ServerOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName: "prefstream-embedded",
		JetStream:  true,
		StoreDir:   filepath.Join(o.DataDir, "jetstream"),
		MaxPayload: EmbeddedMaxPayload,
		SyncAlways: o.SyncAlways,
		NoSigs:     true,
	}
	if o.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := splitHostPort(o.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded server in %s: %w", o.DataDir, err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("bus: embedded server in %s did not become ready", o.DataDir)
	}
	return ns, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("bus: listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return "", 0, fmt.Errorf("bus: listen address %q: bad port", addr)
	}
	return host, port, nil
}
