package replay

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/parquet-go/parquet-go"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// Dataset is a kind of lake dataset: its record type, Arrow schema and the stream it came from.
type Dataset struct {
	// Name is the dataset's folder name in the lake.
	Name string
	// Schema is the version of the Arrow schema of its batches (the Prefstream-Schema header).
	Schema string
	// Stream is the topology stream that holds these records.
	Stream  string
	columns []string
	replay  func(ctx context.Context, r *run, p part) error
}

func dataset[T any](name, stream string, codec *schemas.Codec[T]) Dataset {
	var columns []string
	for _, f := range parquet.SchemaOf(new(T)).Fields() {
		columns = append(columns, f.Name())
	}
	slices.Sort(columns)
	return Dataset{Name: name, Schema: codec.Version, Stream: stream, columns: columns,
		replay: func(ctx context.Context, r *run, p part) error { return replayPart(ctx, r, p, codec) }}
}

// Datasets are the datasets replay knows.
var Datasets = []Dataset{
	dataset("pairs", bus.StreamPairs, schemas.PairCodec),
	dataset("rankings", bus.StreamRankings, schemas.RankingCodec),
	dataset("prompts", bus.StreamPrompts, schemas.PromptCodec),
	dataset("trajectories", bus.StreamTrajectories, schemas.TrajectoryCodec),
}

// otherStreams hold records no lake dataset holds.
var otherStreams = map[string]string{
	bus.StreamRaw: "documents", bus.StreamJobs: "grouping jobs", bus.StreamDeadLetters: "dead letters",
}

func names() string {
	var out []string
	for _, d := range Datasets {
		out = append(out, d.Name)
	}
	return strings.Join(out, ", ")
}

// findParts lists the committed parts of every partition under dir.
func findParts(dir string) ([]part, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("replay: lake folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("replay: %s is not a folder: give a dataset folder such as LAKE/pairs or a partition such as LAKE/pairs/source=x", dir)
	}
	var parts []part
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if _, err := os.Stat(filepath.Join(path, lake.ManifestName)); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		entries, err := lake.ReadManifest(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			file := filepath.Join(path, e.File)
			rel, rerr := filepath.Rel(dir, file)
			if rerr != nil {
				rel = file
			}
			parts = append(parts, part{path: file, rel: filepath.ToSlash(rel), entry: e})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("replay: no committed Parquet parts under %s: give a dataset folder such as LAKE/pairs or a partition such as LAKE/pairs/source=x", dir)
	}
	return parts, nil
}

// detect names the dataset of the parts: each partition's first part must have the columns of a
// known dataset (exactly, or at least when a folder on its path is named after the dataset),
// and all partitions the same one.
func detect(dir string, parts []part) (Dataset, error) {
	var found *Dataset
	foundIn := ""
	seen := map[string]bool{}
	for _, p := range parts {
		partition := filepath.Dir(p.path)
		if seen[partition] {
			continue
		}
		seen[partition] = true
		d, err := datasetOf(p.path)
		if err != nil {
			return Dataset{}, err
		}
		if found != nil && found.Name != d.Name {
			return Dataset{}, fmt.Errorf("replay: %s holds %s (%s) and %s (%s): replay one dataset folder at a time", dir, found.Name, foundIn, d.Name, partition)
		}
		found, foundIn = &d, partition
	}
	return *found, nil
}

// datasetOf reads the columns of a Parquet file and names its dataset.
func datasetOf(file string) (Dataset, error) {
	columns, err := columnsOf(file)
	if err != nil {
		return Dataset{}, err
	}
	for _, d := range Datasets {
		if slices.Equal(columns, d.columns) {
			return d, nil
		}
	}
	// A folder named after a dataset whose columns the file has (and more: a newer version).
	for _, name := range strings.Split(filepath.ToSlash(filepath.Dir(file)), "/") {
		for _, d := range Datasets {
			if name == d.Name && contains(columns, d.columns) {
				return d, nil
			}
		}
	}
	return Dataset{}, fmt.Errorf("replay: %s: unknown dataset: its columns %v are those of none of %s", file, columns, names())
}

func contains(have, want []string) bool {
	for _, c := range want {
		if _, ok := slices.BinarySearch(have, c); !ok {
			return false
		}
	}
	return true
}

// columnsOf returns the sorted top-level column names of a Parquet file.
func columnsOf(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		return nil, fmt.Errorf("replay: %s: unreadable Parquet: %w", file, err)
	}
	var columns []string
	for _, field := range pf.Schema().Fields() {
		columns = append(columns, field.Name())
	}
	slices.Sort(columns)
	return columns, nil
}

// checkSubject accepts a literal subject: dot-separated non-empty tokens without wildcards or
// white space.
func checkSubject(subject string) error {
	if subject == "" {
		return errors.New("replay: no subject: give --subject, e.g. pairs.replayed")
	}
	for _, token := range strings.Split(subject, ".") {
		if token == "" || strings.ContainsAny(token, "*> \t\r\n") {
			return fmt.Errorf("replay: bad subject %q: want dot-separated tokens without wildcards or spaces, e.g. pairs.replayed", subject)
		}
	}
	return nil
}

// streamOf finds the stream that stores subject, and refuses a topology stream that holds
// another kind of record.
func streamOf(ctx context.Context, b *bus.Bus, subject string, d Dataset) (string, error) {
	var stream string
	err := bus.Retry(ctx, func(ctx context.Context) error {
		var err error
		stream, err = b.JS.StreamNameBySubject(ctx, subject)
		return err
	})
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", fmt.Errorf("replay: subject %q is outside every stream (%s): use one such as %s.replayed", subject, streamList(ctx, b), d.Name)
	}
	if err != nil {
		return "", fmt.Errorf("replay: find the stream of %s: %w", subject, err)
	}
	if what, ok := otherStreams[stream]; ok {
		return "", fmt.Errorf("replay: subject %s is in stream %s, which holds %s, not %s", subject, stream, what, d.Name)
	}
	for _, other := range Datasets {
		if other.Stream == stream && other.Name != d.Name {
			return "", fmt.Errorf("replay: subject %s is in stream %s, which holds %s, not %s: use one such as %s.replayed", subject, stream, other.Name, d.Name, d.Name)
		}
	}
	return stream, nil
}

// streamList names the streams and their subjects (not those behind KV buckets and object
// stores), for an error message.
func streamList(ctx context.Context, b *bus.Bus) string {
	var out []string
	list := b.JS.ListStreams(ctx)
	for info := range list.Info() {
		if name := info.Config.Name; !strings.HasPrefix(name, "KV_") && !strings.HasPrefix(name, "OBJ_") {
			out = append(out, name+" "+strings.Join(info.Config.Subjects, " "))
		}
	}
	if list.Err() != nil || len(out) == 0 {
		return "the streams could not be listed"
	}
	slices.Sort(out)
	return "streams: " + strings.Join(out, ", ")
}
