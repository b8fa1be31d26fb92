package stackexchange

import (
	"errors"
	"strconv"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/schemas"
)

// postReader turns the rows of Posts.xml into Documents, parsed in parallel and returned in
// file order with their upvotes (looked up in post id order).
type postReader struct {
	site, file string
	votes      *Upvotes
	ingested   int64
	rows       *rowPipeline
	cur        *rowChunk
	next       int
	offset     int64
}

func newPostReader(s *RowScanner, site, file string, votes *Upvotes, ingested int64) *postReader {
	r := &postReader{site: site, file: file, votes: votes, ingested: ingested, offset: s.Offset()}
	r.rows = startRows(s, r.parse)
	return r
}

func (r *postReader) close() { r.rows.close() }

func (r *postReader) Offset() int64 { return r.offset }

func (r *postReader) Next() (schemas.Document, error) {
	for {
		if r.cur != nil && r.next < len(r.cur.rows) {
			row := &r.cur.rows[r.next]
			r.next++
			r.offset = row.end
			if row.err != nil {
				return schemas.Document{}, row.err
			}
			d := row.doc
			if r.votes != nil {
				d.Upvotes, _ = r.votes.Lookup(row.id)
			}
			return d, nil
		}
		if r.cur != nil && r.cur.end != nil {
			return schemas.Document{}, r.cur.end
		}
		if r.cur != nil {
			r.rows.release(r.cur)
		}
		r.cur, r.next = r.rows.next(), 0
	}
}

// parse runs on the parsing goroutines.
func (r *postReader) parse(data []byte, row *chunkRow) {
	raw := data[row.lo:row.hi]
	p, err := ParsePost(raw)
	if err != nil {
		row.err = badRecord(newRowError(r.file, row.offset, err, raw))
		return
	}
	var kind, thread string
	switch p.PostTypeID {
	case PostTypeQuestion:
		kind, thread = schemas.KindQuestion, strconv.FormatInt(p.ID, 10)
	case PostTypeAnswer:
		if p.ParentID <= 0 {
			row.err = badRecord(newRowError(r.file, row.offset, errors.New("answer without ParentId"), raw))
			return
		}
		kind, thread = schemas.KindAnswer, strconv.FormatInt(p.ParentID, 10)
	default:
		row.err = ingest.ErrSkip
		return
	}
	row.doc, row.id = r.document(p, kind, thread, row.offset), p.ID
}
