package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/registry"
	"github.com/prefstream/prefstream/rollout"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// rolloutCLI runs the command line in this process and returns what it printed.
func rolloutCLI(t *testing.T, args ...string) (string, error) {
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

func TestRolloutFlagsAreChecked(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"rollout"}, "--run NAME is required"},
		{[]string{"rollout", "--run", "a.b"}, "run name"},
		{[]string{"rollout", "--run", "r", "--batch", "0"}, "--batch 0"},
		{[]string{"rollout", "--run", "r", "--temperature", "0"}, "--temperature 0"},
		{[]string{"rollout", "--run", "r", "--max-new", "0"}, "--max-new 0"},
		{[]string{"rollout", "--run", "r", "--top-p", "1.5"}, "top-p 1.5"},
		{[]string{"rollout", "--run", "r", "--ack-wait", "10ms"}, "ack wait"},
		{[]string{"rollout", "--run", "r", "--prompts", "pairs.>"}, "want prompts.>"},
		{[]string{"rollout", "--run", "r", "extra"}, "unknown command"},
		{[]string{"rollout", "--run", "r", "--workers", "0"}, "--workers 0"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := rolloutCLI(t, append([]string{"--data-dir", dir}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Nothing was started for a refused command.
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused command touched the data directory: %v", entries)
	}
	out, err := rolloutCLI(t, "rollout", "--help")
	if err != nil || !strings.Contains(out, "--until-idle") || !strings.Contains(out, "rollout-NAME") {
		t.Fatalf("help: %v\n%s", err, out)
	}
}

// The command's two workers sample every prompt once with the run's policy and print their totals.
func TestRolloutCommand(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "js")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, b.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Train(func(yield func([]byte) bool) {
		for _, s := range []string{"how do I write a poem", "why is the sea salty", "what is a token"} {
			yield([]byte(s))
		}
	}, 280)
	if err != nil {
		t.Fatal(err)
	}
	publish := func(name, kind string, seed uint64, labels map[string]string) registry.Entry {
		m, err := trainer.New(trainer.Config{Vocab: tok.Vocab(), Context: 24, DModel: 8, Layers: 1, Heads: 2, DFF: 16, Kind: kind}, seed)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := (&trainer.Checkpoint{Model: m, Tok: tok}).WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		e, err := reg.Publish(ctx, registry.Entry{Name: name, Kind: kind, Labels: labels}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	pm := publish("pm-cli", trainer.KindPM, 1, nil)
	ref := publish("sft-cli", trainer.KindPolicy, 2, nil)
	publish(trainer.PolicyName("cli"), trainer.KindPolicy, 3, map[string]string{rollout.LabelPM: pm.Ref(), rollout.LabelReference: ref.Ref()})
	for m := range 3 {
		var ps []schemas.Prompt
		for i := range 4 {
			text := fmt.Sprintf("question %d.%d: why is the sea salty?", m, i)
			ps = append(ps, schemas.Prompt{PromptID: schemas.PromptID("cli", text), Text: text, Source: "cli"})
		}
		data, err := schemas.PromptCodec.Encode(ps)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.JS.Publish(ctx, bus.PromptSubject("cli"), data); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()

	out, err := rolloutCLI(t, "--data-dir", dataDir, "rollout", "--run", "cli", "--worker", "w-cli", "--workers", "2", "--batch", "4",
		"--max-new", "6", "--temperature", "0.8", "--until-idle", "1s")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	printed := regexp.MustCompile(`rollout cli, worker (w-cli-[12]): (\d+) trajectories .* (\d+) prompt messages; .* policy version 1;`).FindAllStringSubmatch(out, -1)
	trajectories, messages := 0, 0
	for _, m := range printed {
		n, _ := strconv.Atoi(m[2])
		k, _ := strconv.Atoi(m[3])
		trajectories, messages = trajectories+n, messages+k
	}
	if len(printed) != 2 || printed[0][1] == printed[1][1] || trajectories != 12 || messages != 3 {
		t.Fatalf("printed %q: want the totals of workers w-cli-1 and w-cli-2, 12 trajectories from 3 messages, version 1", out)
	}

	b, err = bus.Connect(ctx, bus.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	stream, err := b.JS.Stream(ctx, bus.StreamTrajectories)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		trajs, err := schemas.TrajectoryCodec.Decode(msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range trajs {
			if err := tr.Validate(); err != nil || !strings.HasPrefix(tr.Worker, "w-cli-") || tr.PolicyVersion != 1 || tr.Temperature != 0.8 || len(tr.ResponseTokens) > 6 {
				t.Fatalf("trajectory %+v: %v", tr, err)
			}
			seen[tr.PromptID] = true
		}
	}
	if len(seen) != 12 {
		t.Fatalf("%d prompts have trajectories, want 12", len(seen))
	}
}

// The benchmark runs end to end on small settings and parses the reference's line.
func TestBenchRollout(t *testing.T) {
	script := filepath.Join(t.TempDir(), "gen_reference.sh")
	if err := os.WriteFile(script, []byte("echo gen_tokens_per_s=123 batch=2 threads=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := benchRollout(context.Background(), &out, benchRolloutFlags{
		genPreset: "tiny", presets: []string{"nano"}, batch: 2, promptTokens: 8, maxNew: 8, rounds: 1,
		workers: 2, versions: 1, threads: 2, python: "/bin/sh", reference: script,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	for _, want := range []string{
		"rollout sampling, preset tiny, batch 2, 8-token prompts, 8 new tokens",
		"PyTorch reference (2 threads):      123 tokens/s",
		"ratio prefstream / PyTorch:",
		"policy switch: 2 workers",
		"  nano ",
		"was in flight",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
