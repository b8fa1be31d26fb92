// Package promptmsg reads the prompt messages rollout workers take from PROMPTS: Arrow batches
// of schemas.Prompt, which may hold anything (they come from outside the worker).
package promptmsg

import (
	"fmt"

	"github.com/prefstream/prefstream/schemas"
)

// MaxRows is the most prompts one message may hold: a prompt's row number must fit in 20 bits
// of a trajectory's sequence number.
const MaxRows = 1 << 20

// Row is a usable prompt and its row in the message.
type Row struct {
	Prompt schemas.Prompt
	Index  int
}

// Rejected is a row that is not a usable prompt, and why.
type Rejected struct {
	Prompt schemas.Prompt
	Index  int
	Reason string
}

// Parse decodes a prompt message and splits its rows into the usable ones and the rejected ones
// (schemas.Prompt.Validate), both in row order. An error means the message as a whole cannot be
// read: not an Arrow prompt batch, corrupt, or more than MaxRows rows.
func Parse(data []byte) (rows []Row, bad []Rejected, err error) {
	prompts, err := schemas.PromptCodec.Decode(data)
	if err != nil {
		return nil, nil, err
	}
	if len(prompts) > MaxRows {
		return nil, nil, fmt.Errorf("promptmsg: %d prompts in one message, at most %d", len(prompts), MaxRows)
	}
	for i, p := range prompts {
		if err := p.Validate(); err != nil {
			bad = append(bad, Rejected{Prompt: p, Index: i, Reason: err.Error()})
			continue
		}
		rows = append(rows, Row{Prompt: p, Index: i})
	}
	return rows, bad, nil
}
