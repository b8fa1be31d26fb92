package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// RecordBatch is batch number N of the records a file gave, as the line-oriented ingests
// (rankings, prompts) publish them: Arrow-encoded with codec, the schema, file, batch and row
// headers, and the id <kind>/<source>/<identity>/<N>, so a batch sent again after a restart is
// dropped by the server.
type RecordBatch[T any] struct {
	Codec    *schemas.Codec[T]
	Schema   string
	Kind     string
	Source   string
	Identity string
	File     string
	Subject  string
	N        int
	Rows     []T
}

// Publish sends the batch through pub.
func (b RecordBatch[T]) Publish(ctx context.Context, pub *bus.Publisher) error {
	data, err := b.Codec.Encode(b.Rows)
	if err != nil {
		return err
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, b.Schema)
	h.Set(schemas.HeaderDump, b.File)
	h.Set(schemas.HeaderBatch, strconv.Itoa(b.N))
	h.Set(schemas.HeaderRows, strconv.Itoa(len(b.Rows)))
	return pub.Publish(ctx, b.Subject, fmt.Sprintf("%s/%s/%s/%d", b.Kind, b.Source, b.Identity, b.N), data, h)
}

// SourceFromFile is the default source name of a line file: its base name without compression
// and format extensions, other characters than letters, digits, '-' and '_' made '-'; fallback
// when nothing usable is left.
func SourceFromFile(path, fallback string) string {
	name := filepath.Base(path)
	for {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".gz", ".zst", ".jsonl", ".json", ".ndjson", ".txt":
			name = strings.TrimSuffix(name, filepath.Ext(name))
			continue
		}
		break
	}
	b := []byte(name)
	for i, c := range b {
		if !sourceChar(c) {
			b[i] = '-'
		}
	}
	name = strings.TrimLeft(string(b), "-_")
	if name == "" || len(name) > 64 {
		return fallback
	}
	return name
}

// CheckSource accepts a source name usable as a subject token and a lake partition: 1 to 64
// letters, digits, '-' or '_', starting with a letter or digit.
func CheckSource(s string) error {
	ok := s != "" && len(s) <= 64 && s[0] != '-' && s[0] != '_'
	for i := 0; ok && i < len(s); i++ {
		ok = sourceChar(s[i])
	}
	if !ok {
		return fmt.Errorf("bad source %q: want 1-64 letters, digits, '-' or '_', starting with a letter or digit", s)
	}
	return nil
}

func sourceChar(c byte) bool {
	return c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
