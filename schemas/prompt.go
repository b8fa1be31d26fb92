package schemas

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// PromptSchema is the version of the Prompt record.
const PromptSchema = "prompt/v1"

// MaxPromptIDBytes is the longest prompt id an input may give.
const MaxPromptIDBytes = 256

// Prompt is one text rollout workers answer: a line of a prompts file, or the prompt of pairs
// in the lake.
type Prompt struct {
	// PromptID is deterministic: the id the input gave, or PromptID(source, text).
	PromptID string `parquet:"prompt_id"`
	Text     string `parquet:"text"`
	// Source names where the prompts came from: a file's base name, --source, or "lake".
	Source string `parquet:"source,dict"`
	// Split is train or test: SplitOfPrompt for files; prompts from the lake keep the split of
	// the pair they came from, so the prompts of held-out threads stay held out.
	Split string `parquet:"split,dict"`
	// Lineage: the input file (for the lake, the part file under the lake root), the position
	// of the record in it (a byte offset for files, a row index for Parquet parts), when it
	// was ingested.
	SourceFile   string `parquet:"source_file,dict"`
	Offset       int64  `parquet:"offset"`
	IngestedUnix int64  `parquet:"ingested_unix"`
}

// PromptID hashes a prompt's source and text: the same text from one source always has the same
// id, whatever file or lake part it came from.
func PromptID(source, text string) string {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{source, text} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SplitOfPrompt assigns a prompt to train or test by its id.
func SplitOfPrompt(id string) string { return SplitOf("prompt", "id", id) }

// Validate reports the first reason the prompt cannot be used: no id, an id too long, or an
// empty text.
func (p *Prompt) Validate() error {
	switch {
	case p.PromptID == "":
		return errors.New("schemas: prompt has no id")
	case len(p.PromptID) > MaxPromptIDBytes:
		return fmt.Errorf("schemas: prompt id of %d bytes, at most %d", len(p.PromptID), MaxPromptIDBytes)
	case strings.TrimSpace(p.Text) == "":
		return errors.New("schemas: prompt text is empty")
	}
	return nil
}

// Size is a cheap estimate of the record's encoded size in bytes.
func (p *Prompt) Size() int {
	return 48 + len(p.PromptID) + len(p.Text) + len(p.Source) + len(p.Split) + len(p.SourceFile)
}

// PromptCodec encodes and decodes Prompts as Arrow IPC batches.
var PromptCodec = NewCodec(PromptSchema,
	StringColumn("prompt_id", func(p *Prompt) *string { return &p.PromptID }),
	StringColumn("text", func(p *Prompt) *string { return &p.Text }),
	StringColumn("source", func(p *Prompt) *string { return &p.Source }),
	StringColumn("split", func(p *Prompt) *string { return &p.Split }),
	StringColumn("source_file", func(p *Prompt) *string { return &p.SourceFile }),
	Int64Column("offset", func(p *Prompt) *int64 { return &p.Offset }),
	Int64Column("ingested_unix", func(p *Prompt) *int64 { return &p.IngestedUnix }),
)
