// Command prefstream ingests proxy-preference dumps into NATS JetStream, turns them into
// preference pairs, writes them to a Parquet lake, and trains on them. Run `prefstream --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "prefstream:", err)
		os.Exit(1)
	}
}
