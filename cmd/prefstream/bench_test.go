package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestBenchLoop: the baseline loops the benchmarks time in a child process read every record of
// a good file and fail, naming the file, on a bad one.
func TestBenchLoop(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	zstdOf := func(s string) []byte {
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll([]byte(s), nil)
	}
	goodXML := write("Posts.xml", []byte("<?xml version=\"1.0\"?>\n<posts>\n  <row Id=\"1\" PostTypeId=\"1\" />\n</posts>\n"))
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"xml", []string{"xml", goodXML}, ""},
		{"truncated xml", []string{"xml", write("cut.xml", []byte("<posts>\n  <row Id=\"1\" PostTyp"))}, "cut.xml"},
		{"a row without attributes", []string{"xml", write("bare.xml", []byte("<posts><row/></posts>"))}, "bare.xml: a row without attributes"},
		{"json", []string{"json", write("RC.zst", zstdOf("{\"id\":\"a\",\"score\":3}\n{\"id\":\"b\"}\n"))}, ""},
		{"bad json", []string{"json", write("bad.zst", zstdOf("{\"id\":\n"))}, "bad.zst"},
		{"unknown loop", []string{"yaml", goodXML}, `no baseline loop "yaml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := modelsCLI(t, append([]string{"bench", "loop"}, tc.args...)...)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("loop failed: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
	if path := filepath.Join(realStackExchange, "Posts.xml"); exists(path) {
		if _, err := modelsCLI(t, "bench", "loop", "xml", path, filepath.Join(realStackExchange, "Votes.xml")); err != nil {
			t.Errorf("the real sample: %v", err)
		}
	}
}
