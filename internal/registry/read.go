package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Open resolves ref and returns its entry and a reader of its blob. An object whose stored
// sha256 or size disagree with the entry fails here, before any byte is read, with a
// *CorruptError. The reader then checks the bytes as they stream: nats.go hashes the chunks and
// compares them with the object's digest (checked against the entry here) at the end, and the
// reader counts them, so a blob that is not the entry's makes the read that reaches its end
// fail with a *CorruptError instead of io.EOF (and io.Copy returns it). The bytes are hashed
// once, as a plain Object Store get hashes them. Close the reader.
func (r *Registry) Open(ctx context.Context, ref string) (Entry, io.ReadCloser, error) {
	e, err := r.Resolve(ctx, ref)
	if err != nil {
		return Entry{}, nil, err
	}
	where := BucketModels + "/" + e.Object()
	// nats.go ends a Get after 5 s when ctx has no deadline: give a large blob its time.
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancel = context.WithTimeout(ctx, transferTimeout(e.Size))
	}
	res, err := r.obs.Get(ctx, e.Object())
	if err != nil {
		cancel()
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			err = fmt.Errorf("%w: the blob is missing", ErrNotFound)
		}
		return Entry{}, nil, fmt.Errorf("registry: %s: %w", where, err)
	}
	info, err := res.Info()
	if err == nil {
		var bad *CorruptError
		if sum, derr := hexDigest(info.Digest); derr != nil || sum != e.SHA256 {
			bad = &CorruptError{Where: where, What: "sha256", Want: e.SHA256, Got: cmp.Or(sum, info.Digest)}
		} else if int64(info.Size) != e.Size {
			bad = &CorruptError{Where: where, What: "size", Want: strconv.FormatInt(e.Size, 10), Got: strconv.FormatInt(int64(info.Size), 10)}
		}
		if bad != nil {
			res.Close()
			cancel()
			return Entry{}, nil, bad
		}
	}
	return e, &verifier{res: res, cancel: cancel, entry: e, where: where, chunk: chunkOf(info)}, nil
}

// Fetch resolves ref and copies its blob to w, checking it (see Open).
func (r *Registry) Fetch(ctx context.Context, ref string, w io.Writer) (Entry, error) {
	e, rc, err := r.Open(ctx, ref)
	if err != nil {
		return Entry{}, err
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// chunkOf is the chunk size the object was written in.
func chunkOf(info *jetstream.ObjectInfo) int {
	if info == nil || info.Opts == nil {
		return 0
	}
	return int(info.Opts.ChunkSize)
}

// transferTimeout bounds the reading of a blob of n bytes: a minute plus a second per MiB.
func transferTimeout(n int64) time.Duration {
	return time.Minute + time.Duration(n>>20)*time.Second
}

// verifier streams a blob, counting its bytes, and turns nats.go's digest check into a
// *CorruptError.
type verifier struct {
	res    jetstream.ObjectResult
	cancel context.CancelFunc
	entry  Entry
	where  string
	chunk  int
	n      int64
	err    error
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.res.Read(p)
	v.n += int64(n)
	switch {
	case v.n > v.entry.Size:
		v.err = &CorruptError{Where: v.where, What: "size", Want: strconv.FormatInt(v.entry.Size, 10), Got: "more"}
	case err == io.EOF && v.n != v.entry.Size:
		v.err = &CorruptError{Where: v.where, What: "size", Want: strconv.FormatInt(v.entry.Size, 10), Got: strconv.FormatInt(v.n, 10)}
	case err == io.EOF:
		v.err = io.EOF
	case errors.Is(err, jetstream.ErrDigestMismatch):
		v.err = &CorruptError{Where: v.where, What: "sha256", Want: v.entry.SHA256, Got: "chunks that do not hash to it"}
	case err != nil:
		v.err = fmt.Errorf("registry: %s: %w", v.where, err)
	}
	return n, v.err
}

// WriteTo copies the rest of the blob to w through a buffer of a chunk or more: nats.go hands
// the chunks over through a synchronous pipe, one hand-off per Read, so io.Copy's 32 KiB reads
// (8 KiB into io.Discard) would cost dozens of goroutine switches per chunk.
func (v *verifier) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, max(v.chunk, 256<<10))
	var total int64
	for {
		n, err := v.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (v *verifier) Close() error {
	err := v.res.Close()
	v.cancel()
	return err
}

// List returns every complete version of every model, sorted by name then version.
func (r *Registry) List(ctx context.Context) ([]Entry, error) {
	return r.list(ctx, ">")
}

// Versions returns every complete version of name, oldest first.
func (r *Registry) Versions(ctx context.Context, name string) ([]Entry, error) {
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("registry: versions: %w", err)
	}
	return r.list(ctx, name+".*")
}

// best is the version of name with the lowest MetricBest, the latest of equals.
func (r *Registry) best(ctx context.Context, name string) (Entry, error) {
	versions, err := r.Versions(ctx, name)
	if err != nil {
		return Entry{}, err
	}
	if len(versions) == 0 {
		return Entry{}, fmt.Errorf("registry: %s@best: %w", name, ErrNotFound)
	}
	var best Entry
	found := false
	for _, e := range versions {
		if v, ok := e.Metrics[MetricBest]; ok && !math.IsNaN(v) && (!found || v <= best.Metrics[MetricBest]) {
			best, found = e, true
		}
	}
	if !found {
		return Entry{}, fmt.Errorf("registry: %s@best: none of its %d versions reports %s", name, len(versions), MetricBest)
	}
	return best, nil
}

// list returns the complete versions whose keys match filter, sorted by name then version.
func (r *Registry) list(ctx context.Context, filter string) ([]Entry, error) {
	w, err := r.kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("registry: list: %w", err)
	}
	defer w.Stop()
	var entries []Entry
	for {
		var u jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("registry: list: %w", ctx.Err())
		case u, ok = <-w.Updates():
		}
		if !ok {
			return nil, fmt.Errorf("registry: list: the watch of %s ended early", BucketRegistry)
		}
		if u == nil {
			break
		}
		if strings.HasSuffix(u.Key(), ".latest") {
			continue
		}
		var rec record
		if err := json.Unmarshal(u.Value(), &rec); err != nil {
			return nil, fmt.Errorf("registry: list: entry %s/%s (revision %d): %w", BucketRegistry, u.Key(), u.Revision(), err)
		}
		if !rec.Pending {
			entries = append(entries, rec.Entry)
		}
	}
	slices.SortFunc(entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	return entries, nil
}

// Watch delivers the latest version of name, at once if there is one, then each newer one as it
// is published, until ctx ends (then the channel is closed). A reader that falls behind gets
// the newest version, skipping those in between: what a worker switching to the newest policy
// wants.
func (r *Registry) Watch(ctx context.Context, name string) (<-chan Entry, error) {
	if err := ValidName(name); err != nil {
		return nil, fmt.Errorf("registry: watch: %w", err)
	}
	w, err := r.kv.Watch(ctx, latestKey(name), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("registry: watch %s: %w", name, err)
	}
	out := make(chan Entry, 1)
	go func() {
		defer close(out)
		defer w.Stop()
		delivered := 0
		for {
			var u jetstream.KeyValueEntry
			var ok bool
			select {
			case <-ctx.Done():
				return
			case u, ok = <-w.Updates():
			}
			if !ok {
				return
			}
			var rec record
			if u == nil || json.Unmarshal(u.Value(), &rec) != nil || rec.Pending || rec.Version <= delivered {
				continue
			}
			delivered = rec.Version
			// Replace an entry the reader has not taken yet: only the newest matters.
			select {
			case <-out:
			default:
			}
			out <- rec.Entry
		}
	}()
	return out, nil
}
