package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
Each run is a child process (each pipeline on a fresh embedded server), so its time and peak
RSS are its own.
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
	cmd.AddCommand(se, newBenchRedditCmd(), newBenchWikipediaCmd(), newBenchPMCmd(), newBenchRolloutCmd(), newBenchLoopCmd())
	return cmd
}

// baselineLoops are the decode loops the benchmarks compare against, by name.
var baselineLoops = map[string]func(path string) error{"xml": xmlLoop, "json": jsonLoop}

// newBenchLoopCmd runs one baseline decode loop: the benchmarks start it as a child process,
// as they do the pipeline, so that neither measurement runs beside the other's leftovers (the
// runtime returning a large heap to the system takes CPU from whatever runs next).
func newBenchLoopCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "loop xml|json FILE...",
		Short:  "Run a baseline decode loop over files (started by the benchmarks)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			loop, ok := baselineLoops[args[0]]
			if !ok {
				return fmt.Errorf("no baseline loop %q (xml, json)", args[0])
			}
			for _, path := range args[1:] {
				if err := loop(path); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// timeLoop times a baseline loop over files in a child process.
func timeLoop(name, loop string, files ...string) (measurement, error) {
	return timeSelf(name, append([]string{"bench", "loop", loop}, files...)...)
}

// timeSelf times this binary run with args in a child process, its stderr passed through.
func timeSelf(name string, args ...string) (measurement, error) {
	self, err := os.Executable()
	if err != nil {
		return measurement{}, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	m, err := runMeasured(name, cmd)
	if err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
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
	name       string
	seconds    float64
	cpuSeconds float64 // user + system, of the process and the children it waited for
	rssMB      float64
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
	var r report
	r.title = fmt.Sprintf("Stack Exchange pipeline, %s: %.0f MB of XML (Posts.xml + Votes.xml)", filepath.Base(bigSite.dir), float64(bigSite.xmlBytes)/1e6)
	xmlFiles := []string{filepath.Join(bigSite.dir, "Posts.xml"), filepath.Join(bigSite.dir, "Votes.xml")}
	if err := r.add(bigSite.xmlBytes)(timeLoop("encoding/xml loop", "xml", xmlFiles...)); err != nil {
		return err
	}
	if err := r.add(bigSite.xmlBytes)(timePipeline(dir, "pipeline (xml)", "stackexchange="+bigSite.dir)); err != nil {
		return err
	}
	if with7z {
		if err := r.add(bigSite.xmlBytes)(timeCommand("7z x -so", "7z", "x", "-so", bigSite.archive)); err != nil {
			return err
		}
		if err := r.add(bigSite.xmlBytes)(timePipeline(dir, "pipeline (.7z)", "stackexchange="+bigSite.archive)); err != nil {
			return err
		}
	}
	if err := r.add(smallSite.xmlBytes)(timePipeline(dir, "pipeline (xml, small site)", "stackexchange="+smallSite.dir)); err != nil {
		return err
	}
	r.print(w)
	r.ratio(w, "pipeline (xml) / encoding/xml loop", "encoding/xml loop", "pipeline (xml)", ">= 2x")
	if with7z {
		r.ratio(w, "pipeline (.7z) / 7z x -so alone", "7z x -so", "pipeline (.7z)", ">= 0.9x")
		r.cpuBound(w, "7z x -so", "pipeline (xml)")
	}
	r.rssRatio(w, big, small, "pipeline (xml)", "pipeline (xml, small site)")
	return nil
}

// report collects the runs of one benchmark and prints them with their ratios.
type report struct {
	title string
	rows  []measurement
	bytes []int64
}

// add records a measurement over bytes of input, as measurement functions return it.
func (r *report) add(bytes int64) func(measurement, error) error {
	return func(m measurement, err error) error {
		if err != nil {
			return err
		}
		r.rows, r.bytes = append(r.rows, m), append(r.bytes, bytes)
		fmt.Fprintf(os.Stderr, "%-40s %8.1fs\n", m.name, m.seconds)
		return nil
	}
}

func (r *report) get(name string) measurement {
	for _, m := range r.rows {
		if m.name == name {
			return m
		}
	}
	return measurement{name: name}
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n%-32s %10s %10s %10s %10s\n", r.title, "run", "seconds", "MB/s", "CPU s", "peak RSS")
	for i, m := range r.rows {
		rss := "-"
		if m.rssMB > 0 {
			rss = fmt.Sprintf("%.0f MB", m.rssMB)
		}
		fmt.Fprintf(w, "%-32s %10.1f %10.1f %10.1f %10s\n", m.name, m.seconds, m.mbps(r.bytes[i]), m.cpuSeconds, rss)
	}
	fmt.Fprintln(w)
}

// ratio prints how many times faster run is than baseline, in MB/s of the same input.
func (r *report) ratio(w io.Writer, label, baseline, run, goal string) {
	b, m := r.get(baseline), r.get(run)
	fmt.Fprintf(w, "%-44s %.2fx (goal %s)\n", label+":", b.seconds/m.seconds, goal)
}

// cpuBound prints the best ratio to baseline that a run doing both the baseline's work and
// run's could reach on this machine's CPUs, from the CPU time each took: a pipeline reading a
// .7z does all that 7z does and all that the pipeline does on the XML.
func (r *report) cpuBound(w io.Writer, baseline, run string) {
	b, m := r.get(baseline), r.get(run)
	cpus := runtime.NumCPU()
	floor := (b.cpuSeconds + m.cpuSeconds) / float64(cpus)
	fmt.Fprintf(w, "%-44s %.2fx (%.1f + %.1f CPU s on %d CPUs: no less than %.1f s)\n",
		fmt.Sprintf("  at best, doing both on %d CPUs:", cpus), b.seconds/floor, b.cpuSeconds, m.cpuSeconds, cpus, floor)
}

func (r *report) rssRatio(w io.Writer, big, small int64, bigRun, smallRun string) {
	fmt.Fprintf(w, "%-44s %.2fx (goal <= 1.25x)\n", fmt.Sprintf("peak RSS %s / %s input:", sizeName(big), sizeName(small)),
		r.get(bigRun).rssMB/r.get(smallRun).rssMB)
}

func sizeName(n int64) string { return fmt.Sprintf("%d MB", n>>20) }

// xmlLoop is the Stack Exchange baseline: encoding/xml reading every token of a file.
func xmlLoop(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("encoding/xml on %s: %w", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && len(se.Attr) == 0 && se.Name.Local == "row" {
			return fmt.Errorf("%s: a row without attributes", path)
		}
	}
}

// timeCommand times a decompressor writing to /dev/null (a baseline).
func timeCommand(name, command string, args ...string) (measurement, error) {
	cmd := exec.Command(command, args...)
	cmd.Stdout = io.Discard
	m, err := runMeasured(name, cmd)
	if err != nil {
		return m, fmt.Errorf("%s %s: %w", command, strings.Join(args, " "), err)
	}
	return m, nil
}

// run times a child process and samples its peak RSS (VmHWM) while it runs: the rusage of a
// child also counts the parent's memory at the fork, which misleads after a large baseline.
func runMeasured(name string, cmd *exec.Cmd) (measurement, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measurement{}, err
	}
	done := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		var hwm float64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if v := vmHWM(status); v > hwm {
				hwm = v
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	m := measurement{name: name, seconds: time.Since(start).Seconds(), rssMB: <-peak}
	if ps := cmd.ProcessState; ps != nil {
		m.cpuSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	return m, err
}

// vmHWM reads a process's peak resident set size in MB from /proc, 0 if unavailable.
func vmHWM(status string) float64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb / 1024
		}
	}
	return 0
}

// timePipeline runs `prefstream pipeline` on inputs (SOURCE=PATH) in a child process with a
// fresh data dir.
func timePipeline(dir, name string, inputs ...string) (measurement, error) {
	work := filepath.Join(dir, "run")
	if err := os.RemoveAll(work); err != nil {
		return measurement{}, err
	}
	summary := filepath.Join(dir, "summary.json")
	args := append([]string{"pipeline", "--log-level", "warn", "--data-dir", filepath.Join(work, "data"),
		"--lake", filepath.Join(work, "lake"), "--summary", summary}, inputs...)
	m, err := timeSelf(name, args...)
	if err != nil {
		return measurement{}, err
	}
	var sum Summary
	if data, err := os.ReadFile(summary); err == nil && json.Unmarshal(data, &sum) == nil {
		for _, source := range slices.Sorted(maps.Keys(sum.Documents)) {
			fmt.Fprintf(os.Stderr, "  %s: %s: %d documents, %d pairs\n", name, source, sum.Documents[source], sum.Pairs[source])
		}
	}
	return m, os.RemoveAll(work)
}
