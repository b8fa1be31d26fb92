package bus

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// restartableServer is an embedded server on a TCP port that a test can take down and bring
// back on the same store, as a client sees a node that dies and is replaced.
type restartableServer struct {
	t         *testing.T
	dir, addr string
	ns        *server.Server
	restarted chan struct{} // closed once the last outage is over
}

func startRestartable(t *testing.T) *restartableServer {
	t.Helper()
	r := &restartableServer{t: t, dir: t.TempDir(), addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), restarted: make(chan struct{})}
	close(r.restarted)
	ns, err := StartServer(ServerOptions{DataDir: r.dir, Listen: r.addr})
	if err != nil {
		t.Fatal(err)
	}
	r.ns = ns
	t.Cleanup(func() {
		<-r.restarted
		r.ns.Shutdown()
	})
	return r
}

// connect returns a client of the server, closed when the test ends.
func (r *restartableServer) connect(ctx context.Context) *Bus {
	r.t.Helper()
	b, err := Connect(ctx, Config{URL: "nats://" + r.addr, Name: r.t.Name()})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = b.Close() })
	return b
}

// outage shuts the server down now and starts it again after down, in the background.
func (r *restartableServer) outage(down time.Duration) {
	<-r.restarted
	r.ns.Shutdown()
	r.ns.WaitForShutdown()
	r.restarted = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		time.Sleep(down)
		ns, err := StartServer(ServerOptions{DataDir: r.dir, Listen: r.addr})
		if err != nil {
			r.t.Error(err)
			return
		}
		r.ns = ns
	}(r.restarted)
}

// waitRestarted returns once the last outage is over.
func (r *restartableServer) waitRestarted() { <-r.restarted }

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
