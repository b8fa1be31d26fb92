package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/synth"
)

func newBenchRedditCmd() *cobra.Command {
	var dir string
	var big, small sizeFlag = 1 << 30, 256 << 20
	cmd := &cobra.Command{
		Use:   "reddit",
		Short: "Pipeline MB/s on a generated Reddit month beside zstd -dc and an encoding/json loop",
		Long: `Generates two months (kept in --dir), then measures, in one run:
  1. zstd -dc --long=31 of the month's files to /dev/null (baseline; needs the zstd command)
  2. a plain encoding/json decode-into-a-map loop over the same NDJSON (baseline)
  3. the whole pipeline (ingest, featurize, sink) on the month
  4. the pipeline on the small month, for peak RSS against the big one
Each run is a child process, so its time and peak RSS are its own.
MB/s are of decompressed NDJSON (comments + submissions).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchReddit(cmd.OutOrStdout(), dir, int64(big), int64(small))
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./bench-reddit", "where the generated months and runs live")
	cmd.Flags().Var(&big, "size", "uncompressed comments of the big month")
	cmd.Flags().Var(&small, "small", "uncompressed comments of the small month")
	return cmd
}

func newBenchWikipediaCmd() *cobra.Command {
	var dir string
	var big, small sizeFlag = 1 << 30, 256 << 20
	cmd := &cobra.Command{
		Use:   "wikipedia",
		Short: "Pipeline MB/s on a generated .bz2 history beside bzip2 -dc",
		Long: `Generates two histories (kept in --dir), then measures, in one run:
  1. bzip2 -dc of the .bz2 to /dev/null (baseline)
  2. the whole pipeline on the .bz2
  3. the pipeline on the small history, for peak RSS against the big one
MB/s are of uncompressed XML.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchWikipedia(cmd.OutOrStdout(), dir, int64(big), int64(small))
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./bench-wikipedia", "where the generated histories and runs live")
	cmd.Flags().Var(&big, "size", "uncompressed XML of the big history")
	cmd.Flags().Var(&small, "small", "uncompressed XML of the small history")
	return cmd
}

// generated is a benchmark input made once and kept: its files and uncompressed bytes.
type generated struct {
	Files []string `json:"files"`
	Bytes int64    `json:"bytes"`
}

// ensureGenerated makes an input with make, or reuses the one a marker file describes.
func ensureGenerated(marker string, make func() (generated, error)) (generated, error) {
	var g generated
	if data, err := os.ReadFile(marker); err == nil && json.Unmarshal(data, &g) == nil {
		return g, nil
	}
	fmt.Fprintf(os.Stderr, "generating %s...\n", filepath.Base(marker))
	g, err := make()
	if err != nil {
		return g, err
	}
	return g, writeJSON(marker, g)
}

func redditMonth(dir string, size int64) (generated, error) {
	sub := filepath.Join(dir, fmt.Sprintf("reddit%d", size>>20))
	return ensureGenerated(sub+".json", func() (generated, error) {
		st, err := synth.Reddit(sub, synth.RedditOptions{Month: "2015-06", TargetBytes: size, Seed: 42})
		return generated{Files: st.Files, Bytes: st.CommentBytes + st.SubmissionBytes}, err
	})
}

func benchReddit(w io.Writer, dir string, big, small int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bigMonth, err := redditMonth(dir, big)
	if err != nil {
		return err
	}
	smallMonth, err := redditMonth(dir, small)
	if err != nil {
		return err
	}
	r := report{title: fmt.Sprintf("Reddit pipeline: %.0f MB of NDJSON (comments + submissions)", float64(bigMonth.Bytes)/1e6)}
	if _, err := exec.LookPath("zstd"); err == nil {
		args := append([]string{"-dc", "--long=31"}, bigMonth.Files...)
		if err := r.add(bigMonth.Bytes)(timeCommand("zstd -dc --long=31", "zstd", args...)); err != nil {
			return err
		}
	}
	if err := r.add(bigMonth.Bytes)(timeLoop("encoding/json loop", "json", bigMonth.Files...)); err != nil {
		return err
	}
	if err := r.add(bigMonth.Bytes)(timePipeline(dir, "pipeline", inputsOf("reddit", bigMonth.Files)...)); err != nil {
		return err
	}
	if err := r.add(smallMonth.Bytes)(timePipeline(dir, "pipeline (small month)", inputsOf("reddit", smallMonth.Files)...)); err != nil {
		return err
	}
	r.print(w)
	r.ratio(w, "pipeline / encoding/json loop", "encoding/json loop", "pipeline", ">= 3x")
	if r.get("zstd -dc --long=31").seconds > 0 {
		r.ratio(w, "pipeline / zstd -dc alone", "zstd -dc --long=31", "pipeline", "none, for scale")
	}
	r.rssRatio(w, big, small, "pipeline", "pipeline (small month)")
	return nil
}

func inputsOf(source string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = source + "=" + f
	}
	return out
}

// jsonLoop is the Reddit baseline: zstd-decode a file and decode every line into a map.
func jsonLoop(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec, err := zstd.NewReader(f, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderLowmem(true))
	if err != nil {
		return err
	}
	defer dec.Close()
	sc := bufio.NewScanner(dec)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("encoding/json on %s: %w", path, err)
		}
	}
	return sc.Err()
}

func wikiHistory(dir string, size int64) (generated, error) {
	base := fmt.Sprintf("benchwiki%d-pages-meta-history", size>>20)
	return ensureGenerated(filepath.Join(dir, base+".json"), func() (generated, error) {
		st, err := synth.Wikipedia(dir, synth.WikipediaOptions{TargetBytes: size, Seed: 42, Base: base, Bzip2: true})
		return generated{Files: st.Files, Bytes: st.XMLBytes}, err
	})
}

func benchWikipedia(w io.Writer, dir string, big, small int64) error {
	if _, err := exec.LookPath("bzip2"); err != nil {
		return errors.New("the bzip2 command is needed to make and time the .bz2 history")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bigHistory, err := wikiHistory(dir, big)
	if err != nil {
		return err
	}
	smallHistory, err := wikiHistory(dir, small)
	if err != nil {
		return err
	}
	bz2 := bigHistory.Files[len(bigHistory.Files)-1]
	r := report{title: fmt.Sprintf("Wikipedia pipeline: %s, %.0f MB of XML", filepath.Base(bz2), float64(bigHistory.Bytes)/1e6)}
	if err := r.add(bigHistory.Bytes)(timeCommand("bzip2 -dc", "bzip2", "-dc", bz2)); err != nil {
		return err
	}
	if err := r.add(bigHistory.Bytes)(timePipeline(dir, "pipeline (.bz2)", "wikipedia="+bz2)); err != nil {
		return err
	}
	smallBz2 := smallHistory.Files[len(smallHistory.Files)-1]
	if err := r.add(smallHistory.Bytes)(timePipeline(dir, "pipeline (.bz2, small)", "wikipedia="+smallBz2)); err != nil {
		return err
	}
	r.print(w)
	r.ratio(w, "pipeline / bzip2 -dc alone", "bzip2 -dc", "pipeline (.bz2)", ">= 1.5x")
	r.rssRatio(w, big, small, "pipeline (.bz2)", "pipeline (.bz2, small)")
	return nil
}
