package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/synth"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure a stage beside its baselines, in one run"}
	var dir string
	var big, small sizeFlag = 1 << 30, 256 << 20
	var skip7z bool
	se := &cobra.Command{
		Use:   "stackexchange",
		Short: "Pipeline MB/s on a generated site beside encoding/xml and 7z, and peak RSS at two sizes",
		Long: `Generates two sites (kept in --dir for later runs), then measures, in this order:
  1. a plain encoding/xml token loop over Posts.xml and Votes.xml (baseline)
  2. the whole pipeline (ingest, featurize, sink) on the extracted site
  3. 7z x -so of the site's .7z to /dev/null (baseline)
  4. the whole pipeline on the .7z
  5. the pipeline on the small site, for peak RSS against the big one
Each pipeline runs as a child process on a fresh embedded server, so its peak RSS is its own.
MB/s are of uncompressed XML (Posts.xml + Votes.xml).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchStackExchange(cmd.OutOrStdout(), dir, int64(big), int64(small), !skip7z)
		},
	}
	se.Flags().StringVar(&dir, "dir", "./bench-stackexchange", "where the generated sites and runs live")
	se.Flags().Var(&big, "size", "Posts.xml size of the big site")
	se.Flags().Var(&small, "small", "Posts.xml size of the small site")
	se.Flags().BoolVar(&skip7z, "skip-7z", false, "skip the .7z measurements")
	cmd.AddCommand(se)
	return cmd
}

type benchSite struct {
	dir, archive string
	xmlBytes     int64
}

func ensureSite(dir string, size int64, sevenZip bool) (benchSite, error) {
	site := fmt.Sprintf("bench%d.stackexchange.com", size>>20)
	s := benchSite{dir: filepath.Join(dir, site), archive: filepath.Join(dir, site+".7z")}
	marker := filepath.Join(dir, site+".done")
	if _, err := os.Stat(marker); err != nil || (sevenZip && !exists(s.archive)) {
		fmt.Fprintf(os.Stderr, "generating %s (%d MB)...\n", site, size>>20)
		o := synth.DefaultOptions()
		o.Site, o.TargetBytes, o.SevenZip, o.Seed = site, size, sevenZip, 42
		if _, err := synth.StackExchange(dir, o); err != nil {
			return s, err
		}
		if err := os.WriteFile(marker, nil, 0o644); err != nil {
			return s, err
		}
	}
	for _, f := range []string{"Posts.xml", "Votes.xml"} {
		fi, err := os.Stat(filepath.Join(s.dir, f))
		if err != nil {
			return s, err
		}
		s.xmlBytes += fi.Size()
	}
	return s, nil
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

type measurement struct {
	name    string
	seconds float64
	rssMB   float64
}

func (m measurement) mbps(bytes int64) float64 { return float64(bytes) / 1e6 / m.seconds }

func benchStackExchange(w io.Writer, dir string, big, small int64, with7z bool) error {
	if with7z {
		if _, err := exec.LookPath("7z"); err != nil {
			return errors.New("the 7z command is needed for the .7z measurements (Debian p7zip-full), or pass --skip-7z")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bigSite, err := ensureSite(dir, big, with7z)
	if err != nil {
		return err
	}
	smallSite, err := ensureSite(dir, small, false)
	if err != nil {
		return err
	}
	var results []measurement
	add := func(m measurement, err error) error {
		if err == nil {
			results = append(results, m)
			fmt.Fprintf(os.Stderr, "%-40s %8.1fs\n", m.name, m.seconds)
		}
		return err
	}
	if err := add(timeXMLLoop(bigSite.dir)); err != nil {
		return err
	}
	if err := add(timePipeline(dir, "pipeline (xml)", bigSite.dir)); err != nil {
		return err
	}
	if with7z {
		if err := add(time7z(bigSite.archive)); err != nil {
			return err
		}
		if err := add(timePipeline(dir, "pipeline (.7z)", bigSite.archive)); err != nil {
			return err
		}
	}
	if err := add(timePipeline(dir, "pipeline (xml, small site)", smallSite.dir)); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nStack Exchange pipeline, %s: %.0f MB of XML (Posts.xml + Votes.xml)\n", filepath.Base(bigSite.dir), float64(bigSite.xmlBytes)/1e6)
	fmt.Fprintf(w, "%-32s %10s %10s %10s\n", "run", "seconds", "MB/s", "peak RSS")
	for _, m := range results {
		bytes := bigSite.xmlBytes
		if m.name == "pipeline (xml, small site)" {
			bytes = smallSite.xmlBytes
		}
		rss := "-"
		if m.rssMB > 0 {
			rss = fmt.Sprintf("%.0f MB", m.rssMB)
		}
		fmt.Fprintf(w, "%-32s %10.1f %10.1f %10s\n", m.name, m.seconds, m.mbps(bytes), rss)
	}
	byName := map[string]measurement{}
	for _, m := range results {
		byName[m.name] = m
	}
	xmlRatio := byName["encoding/xml loop"].seconds / byName["pipeline (xml)"].seconds
	fmt.Fprintf(w, "\npipeline (xml) / encoding/xml loop: %.2fx (goal >= 2x)\n", xmlRatio)
	if with7z {
		fmt.Fprintf(w, "pipeline (.7z) / 7z x -so alone:    %.2fx (goal >= 0.9x)\n", byName["7z x -so"].seconds/byName["pipeline (.7z)"].seconds)
	}
	fmt.Fprintf(w, "peak RSS %s / %s site:  %.2fx (goal <= 1.25x)\n", sizeName(big), sizeName(small),
		byName["pipeline (xml)"].rssMB/byName["pipeline (xml, small site)"].rssMB)
	return nil
}

func sizeName(n int64) string { return fmt.Sprintf("%d MB", n>>20) }

// timeXMLLoop is the baseline: encoding/xml reading every token of the site's two files.
func timeXMLLoop(siteDir string) (measurement, error) {
	start := time.Now()
	for _, name := range []string{"Posts.xml", "Votes.xml"} {
		f, err := os.Open(filepath.Join(siteDir, name))
		if err != nil {
			return measurement{}, err
		}
		dec := xml.NewDecoder(bufio.NewReaderSize(f, 1<<20))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return measurement{}, fmt.Errorf("encoding/xml on %s: %w", name, err)
			}
			if se, ok := tok.(xml.StartElement); ok && len(se.Attr) == 0 && se.Name.Local == "row" {
				return measurement{}, fmt.Errorf("%s: a row without attributes", name)
			}
		}
		f.Close()
	}
	return measurement{name: "encoding/xml loop", seconds: time.Since(start).Seconds()}, nil
}

func time7z(archive string) (measurement, error) {
	start := time.Now()
	cmd := exec.Command("7z", "x", "-so", archive)
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return measurement{}, fmt.Errorf("7z x -so %s: %w", archive, err)
	}
	return measurement{name: "7z x -so", seconds: time.Since(start).Seconds(), rssMB: rssOf(cmd.ProcessState)}, nil
}

// timePipeline runs `prefstream pipeline` on input in a child process with a fresh data dir.
func timePipeline(dir, name, input string) (measurement, error) {
	self, err := os.Executable()
	if err != nil {
		return measurement{}, err
	}
	run := filepath.Join(dir, "run")
	if err := os.RemoveAll(run); err != nil {
		return measurement{}, err
	}
	summary := filepath.Join(dir, "summary.json")
	cmd := exec.Command(self, "pipeline", "--log-level", "warn", "--data-dir", filepath.Join(run, "data"),
		"--lake", filepath.Join(run, "lake"), "--summary", summary, "stackexchange="+input)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return measurement{}, fmt.Errorf("%s: %w", name, err)
	}
	m := measurement{name: name, seconds: time.Since(start).Seconds(), rssMB: rssOf(cmd.ProcessState)}
	var sum Summary
	if data, err := os.ReadFile(summary); err == nil && json.Unmarshal(data, &sum) == nil {
		fmt.Fprintf(os.Stderr, "  %s: %d documents, %d pairs\n", name, sum.Documents["stackexchange"], sum.Pairs["stackexchange"])
	}
	return m, os.RemoveAll(run)
}

func rssOf(ps *os.ProcessState) float64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return 0
}
