package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/trainer"
)

func newBenchPMCmd() *cobra.Command {
	var preset, reference, python string
	var batch, steps, threads int
	cmd := &cobra.Command{
		Use:   "pm",
		Short: "Preference-model training throughput beside the PyTorch reference, in one run",
		Long: `Trains the --preset model (default tiny, the architecture of shared/bench/pm_reference.py) with
the ranked loss on random full-context token pairs, --batch pairs per step, and reports pairs/s
and tokens/s; then runs the PyTorch reference with the same batch and --threads and prints both
and their ratio. The Go figure is for the BLAS this binary was built with: the default pure-Go
build, or OpenBLAS with -tags openblas (cgo, libopenblas-dev). Without python3-torch the
reference is reported as unavailable.`,
		Example: `  prefstream bench pm
  go run -tags openblas ./cmd/prefstream bench pm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchPM(cmd.Context(), cmd.OutOrStdout(), preset, batch, steps, threads, python, reference)
		},
	}
	cmd.Flags().StringVar(&preset, "preset", "tiny", "model preset")
	cmd.Flags().IntVar(&batch, "batch", 16, "pairs per step")
	cmd.Flags().IntVar(&steps, "steps", 30, "timed steps (after 3 warm-up steps)")
	cmd.Flags().IntVar(&threads, "threads", 2, "threads of the PyTorch reference")
	cmd.Flags().StringVar(&python, "python", "/usr/bin/python3", "python with torch")
	cmd.Flags().StringVar(&reference, "reference", "", "path of pm_reference.py (default: found in ../shared/bench or ./shared/bench)")
	return cmd
}

var referencePairsPerS = regexp.MustCompile(`pairs_per_s=([0-9.]+) tokens_per_s=([0-9.]+)`)

func benchPM(ctx context.Context, out io.Writer, preset string, batch, steps, threads int, python, reference string) error {
	fmt.Fprintf(out, "training throughput, preset %s, batch %d pairs, %d steps\n", preset, batch, steps)
	got, err := trainer.BenchPM(preset, batch, steps, 3)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  prefstream (%s): %8.1f pairs/s %10.0f tokens/s  (%.2f s)\n", got.BLAS, got.PairsPerS, got.TokensPerS, got.Seconds)
	if preset != "tiny" {
		fmt.Fprintln(out, "  (the PyTorch reference implements the tiny preset only)")
		return nil
	}
	ref, err := runReference(ctx, python, findReference(reference, "pm_reference.py"), "--threads", strconv.Itoa(threads),
		"--batch", strconv.Itoa(batch), "--steps", strconv.Itoa(steps))
	if err != nil {
		fmt.Fprintf(out, "  PyTorch reference: unavailable (%v)\n", err)
		return nil
	}
	m := referencePairsPerS.FindStringSubmatch(ref)
	if m == nil {
		return fmt.Errorf("the reference printed %q", ref)
	}
	pairs, _ := strconv.ParseFloat(m[1], 64)
	tokens, _ := strconv.ParseFloat(m[2], 64)
	fmt.Fprintf(out, "  PyTorch reference (%d threads): %8.1f pairs/s %10.0f tokens/s\n", threads, pairs, tokens)
	fmt.Fprintf(out, "  ratio prefstream / PyTorch: %.2fx\n", got.PairsPerS/pairs)
	return nil
}

// findReference locates a script of shared/bench from the working directory.
func findReference(given, name string) string {
	if given != "" {
		return given
	}
	for _, dir := range []string{"../shared/bench", "shared/bench", "../../shared/bench", "../../../shared/bench"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join("../shared/bench", name)
}

func runReference(ctx context.Context, python, script string, args ...string) (string, error) {
	if _, err := os.Stat(script); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, append([]string{script}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if len(msg) > 300 {
			msg = msg[len(msg)-300:]
		}
		return "", fmt.Errorf("%s %s: %v: %s", python, script, err, msg)
	}
	return stdout.String(), nil
}
