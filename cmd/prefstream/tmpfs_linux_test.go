package main

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestWarnHistoryOnTmpfs: a Reddit .zst ingest with TMPDIR on a tmpfs is warned about; other
// inputs are not.
func TestWarnHistoryOnTmpfs(t *testing.T) {
	mounts, err := os.ReadFile("/proc/mounts")
	if err != nil || !strings.Contains(string(mounts), " /dev/shm tmpfs ") {
		t.Skip("no tmpfs at /dev/shm")
	}
	t.Setenv("TMPDIR", "/dev/shm")
	cases := []struct {
		source string
		paths  []string
		warned bool
	}{
		{"reddit", []string{"RS_2015-06.zst", "RC_2015-06.zst"}, true},
		{"reddit", []string{"RC_2015-06.ndjson"}, false},
		{"stackexchange", []string{"site.7z"}, false},
	}
	for _, tc := range cases {
		core, logs := observer.New(zap.WarnLevel)
		warnHistoryOnTmpfs(&globals{log: zap.New(core)}, tc.source, tc.paths)
		if warned := logs.FilterMessageSnippet("tmpfs").Len() > 0; warned != tc.warned {
			t.Errorf("%s %v: warned %v, want %v", tc.source, tc.paths, warned, tc.warned)
		}
	}
	if !onTmpfs("/dev/shm") || onTmpfs("/proc") {
		t.Error("onTmpfs mistakes /dev/shm or /proc")
	}
}
