package registry

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
)

// testRegistry opens a registry on a fresh embedded JetStream server.
func testRegistry(t testing.TB) (*Registry, *bus.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{DataDir: t.TempDir(), Name: "registry-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	r, err := Open(ctx, b.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func blobOf(size int64) []byte {
	data, err := io.ReadAll(Pattern(size))
	if err != nil {
		panic(err)
	}
	return data
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func fetch(t *testing.T, r *Registry, ref string) (Entry, []byte) {
	t.Helper()
	var buf bytes.Buffer
	e, err := r.Fetch(testContext(t), ref, &buf)
	if err != nil {
		t.Fatalf("fetch %s: %v", ref, err)
	}
	return e, buf.Bytes()
}

func TestPublishResolveFetchRoundTrip(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	// Empty, smaller than a chunk, and across several chunks with a partial last one.
	blobs := [][]byte{nil, []byte("tiny"), blobOf(3*int64(r.ChunkSize()) + 17)}
	for i, blob := range blobs {
		in := Entry{
			Name: "pm-pmp", Kind: "pm", Config: json.RawMessage(`{"layers": 2, "d": 128}`),
			Tokenizer: "bpe-v1", Parent: "base@1", Metrics: map[string]float64{"loss": 0.5 / float64(i+1), "acc": 0.7},
			Labels: map[string]string{"run": "r1"},
		}
		e, err := r.Publish(ctx, in, bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		if e.Version != i+1 || e.Size != int64(len(blob)) || e.SHA256 != sha(blob) || e.Created.IsZero() {
			t.Fatalf("publish %d: got %+v, want version %d, size %d, sha256 %s", i, e, i+1, len(blob), sha(blob))
		}
	}
	for i, blob := range blobs {
		ref := Ref("pm-pmp", i+1)
		e, got := fetch(t, r, ref)
		if !bytes.Equal(got, blob) {
			t.Fatalf("%s: fetched %d bytes that differ from the %d published", ref, len(got), len(blob))
		}
		if e.Kind != "pm" || e.Tokenizer != "bpe-v1" || e.Parent != "base@1" || e.Labels["run"] != "r1" ||
			e.Metrics["loss"] != 0.5/float64(i+1) || string(e.Config) != `{"layers":2,"d":128}` {
			t.Fatalf("%s: entry not kept: %+v (config %s)", ref, e, e.Config)
		}
	}
	for _, ref := range []string{"pm-pmp", "pm-pmp@latest"} {
		e, err := r.Resolve(ctx, ref)
		if err != nil || e.Version != 3 {
			t.Fatalf("resolve %s = version %d, %v; want 3", ref, e.Version, err)
		}
	}
	if _, err := r.Resolve(ctx, "pm-pmp@4"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resolve of a missing version: %v, want ErrNotFound", err)
	}
	if _, err := r.Resolve(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resolve of a missing model: %v, want ErrNotFound", err)
	}
	list, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Version != 1 || list[2].Version != 3 {
		t.Fatalf("list = %+v", list)
	}
}

func TestPublishRejectsBadEntries(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	for _, tc := range []struct {
		name string
		e    Entry
		want string
	}{
		{"bad name", Entry{Name: "a.b"}, `byte 1 ('.')`},
		{"empty name", Entry{}, "empty model name"},
		{"NaN metric", Entry{Name: "m", Metrics: map[string]float64{"loss": math.NaN()}}, `metric "loss" is NaN`},
		{"bad config", Entry{Name: "m", Config: json.RawMessage(`{"a":`)}, "config is not valid JSON"},
		{"bad parent", Entry{Name: "m", Parent: "x@0"}, "parent"},
		{"bad sha", Entry{Name: "m", SHA256: "ABC"}, "64 lower-case hex"},
		{"negative version", Entry{Name: "m", Version: -1}, "version -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Publish(ctx, tc.e, strings.NewReader("x"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "registry: ") {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if list, err := r.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after refused publishes the registry holds %+v, %v", list, err)
	}
}

func TestConcurrentPublishGetsDistinctVersions(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	const perWriter = 5
	var mu sync.Mutex
	seen := map[int]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			for i := range perWriter {
				blob := fmt.Sprintf("writer %d blob %d", w, i)
				e, err := r.Publish(ctx, Entry{Name: "policy", Kind: "policy"}, strings.NewReader(blob))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if prev, dup := seen[e.Version]; dup {
					errs <- fmt.Errorf("version %d given to %q and %q", e.Version, prev, blob)
				}
				seen[e.Version] = blob
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for v := 1; v <= 2*perWriter; v++ {
		_, got := fetch(t, r, Ref("policy", v))
		if string(got) != seen[v] {
			t.Fatalf("version %d holds %q, its publisher was told %q", v, got, seen[v])
		}
	}
	if e, err := r.Resolve(ctx, "policy"); err != nil || e.Version != 2*perWriter {
		t.Fatalf("latest = %d, %v; want %d", e.Version, err, 2*perWriter)
	}
}

func TestCorruptBlobIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, r *Registry, js jetstream.JetStream, e Entry, blob []byte)
		what    string
	}{
		{"object overwritten", func(t *testing.T, r *Registry, _ jetstream.JetStream, e Entry, blob []byte) {
			bad := bytes.Clone(blob)
			bad[len(bad)/2] ^= 1
			if _, err := r.obs.PutBytes(testContext(t), e.Object(), bad); err != nil {
				t.Fatal(err)
			}
		}, "sha256"},
		{"object shortened", func(t *testing.T, r *Registry, _ jetstream.JetStream, e Entry, blob []byte) {
			if _, err := r.obs.PutBytes(testContext(t), e.Object(), blob[:len(blob)-1]); err != nil {
				t.Fatal(err)
			}
		}, "sha256"},
		{"chunks replaced under intact metadata", func(t *testing.T, r *Registry, js jetstream.JetStream, e Entry, blob []byte) {
			ctx := testContext(t)
			info, err := r.obs.GetInfo(ctx, e.Object())
			if err != nil {
				t.Fatal(err)
			}
			subject := "$O." + BucketModels + ".C." + info.NUID
			s, err := js.Stream(ctx, "OBJ_"+BucketModels)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
				t.Fatal(err)
			}
			bad := bytes.Clone(blob)
			bad[7] ^= 0x80
			for off := 0; off < len(bad); off += int(r.ChunkSize()) {
				if _, err := js.Publish(ctx, subject, bad[off:min(off+int(r.ChunkSize()), len(bad))]); err != nil {
					t.Fatal(err)
				}
			}
		}, "sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, b := testRegistry(t)
			blob := blobOf(2*int64(r.ChunkSize()) + 5)
			e, err := r.Publish(testContext(t), Entry{Name: "pm-pmp", Kind: "pm"}, bytes.NewReader(blob))
			if err != nil {
				t.Fatal(err)
			}
			tc.corrupt(t, r, b.JS, e, blob)
			_, err = r.Fetch(testContext(t), "pm-pmp@1", io.Discard)
			var bad *CorruptError
			if !errors.As(err, &bad) || bad.What != tc.what || bad.Want != e.SHA256 {
				t.Fatalf("fetch of a corrupt blob: %v, want a %s mismatch", err, tc.what)
			}
			prefix := "registry: models/pm-pmp/1: sha256 mismatch: want " + e.SHA256 + ", got "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestWatchSeesNewVersions(t *testing.T) {
	r, _ := testRegistry(t)
	ctx, cancel := context.WithCancel(testContext(t))
	if _, err := r.Publish(ctx, Entry{Name: "policy"}, strings.NewReader("v1")); err != nil {
		t.Fatal(err)
	}
	updates, err := r.Watch(ctx, "policy")
	if err != nil {
		t.Fatal(err)
	}
	next := func() Entry {
		t.Helper()
		select {
		case e, ok := <-updates:
			if !ok {
				t.Fatal("watch closed early")
			}
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("watch delivered nothing in 10 s")
		}
		return Entry{}
	}
	if e := next(); e.Version != 1 {
		t.Fatalf("first delivery = version %d, want the current latest, 1", e.Version)
	}
	// Another model's versions are not delivered.
	if _, err := r.Publish(ctx, Entry{Name: "other"}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Publish(ctx, Entry{Name: "policy"}, strings.NewReader("v2")); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Name != "policy" || e.Version != 2 {
		t.Fatalf("after a publish: %s, want policy@2", e.Ref())
	}
	// A reader that falls behind gets the newest.
	for v := 3; v <= 5; v++ {
		if _, err := r.Publish(ctx, Entry{Name: "policy"}, strings.NewReader(fmt.Sprint(v))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(10 * time.Second)
	for e := next(); e.Version != 5; e = next() {
		select {
		case <-deadline:
			t.Fatalf("never reached version 5, at %d", e.Version)
		default:
		}
	}
	cancel()
	for range updates {
	}
}

func TestWatchOfUnpublishedModelWaits(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	updates, err := r.Watch(ctx, "later")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-updates:
		t.Fatalf("delivered %s before any publish", e.Ref())
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := r.Publish(ctx, Entry{Name: "later"}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-updates:
		if e.Version != 1 {
			t.Fatalf("got version %d", e.Version)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery after the first publish")
	}
	if _, err := r.Watch(ctx, "bad name"); err == nil {
		t.Fatal("watch of an invalid name")
	}
}

func TestExplicitVersions(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	a, b := []byte("blob a"), []byte("blob b")
	e5, err := r.Publish(ctx, Entry{Name: "m", Version: 5}, bytes.NewReader(a))
	if err != nil || e5.Version != 5 {
		t.Fatalf("explicit version 5: %+v, %v", e5, err)
	}
	// The same blob again is the existing entry; another blob is refused.
	again, err := r.Publish(ctx, Entry{Name: "m", Version: 5, SHA256: sha(a), Size: int64(len(a))}, bytes.NewReader(a))
	if err != nil || again.SHA256 != e5.SHA256 || !again.Created.Equal(e5.Created) {
		t.Fatalf("republishing the same blob: %+v, %v", again, err)
	}
	if _, err := r.Publish(ctx, Entry{Name: "m", Version: 5, SHA256: sha(b), Size: int64(len(b))}, bytes.NewReader(b)); !errors.Is(err, ErrExists) {
		t.Fatalf("another blob under a taken version: %v, want ErrExists", err)
	}
	if _, err := r.Publish(ctx, Entry{Name: "m", Version: 5}, bytes.NewReader(a)); !errors.Is(err, ErrExists) {
		t.Fatalf("a taken version without a sha256 to compare: %v, want ErrExists", err)
	}
	// An older version published later does not move the latest back.
	if _, err := r.Publish(ctx, Entry{Name: "m", Version: 3}, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if e, err := r.Resolve(ctx, "m"); err != nil || e.Version != 5 {
		t.Fatalf("latest = %d, %v; want 5", e.Version, err)
	}
	// The next automatic version follows the latest.
	if e, err := r.Publish(ctx, Entry{Name: "m"}, bytes.NewReader(b)); err != nil || e.Version != 6 {
		t.Fatalf("next version = %d, %v; want 6", e.Version, err)
	}
	// A blob that is not what the entry says is refused and leaves nothing.
	if _, err := r.Publish(ctx, Entry{Name: "m", Version: 9, SHA256: sha(a), Size: int64(len(a))}, bytes.NewReader(b)); !isCorrupt(err, "sha256") {
		t.Fatalf("blob with another sha256: %v", err)
	}
	if _, err := r.Resolve(ctx, "m@9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused publish left m@9: %v", err)
	}
	if _, err := r.obs.GetInfo(ctx, "m/9"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("a refused publish left the object m/9: %v", err)
	}
}

func isCorrupt(err error, what string) bool {
	var bad *CorruptError
	return errors.As(err, &bad) && bad.What == what
}

// failingReader fails after n bytes, as a trainer's serializer might.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("serializer broke")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestInterruptedPublishes(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	if _, err := r.Publish(ctx, Entry{Name: "pm"}, strings.NewReader("v1")); err != nil {
		t.Fatal(err)
	}
	// A publisher that died mid-upload leaves its claim on version 2.
	claim, _ := json.Marshal(record{Entry: Entry{Name: "pm", Version: 2}, Pending: true})
	if _, err := r.kv.Create(ctx, "pm.2", claim); err != nil {
		t.Fatal(err)
	}
	if e, err := r.Resolve(ctx, "pm"); err != nil || e.Version != 1 {
		t.Fatalf("resume point = %d, %v; want the last complete version, 1", e.Version, err)
	}
	if _, err := r.Resolve(ctx, "pm@2"); !errors.Is(err, ErrPending) {
		t.Fatalf("resolve of an abandoned claim: %v, want ErrPending", err)
	}
	if _, err := r.Publish(ctx, Entry{Name: "pm", Version: 2, SHA256: sha([]byte("x")), Size: 1}, strings.NewReader("x")); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "claimed") {
		t.Fatalf("an explicit publish onto a pending claim: %v, want ErrExists", err)
	}
	if e, err := r.Publish(ctx, Entry{Name: "pm"}, strings.NewReader("v3")); err != nil || e.Version != 3 {
		t.Fatalf("publish after an abandoned claim: %d, %v; want 3", e.Version, err)
	}
	// A reader that fails mid-upload: the error says so and the version is free again.
	_, err := r.Publish(ctx, Entry{Name: "pm"}, &failingReader{n: 3 << 20})
	if err == nil || !strings.Contains(err.Error(), "serializer broke") || !strings.Contains(err.Error(), "pm@4") {
		t.Fatalf("failed upload: %v", err)
	}
	if e, err := r.Publish(ctx, Entry{Name: "pm"}, strings.NewReader("v4")); err != nil || e.Version != 4 {
		t.Fatalf("publish after a failed upload: %d, %v; want 4", e.Version, err)
	}
	list, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, e := range list {
		versions = append(versions, e.Version)
	}
	if fmt.Sprint(versions) != "[1 3 4]" {
		t.Fatalf("list = %v, want [1 3 4] (no pending claim)", versions)
	}
	if _, got := fetch(t, r, "pm@4"); string(got) != "v4" {
		t.Fatalf("pm@4 = %q", got)
	}
}

func TestOpenIsIdempotent(t *testing.T) {
	r, b := testRegistry(t)
	ctx := testContext(t)
	if _, err := r.Publish(ctx, Entry{Name: "m"}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(ctx, b.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, got := fetch(t, r2, "m"); string(got) != "x" {
		t.Fatalf("reopened registry reads %q", got)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	src, _ := testRegistry(t)
	dst, _ := testRegistry(t)
	ctx := testContext(t)
	blob := blobOf(int64(src.ChunkSize()) + 3)
	in := Entry{Name: "pm", Kind: "pm", Config: json.RawMessage(`{"d":64}`), Metrics: map[string]float64{"acc": 0.75}, Labels: map[string]string{"a": "b"}}
	if _, err := src.Publish(ctx, in, strings.NewReader("v1")); err != nil {
		t.Fatal(err)
	}
	published, err := src.Publish(ctx, in, bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pm.model")
	exported, err := src.ExportFile(ctx, "pm@2", file)
	if err != nil {
		t.Fatal(err)
	}
	if !sameEntry(exported, published) {
		t.Fatalf("exported %+v, published %+v", exported, published)
	}
	imported, err := dst.ImportFile(ctx, file, "")
	if err != nil {
		t.Fatal(err)
	}
	if !sameEntry(imported, published) {
		t.Fatalf("imported %+v, published %+v", imported, published)
	}
	if _, got := fetch(t, dst, "pm"); !bytes.Equal(got, blob) {
		t.Fatal("the imported blob differs")
	}
	// Twice is harmless; under another name it is that name's version 2.
	if again, err := dst.ImportFile(ctx, file, ""); err != nil || !sameEntry(again, published) {
		t.Fatalf("second import: %+v, %v", again, err)
	}
	renamed, err := dst.ImportFile(ctx, file, "pm-copy")
	if err != nil || renamed.Ref() != "pm-copy@2" || renamed.SHA256 != published.SHA256 {
		t.Fatalf("import --as: %+v, %v", renamed, err)
	}
	if _, err := dst.ImportFile(ctx, file, "bad.name"); err == nil {
		t.Fatal("import under an invalid name")
	}
	if _, err := src.ExportFile(ctx, "pm@7", filepath.Join(t.TempDir(), "x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("export of a missing version: %v", err)
	}
}

// sameEntry compares entries as they are stored.
func sameEntry(a, b Entry) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }

func TestImportRefusesBadFiles(t *testing.T) {
	src, _ := testRegistry(t)
	dst, _ := testRegistry(t)
	ctx := testContext(t)
	blob := blobOf(100_000)
	if _, err := src.Publish(ctx, Entry{Name: "pm"}, bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if _, err := src.Export(ctx, "pm@1", &good); err != nil {
		t.Fatal(err)
	}
	header := good.Len() - len(blob)
	flipped := bytes.Clone(good.Bytes())
	flipped[header+500] ^= 1
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"not a model file", []byte("PK\x03\x04zip"), "byte 0: not a model file"},
		{"empty", nil, "byte 0: not a model file"},
		{"header cut", good.Bytes()[:header-5], "byte 20: entry line: file ends before the end of the line"},
		{"header not JSON", []byte(Magic + "\n{oops\n"), "byte 20: entry line: invalid character"},
		{"header without sha256", []byte(Magic + "\n" + `{"name":"pm","version":1,"size":0}` + "\n"), "version and sha256 are required"},
		{"blob cut", good.Bytes()[:good.Len()-10], fmt.Sprintf("the file ends at byte %d, %d bytes into a blob of %d", good.Len()-10, len(blob)-10, len(blob))},
		{"bytes after the blob", append(bytes.Clone(good.Bytes()), 'x'), fmt.Sprintf("more bytes after the blob at byte %d", good.Len())},
		{"blob changed", flipped, "sha256 mismatch: want " + sha(blob)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.model")
			if err := os.WriteFile(file, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := dst.ImportFile(ctx, file, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), file) {
				t.Fatalf("got %v, want an error naming %s and containing %q", err, file, tc.want)
			}
			if list, err := dst.List(ctx); err != nil || len(list) != 0 {
				t.Fatalf("a refused import left %+v, %v", list, err)
			}
		})
	}
}

// name@best resolves to the version with the lowest held-out loss, the latest of equals; it is
// an error when no version reports one.
func TestResolveBest(t *testing.T) {
	r, _ := testRegistry(t)
	ctx := testContext(t)
	for i, m := range []map[string]float64{
		{"eval_loss": 0.6}, {"eval_loss": 0.5, "eval_accuracy": 0.7}, nil, {"eval_loss": 0.55}, {"eval_loss": 0.5}, {"eval_loss": 0.9},
	} {
		if _, err := r.Publish(ctx, Entry{Name: "pm", Metrics: m}, strings.NewReader(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Publish(ctx, Entry{Name: "pm-other", Metrics: map[string]float64{"eval_loss": 0.1}}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Publish(ctx, Entry{Name: "plain"}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	e, err := r.Resolve(ctx, Ref("pm", Best))
	if err != nil || e.Name != "pm" || e.Version != 5 {
		t.Fatalf("pm@best = %+v, %v; want pm@5", e, err)
	}
	if _, err := r.Resolve(ctx, "plain@best"); err == nil || !strings.Contains(err.Error(), "none of its 1 versions reports eval_loss") {
		t.Fatalf("plain@best: %v", err)
	}
	if _, err := r.Resolve(ctx, "absent@best"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent@best: %v, want not found", err)
	}
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		ref     string
		name    string
		version int
		bad     string
	}{
		{ref: "pm", name: "pm"},
		{ref: "pm-pmp_2@latest", name: "pm-pmp_2"},
		{ref: "Policy7@12", name: "Policy7", version: 12},
		{ref: "x@2147483647", name: "x", version: MaxVersion},
		{ref: "pm@best", name: "pm", version: Best},
		{ref: "", bad: "empty model name"},
		{ref: "@3", bad: "empty model name"},
		{ref: "a@b", bad: `version "b"`},
		{ref: "a@-1", bad: `version "-1"`},
		{ref: "a@0", bad: `version "0"`},
		{ref: "a@01", bad: `version "01"`},
		{ref: "a@+1", bad: `version "+1"`},
		{ref: "a@", bad: `version ""`},
		{ref: "a@2147483648", bad: "from 1 to 2147483647"},
		{ref: "a@1@2", bad: `version "1@2"`},
		{ref: "a.b", bad: "byte 1"},
		{ref: "a b", bad: "byte 1"},
		{ref: "-a", bad: "byte 0"},
		{ref: "a/b", bad: "byte 1"},
		{ref: "a*", bad: "byte 1"},
		{ref: strings.Repeat("n", MaxNameLen+1), bad: "at most 128"},
	} {
		name, version, err := ParseRef(tc.ref)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) || !strings.HasPrefix(err.Error(), "registry: reference ") {
				t.Errorf("ParseRef(%q) = %q, %d, %v; want an error containing %q", tc.ref, name, version, err, tc.bad)
			}
			continue
		}
		if err != nil || name != tc.name || version != tc.version {
			t.Errorf("ParseRef(%q) = %q, %d, %v; want %q, %d", tc.ref, name, version, err, tc.name, tc.version)
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"pm", "pm@latest", "pm@3", "", "a@b", "a@-1", "a@0", "a.b@1", "x@99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		name, version, err := ParseRef(ref)
		if err != nil {
			return
		}
		if ValidName(name) != nil || version < 0 || version > MaxVersion {
			t.Fatalf("ParseRef(%q) accepted %q, %d", ref, name, version)
		}
		// Formatting and parsing again gives the same reference.
		n2, v2, err := ParseRef(Ref(name, version))
		if err != nil || n2 != name || v2 != version {
			t.Fatalf("%q -> %q, %d -> %q, %d, %v", ref, name, version, n2, v2, err)
		}
	})
}

func FuzzReadHeader(f *testing.F) {
	var good bytes.Buffer
	_ = WriteHeader(&good, Entry{Name: "pm", Version: 3, Kind: "pm", Config: json.RawMessage(`{"a":[1,2]}`),
		Metrics: map[string]float64{"acc": 0.5}, SHA256: strings.Repeat("ab", 32), Size: 4, Created: time.Unix(1, 0).UTC()})
	good.WriteString("blob")
	f.Add(good.Bytes())
	f.Add([]byte(Magic + "\n{}\n"))
	f.Add([]byte(Magic + "\n" + `{"name":"a","version":1,"sha256":"` + strings.Repeat("0", 64) + `","size":-1}` + "\n"))
	f.Add([]byte("prefstream-model/v2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, n, err := ReadHeader(bufioReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "byte ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if n > int64(len(data)) || e.Version < 1 || e.SHA256 == "" || e.Size < 0 {
			t.Fatalf("accepted header %+v of %d bytes from %d bytes", e, n, len(data))
		}
		var again bytes.Buffer
		if err := WriteHeader(&again, e); err != nil {
			t.Fatalf("an accepted entry does not write: %v", err)
		}
		e2, n2, err := ReadHeader(bufioReader(again.Bytes()))
		if err != nil || n2 != int64(again.Len()) || !sameEntry(e, e2) {
			t.Fatalf("rewritten header reads back as %+v, %d, %v; want %+v", e2, n2, err, e)
		}
	})
}
