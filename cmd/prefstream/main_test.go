package main

import (
	"os"
	"testing"
)

// TestMain lets tests run the real binary as a child process (to kill it with SIGKILL): the test
// binary re-executes itself with PREFSTREAM_RUN_MAIN=1 and the command line.
func TestMain(m *testing.M) {
	if os.Getenv("PREFSTREAM_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
