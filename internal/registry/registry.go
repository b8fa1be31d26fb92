// Package registry keeps versioned model checkpoints in JetStream: each blob in the Object Store
// bucket "models" under "<name>/<version>", and an Entry describing it (kind, config, tokenizer
// version, parent, metrics, sha256, size) in the KV bucket "registry" under "<name>.<version>",
// with "<name>.latest" holding the newest complete one. A blob is opaque bytes to it.
//
// Publishing claims the next version with a KV create (two publishers never get the same
// version), uploads the blob while the claim is marked pending, then completes the entry and
// moves "<name>.latest" forward (never back). A publisher killed mid-upload leaves a pending
// claim that readers never see: the latest stays the last complete version, and the next
// publish takes the version after the abandoned one.
package registry

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
)

// The buckets, as named in deploy/nats/accounts.conf.
const (
	// BucketModels is the Object Store bucket holding the blobs.
	BucketModels = "models"
	// BucketRegistry is the KV bucket holding the entries and the latest pointers.
	BucketRegistry = "registry"
)

// Entry describes one version of a model.
type Entry struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Kind says what the blob is: "pm", "policy", "tokenizer", ...
	Kind string `json:"kind,omitempty"`
	// Config is the model's configuration, any JSON.
	Config json.RawMessage `json:"config,omitempty"`
	// Tokenizer is the version of the tokenizer the model was trained with.
	Tokenizer string `json:"tokenizer,omitempty"`
	// Parent is the "name@version" this version started from, if any.
	Parent  string             `json:"parent,omitempty"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// SHA256 (hex) and Size describe the blob. Publish sets them; a caller that sets SHA256
	// states what the blob must be (import does), and Publish refuses any other.
	SHA256  string            `json:"sha256"`
	Size    int64             `json:"size"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// Ref is "name@version".
func (e Entry) Ref() string { return Ref(e.Name, e.Version) }

// Object is the name of the blob in the Object Store: "<name>/<version>".
func (e Entry) Object() string { return e.Name + "/" + strconv.Itoa(e.Version) }

func (e Entry) validate() error {
	if err := ValidName(e.Name); err != nil {
		return err
	}
	if e.Version < 0 || e.Version > MaxVersion {
		return fmt.Errorf("%s: version %d: want 1 to %d (0: the next)", e.Name, e.Version, MaxVersion)
	}
	if len(e.Config) > 0 && !json.Valid(e.Config) {
		return fmt.Errorf("%s: config is not valid JSON", e.Name)
	}
	if e.Parent != "" {
		if _, _, err := ParseRef(e.Parent); err != nil {
			return fmt.Errorf("%s: parent: %w", e.Name, err)
		}
	}
	for k, v := range e.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: metric %q is %v: JSON has no such number", e.Name, k, v)
		}
	}
	if e.SHA256 != "" {
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 || hex.EncodeToString(b) != e.SHA256 {
			return fmt.Errorf("%s: sha256 %q: want 64 lower-case hex digits", e.Name, e.SHA256)
		}
	}
	if e.Size < 0 {
		return fmt.Errorf("%s: negative size %d", e.Name, e.Size)
	}
	return nil
}

// record is what the KV holds: the entry, pending while its blob is being uploaded.
type record struct {
	Entry
	Pending bool `json:"pending,omitempty"`
}

func versionKey(name string, version int) string { return name + "." + strconv.Itoa(version) }
func latestKey(name string) string               { return name + ".latest" }

var (
	// ErrNotFound: no such model or version.
	ErrNotFound = errors.New("not found")
	// ErrPending: the version is claimed but its blob was never completely uploaded (being
	// published, or its publisher died).
	ErrPending = errors.New("upload not complete")
	// ErrExists: an explicit version is already taken by a different blob.
	ErrExists = errors.New("version exists with a different blob")
)

// CorruptError says that a blob is not the one its entry describes.
type CorruptError struct {
	// Where is the blob, "models/<name>/<version>", or the file it was read from.
	Where string
	// What differs: "sha256" or "size".
	What      string
	Want, Got string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("registry: %s: %s mismatch: want %s, got %s", e.Where, e.What, e.Want, e.Got)
}

// Registry is the model registry of one JetStream account.
type Registry struct {
	kv        jetstream.KeyValue
	obs       jetstream.ObjectStore
	chunkSize uint32
}

// PreferredChunkSize is the Object Store chunk the registry writes blobs in, when the server's
// max payload allows it (nats.go's default is 128 KiB; larger chunks mean fewer messages, acks
// and flow-control round trips for checkpoints of hundreds of MB).
const PreferredChunkSize = 1 << 20

// chunkHeadroom is left under the server's max payload for the message's headers.
const chunkHeadroom = 4 << 10

// Open binds to the buckets "models" and "registry", creating them with replicas when they are
// missing (an existing bucket is left as it is, so a reader whose NATS user may not create
// streams can open the registry). It retries while a cluster elects a leader.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Registry, error) {
	replicas = max(replicas, 1)
	r := &Registry{chunkSize: chunkSizeFor(js.Conn().MaxPayload())}
	err := bus.Retry(ctx, func(ctx context.Context) error {
		kv, err := js.KeyValue(ctx, BucketRegistry)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
				Bucket: BucketRegistry, Description: "model versions and the latest of each model",
				History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
			})
		}
		r.kv = kv
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: bucket %s: %w", BucketRegistry, err)
	}
	err = bus.Retry(ctx, func(ctx context.Context) error {
		obs, err := js.ObjectStore(ctx, BucketModels)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
				Bucket: BucketModels, Description: "model checkpoints, <name>/<version>",
				Storage: jetstream.FileStorage, Replicas: replicas,
			})
		}
		r.obs = obs
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: object store %s: %w", BucketModels, err)
	}
	return r, nil
}

func chunkSizeFor(maxPayload int64) uint32 {
	return uint32(max(min(PreferredChunkSize, maxPayload-chunkHeadroom), 1<<10))
}

// ChunkSize is the Object Store chunk size this registry writes blobs in.
func (r *Registry) ChunkSize() uint32 { return r.chunkSize }

// Publish stores blob as a new version of e.Name and returns its entry. With e.Version 0 it
// takes the next version; with an explicit version it takes that one, and if the version
// exists already it returns the existing entry when e.SHA256 and e.Size match it (an import
// done twice) and ErrExists otherwise. Created is set to now when zero. The version becomes
// the latest unless a newer one already is.
func (r *Registry) Publish(ctx context.Context, e Entry, blob io.Reader) (Entry, error) {
	if err := e.validate(); err != nil {
		return Entry{}, fmt.Errorf("registry: publish: %w", err)
	}
	if blob == nil {
		return Entry{}, fmt.Errorf("registry: publish %s: no blob reader", e.Name)
	}
	want := e
	if e.Created.IsZero() {
		e.Created = time.Now().UTC()
	}
	rev, existing, err := r.claim(ctx, &e)
	if err != nil {
		return Entry{}, err
	}
	if existing != nil {
		return *existing, nil
	}
	info, err := r.obs.Put(ctx, jetstream.ObjectMeta{Name: e.Object(), Opts: &jetstream.ObjectMetaOptions{ChunkSize: r.chunkSize}}, fullReader{blob})
	if err != nil {
		r.abandon(e, rev, false)
		return Entry{}, fmt.Errorf("registry: publish %s: upload: %w", e.Ref(), err)
	}
	e.Size = int64(info.Size)
	if e.SHA256, err = hexDigest(info.Digest); err != nil {
		r.abandon(e, rev, true)
		return Entry{}, fmt.Errorf("registry: publish %s: object digest %q: %w", e.Ref(), info.Digest, err)
	}
	if want.SHA256 != "" {
		var bad *CorruptError
		switch {
		case e.SHA256 != want.SHA256:
			bad = &CorruptError{Where: BucketModels + "/" + e.Object(), What: "sha256", Want: want.SHA256, Got: e.SHA256}
		case e.Size != want.Size:
			bad = &CorruptError{Where: BucketModels + "/" + e.Object(), What: "size", Want: strconv.FormatInt(want.Size, 10), Got: strconv.FormatInt(e.Size, 10)}
		}
		if bad != nil {
			r.abandon(e, rev, true)
			return Entry{}, bad
		}
	}
	data, err := json.Marshal(record{Entry: e})
	if err != nil {
		r.abandon(e, rev, true)
		return Entry{}, fmt.Errorf("registry: publish %s: %w", e.Ref(), err)
	}
	if _, err := r.kv.Update(ctx, versionKey(e.Name, e.Version), data, rev); err != nil {
		r.abandon(e, rev, true)
		return Entry{}, fmt.Errorf("registry: publish %s: entry: %w", e.Ref(), err)
	}
	if err := r.advanceLatest(ctx, e, data); err != nil {
		return e, fmt.Errorf("registry: publish %s: stored, but the latest pointer was not moved: %w", e.Ref(), err)
	}
	return e, nil
}

// claim creates the pending record of e's version, choosing the next free version when
// e.Version is 0. For an explicit version already complete with e's blob it returns that entry.
func (r *Registry) claim(ctx context.Context, e *Entry) (rev uint64, existing *Entry, err error) {
	explicit := e.Version != 0
	if !explicit {
		latest, err := r.get(ctx, latestKey(e.Name))
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return 0, nil, fmt.Errorf("registry: publish %s: %w", e.Name, err)
		default:
			e.Version = latest.Version
		}
		e.Version++
	}
	for ; e.Version <= MaxVersion; e.Version++ {
		claimed := *e
		claimed.SHA256, claimed.Size = "", 0
		data, err := json.Marshal(record{Entry: claimed, Pending: true})
		if err != nil {
			return 0, nil, fmt.Errorf("registry: publish %s: %w", e.Ref(), err)
		}
		rev, err := r.kv.Create(ctx, versionKey(e.Name, e.Version), data)
		if err == nil {
			return rev, nil, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, nil, fmt.Errorf("registry: publish %s: claim: %w", e.Ref(), err)
		}
		if explicit {
			have, err := r.get(ctx, versionKey(e.Name, e.Version))
			if err != nil {
				return 0, nil, fmt.Errorf("registry: publish %s: %w", e.Ref(), err)
			}
			if !have.Pending && e.SHA256 != "" && have.SHA256 == e.SHA256 && have.Size == e.Size {
				return 0, &have.Entry, nil
			}
			if have.Pending {
				return 0, nil, fmt.Errorf("registry: publish %s: %w: another publisher claimed it (or died uploading it)", e.Ref(), ErrExists)
			}
			return 0, nil, fmt.Errorf("registry: publish %s: %w (sha256 %s, %d bytes)", e.Ref(), ErrExists, have.SHA256, have.Size)
		}
	}
	return 0, nil, fmt.Errorf("registry: publish %s: no version left", e.Name)
}

// abandon withdraws a claim whose upload failed, so that the version can be taken again; the
// record is deleted only if it is still this claim. It uses its own context: ctx may be why
// the upload failed.
func (r *Registry) abandon(e Entry, rev uint64, uploaded bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.kv.Delete(ctx, versionKey(e.Name, e.Version), jetstream.LastRevision(rev)); err != nil {
		return
	}
	if uploaded {
		_ = r.obs.Delete(ctx, e.Object())
	}
}

// advanceLatest points "<name>.latest" at e unless it points at a newer version already.
func (r *Registry) advanceLatest(ctx context.Context, e Entry, data []byte) error {
	key := latestKey(e.Name)
	return bus.Retry(ctx, func(ctx context.Context) error {
		for {
			cur, err := r.kv.Get(ctx, key)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
				_, err = r.kv.Create(ctx, key, data)
			case err != nil:
				return err
			default:
				var have record
				if json.Unmarshal(cur.Value(), &have) == nil && have.Version >= e.Version {
					return nil
				}
				_, err = r.kv.Update(ctx, key, data, cur.Revision())
			}
			if err == nil || !(errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)) {
				return err
			}
		}
	})
}

// get reads and decodes the record under key; a missing key is ErrNotFound.
func (r *Registry) get(ctx context.Context, key string) (record, error) {
	var kve jetstream.KeyValueEntry
	err := bus.Retry(ctx, func(ctx context.Context) error {
		var err error
		kve, err = r.kv.Get(ctx, key)
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return record{}, ErrNotFound
	}
	if err != nil {
		return record{}, err
	}
	var rec record
	if err := json.Unmarshal(kve.Value(), &rec); err != nil {
		return record{}, fmt.Errorf("entry %s/%s (revision %d): %w", BucketRegistry, key, kve.Revision(), err)
	}
	return rec, nil
}

// Resolve returns the entry a reference names: "name" or "name@latest" for the newest version,
// "name@N" for version N.
func (r *Registry) Resolve(ctx context.Context, ref string) (Entry, error) {
	name, version, err := ParseRef(ref)
	if err != nil {
		return Entry{}, err
	}
	if version == Best {
		return r.best(ctx, name)
	}
	key := latestKey(name)
	if version != 0 {
		key = versionKey(name, version)
	}
	rec, err := r.get(ctx, key)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: %s: %w", ref, err)
	}
	if rec.Pending {
		return Entry{}, fmt.Errorf("registry: %s: %w", ref, ErrPending)
	}
	return rec.Entry, nil
}

func hexDigest(digest string) (string, error) {
	algo, b64, ok := strings.Cut(digest, "=")
	if !ok || algo != "SHA-256" {
		return "", fmt.Errorf("want SHA-256=<base64>")
	}
	sum, err := base64.URLEncoding.DecodeString(b64)
	if err != nil || len(sum) != 32 {
		return "", fmt.Errorf("want 32 bytes of URL base64")
	}
	return hex.EncodeToString(sum), nil
}

// fullReader fills every buffer it is given unless the input ends, so that the Object Store,
// which sends each Read as one chunk, sends full chunks.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.r, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}
