package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
)

// modelsCLI runs the prefstream command line in this process and returns what it printed.
func modelsCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--log-level", "error", "--memory-limit", "0"}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// publishModels stores versions of "pm" under dataDir, as a trainer would.
func publishModels(t *testing.T, dataDir string, blobs ...string) []registry.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	reg, err := registry.Open(ctx, b.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	var entries []registry.Entry
	for i, blob := range blobs {
		e, err := reg.Publish(ctx, registry.Entry{Name: "pm", Kind: "pm", Tokenizer: "bpe-v1",
			Metrics: map[string]float64{"acc": 0.6 + 0.1*float64(i), "loss": 0.9}}, strings.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	return entries
}

func TestModelsListExportImport(t *testing.T) {
	work := t.TempDir()
	dataA, dataB := filepath.Join(work, "a"), filepath.Join(work, "b")
	published := publishModels(t, dataA, "first checkpoint", strings.Repeat("weights ", 100_000))

	out, err := modelsCLI(t, "--data-dir", dataA, "models", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("list printed:\n%s", out)
	}
	for i, want := range [][]string{
		{"pm", "1", "pm", "16 B", published[0].SHA256[:12], "acc=0.6 loss=0.9"},
		{"pm", "2", "pm", "781.2 KiB", published[1].SHA256[:12], "acc=0.7 loss=0.9"},
	} {
		for _, field := range want {
			if !strings.Contains(lines[i+1], field) {
				t.Fatalf("list line %q lacks %q", lines[i+1], field)
			}
		}
	}

	out, err = modelsCLI(t, "--data-dir", dataA, "models", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var listed []registry.Entry
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("list --json printed %q: %v", out, err)
	}
	if len(listed) != 2 || listed[1].SHA256 != published[1].SHA256 || listed[1].Tokenizer != "bpe-v1" {
		t.Fatalf("list --json = %+v", listed)
	}

	file := filepath.Join(work, "pm-2.model")
	if _, err := modelsCLI(t, "--data-dir", dataA, "models", "export", "pm", file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(registry.Magic+"\n")) || !bytes.HasSuffix(data, []byte(strings.Repeat("weights ", 100_000))) {
		t.Fatalf("export wrote %d bytes that are not pm@2's model file", len(data))
	}

	for _, as := range []string{"", "pm-copy"} {
		args := []string{"--data-dir", dataB, "models", "import", file}
		if as != "" {
			args = append(args, "--as", as)
		}
		out, err = modelsCLI(t, args...)
		want := registry.Ref(cmp.Or(as, "pm"), 2) + "\t781.2 KiB\t" + published[1].SHA256
		if err != nil || strings.TrimSpace(out) != want {
			t.Fatalf("import --as %q printed %q, %v; want %q", as, out, err, want)
		}
	}
	out, err = modelsCLI(t, "--data-dir", dataB, "models", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	listed = nil
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].Ref() != "pm@2" || listed[1].Ref() != "pm-copy@2" || !listed[0].Created.Equal(published[1].Created) {
		t.Fatalf("after import the second server lists %+v", listed)
	}
	// The second server exports the very file the first did.
	out, err = modelsCLI(t, "--data-dir", dataB, "models", "export", "pm@2", "-")
	if err != nil || out != string(data) {
		t.Fatalf("the second server's export differs (%d bytes, want %d): %v", len(out), len(data), err)
	}
}

func TestModelsBadInput(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	publishModels(t, data, "v1")
	garbage := filepath.Join(work, "garbage.model")
	if err := os.WriteFile(garbage, []byte("not a model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad version", []string{"models", "export", "pm@x", filepath.Join(work, "x")}, `registry: reference "pm@x": version "x"`},
		{"negative version", []string{"models", "export", "pm@-1", filepath.Join(work, "x")}, `version "-1"`},
		{"missing version", []string{"models", "export", "pm@9", filepath.Join(work, "x")}, "registry: pm@9: not found"},
		{"missing model", []string{"models", "export", "nope", filepath.Join(work, "x")}, "registry: nope: not found"},
		{"export without file", []string{"models", "export", "pm"}, "accepts 2 arg(s)"},
		{"not a model file", []string{"models", "import", garbage}, "registry: import " + garbage + ": byte 0: not a model file"},
		{"missing file", []string{"models", "import", filepath.Join(work, "none.model")}, "no such file"},
		{"bad --as", []string{"models", "import", garbage, "--as", "a.b"}, "--as: model name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := modelsCLI(t, append([]string{"--data-dir", data}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(work, "x")); !os.IsNotExist(err) {
		t.Fatalf("a failed export left a file: %v", err)
	}
}
