package schemas

// DocumentSchema is the version of the Document record.
const DocumentSchema = "document/v1"

// Document kinds.
const (
	KindQuestion   = "question"
	KindAnswer     = "answer"
	KindSubmission = "submission"
	KindComment    = "comment"
	KindRevision   = "revision"
)

// Document flags.
const (
	FlagDeleted       int64 = 1 << iota // the text was deleted or removed
	FlagAuthorDeleted                   // the author account is gone
	FlagNSFW                            // marked not safe for work
	FlagDistinguished                   // moderator-distinguished
	FlagFabricated                      // a row the dump itself fabricated
	FlagSelfPost                        // a text (self) submission rather than a link
	FlagMinorEdit                       // a revision marked minor
)

// Document is one post, answer, comment or revision, as ingested from a dump.
type Document struct {
	Source      string `parquet:"source,dict"`
	Dump        string `parquet:"dump,dict"`
	ID          string `parquet:"id"`
	ThreadID    string `parquet:"thread_id"`
	ParentID    string `parquet:"parent_id"`
	Kind        string `parquet:"kind,dict"`
	Author      string `parquet:"author"`
	CreatedUnix int64  `parquet:"created_unix"`
	Score       int64  `parquet:"score"`
	// Upvotes is the count of up-votes, or -1 when the dump does not give it.
	Upvotes    int64  `parquet:"upvotes"`
	AcceptedID string `parquet:"accepted_id"`
	Title      string `parquet:"title"`
	Text       string `parquet:"text"`
	Tags       string `parquet:"tags"`
	Flags      int64  `parquet:"flags"`
	// Extra holds source-specific fields as a JSON object, empty when there are none.
	Extra string `parquet:"extra"`
	// Lineage.
	SourceFile   string `parquet:"source_file,dict"`
	Offset       int64  `parquet:"offset"`
	IngestedUnix int64  `parquet:"ingested_unix"`
}

// Has reports whether all of flags are set.
func (d *Document) Has(flags int64) bool { return d.Flags&flags == flags }

// Size is a cheap estimate of the record's encoded size in bytes.
func (d *Document) Size() int {
	return 96 + len(d.Source) + len(d.Dump) + len(d.ID) + len(d.ThreadID) + len(d.ParentID) + len(d.Kind) +
		len(d.Author) + len(d.AcceptedID) + len(d.Title) + len(d.Text) + len(d.Tags) + len(d.Extra) + len(d.SourceFile)
}

// DocumentCodec encodes and decodes Documents as Arrow IPC batches.
var DocumentCodec = NewCodec(DocumentSchema,
	StringColumn("source", func(d *Document) *string { return &d.Source }),
	StringColumn("dump", func(d *Document) *string { return &d.Dump }),
	StringColumn("id", func(d *Document) *string { return &d.ID }),
	StringColumn("thread_id", func(d *Document) *string { return &d.ThreadID }),
	StringColumn("parent_id", func(d *Document) *string { return &d.ParentID }),
	StringColumn("kind", func(d *Document) *string { return &d.Kind }),
	StringColumn("author", func(d *Document) *string { return &d.Author }),
	Int64Column("created_unix", func(d *Document) *int64 { return &d.CreatedUnix }),
	Int64Column("score", func(d *Document) *int64 { return &d.Score }),
	Int64Column("upvotes", func(d *Document) *int64 { return &d.Upvotes }),
	StringColumn("accepted_id", func(d *Document) *string { return &d.AcceptedID }),
	StringColumn("title", func(d *Document) *string { return &d.Title }),
	StringColumn("text", func(d *Document) *string { return &d.Text }),
	StringColumn("tags", func(d *Document) *string { return &d.Tags }),
	Int64Column("flags", func(d *Document) *int64 { return &d.Flags }),
	StringColumn("extra", func(d *Document) *string { return &d.Extra }),
	StringColumn("source_file", func(d *Document) *string { return &d.SourceFile }),
	Int64Column("offset", func(d *Document) *int64 { return &d.Offset }),
	Int64Column("ingested_unix", func(d *Document) *int64 { return &d.IngestedUnix }),
)
