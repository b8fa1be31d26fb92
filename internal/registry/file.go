package registry

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// A model file holds one version moving between registries:
//
//	prefstream-model/v1\n
//	{"name":"pm","version":3,...,"sha256":"...","size":N}\n
//	N bytes of blob
//
// The entry line is the Entry as JSON on one line; import checks the blob against its size
// and sha256.

// Magic is the first line of a model file.
const Magic = "prefstream-model/v1"

// MaxHeaderLine is the longest entry line a model file may have.
const MaxHeaderLine = 1 << 20

// WriteHeader writes the magic line and e's line.
func WriteHeader(w io.Writer, e Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("registry: model file header: %w", err)
	}
	if len(data) >= MaxHeaderLine {
		return fmt.Errorf("registry: model file header of %d bytes: at most %d", len(data), MaxHeaderLine-1)
	}
	buf := make([]byte, 0, len(Magic)+len(data)+2)
	buf = append(append(append(append(buf, Magic...), '\n'), data...), '\n')
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("registry: model file header: %w", err)
	}
	return nil
}

// ReadHeader reads the magic line and the entry line of a model file; the blob, e.Size bytes,
// follows in br. n is the length of the header in bytes. Errors name the byte offset.
func ReadHeader(br *bufio.Reader) (e Entry, n int64, err error) {
	magic, err := readLine(br, len(Magic)+1)
	if err != nil || string(magic) != Magic {
		return Entry{}, 0, fmt.Errorf("byte 0: not a model file: the first line must be %q", Magic)
	}
	n = int64(len(magic)) + 1
	line, err := readLine(br, MaxHeaderLine)
	if err != nil {
		return Entry{}, 0, fmt.Errorf("byte %d: entry line: %w", n, err)
	}
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, 0, fmt.Errorf("byte %d: entry line: %w", n, err)
	}
	if err := e.validate(); err != nil {
		return Entry{}, 0, fmt.Errorf("byte %d: entry line: %w", n, err)
	}
	if e.Version == 0 || e.SHA256 == "" {
		return Entry{}, 0, fmt.Errorf("byte %d: entry line: version and sha256 are required", n)
	}
	return e, n + int64(len(line)) + 1, nil
}

// readLine reads a line of at most limit bytes before its '\n'.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit+1 {
			return nil, fmt.Errorf("line longer than %d bytes", limit)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("file ends before the end of the line")
		default:
			return nil, err
		}
	}
}

// Export writes version ref as a model file to w, checking the blob as it streams.
func (r *Registry) Export(ctx context.Context, ref string, w io.Writer) (Entry, error) {
	e, rc, err := r.Open(ctx, ref)
	if err != nil {
		return Entry{}, err
	}
	defer rc.Close()
	if err := WriteHeader(w, e); err != nil {
		return Entry{}, err
	}
	if _, err := io.Copy(w, rc); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// ExportFile writes version ref as the model file path, which appears only when complete.
func (r *Registry) ExportFile(ctx context.Context, ref, path string) (Entry, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Entry{}, fmt.Errorf("registry: export: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	e, err := r.Export(ctx, ref, bw)
	if err != nil {
		return Entry{}, err
	}
	if err := errors.Join(bw.Flush(), f.Chmod(0o644), f.Sync(), f.Close()); err != nil {
		return Entry{}, fmt.Errorf("registry: export %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return Entry{}, fmt.Errorf("registry: export %s: %w", path, err)
	}
	return e, nil
}

// Import publishes the model file read from src under the name and version it records, or
// under the name as when that is not empty. Importing the same file twice is harmless; a
// version taken by a different blob is refused (ErrExists). A file whose blob is cut short,
// followed by more bytes, or not the blob its header describes is refused, and nothing of it
// becomes visible.
func (r *Registry) Import(ctx context.Context, src io.Reader, as string) (Entry, error) {
	return r.importFrom(ctx, src, "model file", as)
}

// ImportFile imports the model file path (see Import).
func (r *Registry) ImportFile(ctx context.Context, path, as string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: import: %w", err)
	}
	defer f.Close()
	return r.importFrom(ctx, f, path, as)
}

func (r *Registry) importFrom(ctx context.Context, src io.Reader, file, as string) (Entry, error) {
	br := bufio.NewReaderSize(src, 1<<20)
	e, n, err := ReadHeader(br)
	if err != nil {
		return Entry{}, fmt.Errorf("registry: import %s: %w", file, err)
	}
	if as != "" {
		if err := ValidName(as); err != nil {
			return Entry{}, fmt.Errorf("registry: import %s as %q: %w", file, as, err)
		}
		e.Name = as
	}
	blob := &fileBlob{r: br, file: file, start: n, want: e, hash: sha256.New()}
	got, err := r.Publish(ctx, e, blob)
	if blob.err != nil && !errors.Is(blob.err, io.EOF) {
		return Entry{}, blob.err
	}
	if err != nil {
		return Entry{}, fmt.Errorf("registry: import %s: %w", file, err)
	}
	return got, nil
}

// fileBlob reads the blob of a model file, exactly want.Size bytes, and checks it.
type fileBlob struct {
	r     *bufio.Reader
	file  string
	start int64
	want  Entry
	hash  hash.Hash
	n     int64
	err   error
}

func (b *fileBlob) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if left := b.want.Size - b.n; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.hash.Write(p[:n])
	b.n += int64(n)
	switch {
	case b.n == b.want.Size:
		b.err = b.end()
	case errors.Is(err, io.EOF):
		b.err = fmt.Errorf("registry: import %s: the file ends at byte %d, %d bytes into a blob of %d", b.file, b.start+b.n, b.n, b.want.Size)
	case err != nil:
		b.err = fmt.Errorf("registry: import %s: byte %d: %w", b.file, b.start+b.n, err)
	}
	return n, b.err
}

// end checks that nothing follows the blob and that it is the blob the header describes.
func (b *fileBlob) end() error {
	if extra, _ := b.r.Peek(1); len(extra) > 0 {
		return fmt.Errorf("registry: import %s: more bytes after the blob at byte %d (the header says %d blob bytes)", b.file, b.start+b.n, b.want.Size)
	}
	if sum := hex.EncodeToString(b.hash.Sum(nil)); sum != b.want.SHA256 {
		return &CorruptError{Where: b.file, What: "sha256", Want: b.want.SHA256, Got: sum}
	}
	return io.EOF
}
