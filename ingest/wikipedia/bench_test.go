package wikipedia

import (
	"bytes"
	"compress/bzip2"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchXML is a generated ~30 MB full-history export.
var benchXML = sync.OnceValue(func() []byte {
	return genExport(genOptions{seed: 2024, size: 30 << 20, schema: "0.11"})
})

var (
	benchBz2Once sync.Once
	benchBz2     []byte
)

func benchBzip2(b *testing.B) []byte {
	benchBz2Once.Do(func() { benchBz2 = compressBzip2(b, benchXML(), 9) })
	if benchBz2 == nil {
		b.Skip("bzip2 not on PATH; skipping")
	}
	return benchBz2
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per op, which the other load of a shared
// machine does not inflate the way it does wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func BenchmarkBzip2Parallel(b *testing.B) {
	compressed := benchBzip2(b)
	b.SetBytes(int64(len(benchXML())))
	start := cpuTime()
	for b.Loop() {
		d := newBzip2Reader(bytes.NewReader(compressed), "bench.bz2", 0)
		if _, err := io.Copy(io.Discard, d); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
	reportCPU(b, start)
}

func BenchmarkBzip2Stdlib(b *testing.B) {
	compressed := benchBzip2(b)
	b.SetBytes(int64(len(benchXML())))
	start := cpuTime()
	for b.Loop() {
		if _, err := io.Copy(io.Discard, bzip2.NewReader(bytes.NewReader(compressed))); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkBzip2Command is the reference: `bzip2 -dc` on the same file.
func BenchmarkBzip2Command(b *testing.B) {
	compressed := benchBzip2(b)
	b.SetBytes(int64(len(benchXML())))
	benchCommand(b, compressed, "bzip2", "-dc")
}

// benchCommand runs a decompressing command on input once per op and reports the CPU time it
// took (user and system); it skips when the command is not installed.
func benchCommand(b *testing.B, input []byte, name string, args ...string) {
	bin, err := exec.LookPath(name)
	if err != nil {
		b.Skip(name + " not on PATH")
	}
	var cpu time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = bytes.NewReader(input)
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

func BenchmarkReaderXML(b *testing.B) {
	data := benchXML()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		readEverything(b, NewReader(bytes.NewReader(data), "bench.xml"))
	}
	reportCPU(b, start)
}

// BenchmarkReaderBzip2 is the whole ingest read path: parallel bzip2 and
// the XML reader.
func BenchmarkReaderBzip2(b *testing.B) {
	compressed := benchBzip2(b)
	b.SetBytes(int64(len(benchXML())))
	start := cpuTime()
	for b.Loop() {
		r := NewReader(newBzip2Reader(bytes.NewReader(compressed), "bench.bz2", 0), "bench.bz2")
		readEverything(b, r)
		r.Close()
	}
	reportCPU(b, start)
}

func readEverything(b *testing.B, r *Reader) {
	for {
		if _, err := r.NextPage(); err == io.EOF {
			return
		} else if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.NextRevision(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
