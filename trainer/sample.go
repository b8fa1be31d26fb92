package trainer

import (
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// A preference-model sample is one context of at most Context tokens:
//
//	[prompt tail] [response head] [label] <|endofcontext|>
//
// The response is kept whole up to ResponseLimit tokens (three quarters of the context, less
// the two special slots) and cut at its end beyond that; the prompt fills what is left and is
// cut from the left, so the words nearest the response survive. The label (<|good|> or
// <|bad|>) is present only in binarized samples. The reward is read at <|endofcontext|>.
// A policy sample is the prompt tail, the response, and <|endofcontext|> where it stops.

// ResponseLimit is the most response tokens a sample keeps.
func ResponseLimit(context int) int { return max(1, context*3/4-2) }

// promptSeparator ends a non-empty prompt so the model sees where the response begins.
var promptSeparator = []byte("\n\n")

// Encoder turns texts into samples for one tokenizer and context size, reusing buffers.
type Encoder struct {
	Tok     *tokenizer.Tokenizer
	Context int
	prompt  []int32
	resp    []int32
}

// promptAndResponse returns the kept prompt tail and response head, leaving room for reserve
// special tokens.
func (e *Encoder) promptAndResponse(prompt, response string, reserve int) (p, r []int32) {
	e.resp = e.Tok.AppendEncode(e.resp[:0], []byte(response))
	r = e.resp[:min(len(e.resp), ResponseLimit(e.Context))]
	e.prompt = e.prompt[:0]
	if prompt != "" {
		e.prompt = e.Tok.AppendEncode(e.prompt, []byte(prompt))
		e.prompt = e.Tok.AppendEncode(e.prompt, promptSeparator)
	}
	room := max(0, e.Context-reserve-len(r))
	p = e.prompt[max(0, len(e.prompt)-room):]
	return p, r
}

// Reward appends to dst the sample for scoring response to prompt, with label
// tokenizer.Good or tokenizer.Bad before the end token, or none when label < 0.
func (e *Encoder) Reward(dst []int32, prompt, response string, label int32) []int32 {
	reserve := 1
	if label >= 0 {
		reserve = 2
	}
	p, r := e.promptAndResponse(prompt, response, reserve)
	dst = append(dst, p...)
	dst = append(dst, r...)
	if label >= 0 {
		dst = append(dst, label)
	}
	return append(dst, tokenizer.EndOfContext)
}

// Policy appends the prompt and response tokens of an imitation sample, the response ended by
// <|endofcontext|> (so a policy learns to stop), and returns, with it, where the response starts.
func (e *Encoder) Policy(dst []int32, prompt, response string) ([]int32, int) {
	p, r := e.promptAndResponse(prompt, response, 1)
	dst = append(dst, p...)
	start := len(dst)
	dst = append(dst, r...)
	return append(dst, tokenizer.EndOfContext), start
}

// Prompt appends the tokens a policy continues from: the prompt and its separator, cut from
// the left to leave room for maxNew generated tokens.
func (e *Encoder) Prompt(dst []int32, prompt string, maxNew int) []int32 {
	e.prompt = e.Tok.AppendEncode(e.prompt[:0], []byte(prompt))
	e.prompt = e.Tok.AppendEncode(e.prompt, promptSeparator)
	room := max(1, e.Context-maxNew)
	return append(dst, e.prompt[max(0, len(e.prompt)-room):]...)
}
