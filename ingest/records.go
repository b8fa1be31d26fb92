package ingest

import (
	"context"
	"fmt"
	"strconv"

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
