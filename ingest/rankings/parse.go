package rankings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prefstream/prefstream/schemas"
)

// Format names an input format.
type Format string

// Formats.
const (
	// FormatJSONL is one object per line: {"id"?, "prompt", "responses": [...], "ranking": [best..worst
	// indices] (or "order"), "scores"?: [...], "annotator"?, "created"?}.
	FormatJSONL Format = "jsonl"
	// FormatHH is Anthropic HH-RLHF: {"chosen": transcript, "rejected": transcript} per line.
	FormatHH Format = "hh-rlhf"
)

// Formats lists every format, for help texts and flag checks.
var Formats = []Format{FormatJSONL, FormatHH}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("rankings: unknown format %q, want jsonl or hh-rlhf", s)
}

// Parser turns one input line into a valid Ranking (Source, Split and lineage are the caller's),
// or an error whose text is the reason the line is dead-lettered.
type Parser func(line []byte) (schemas.Ranking, error)

// ParserOf returns the line parser of f.
func ParserOf(f Format) (Parser, error) {
	switch f {
	case FormatJSONL:
		return ParseJSONL, nil
	case FormatHH:
		return ParseHH, nil
	}
	_, err := ParseFormat(string(f))
	return nil, err
}

// jsonRanking is the JSONL record. Pointers and raw values tell missing from empty and null.
type jsonRanking struct {
	ID        json.RawMessage `json:"id"`
	Prompt    *string         `json:"prompt"`
	Responses []*string       `json:"responses"`
	Ranking   []json.Number   `json:"ranking"`
	Order     []json.Number   `json:"order"`
	Scores    []*float64      `json:"scores"`
	Annotator string          `json:"annotator"`
	Created   json.RawMessage `json:"created"`
}

// ParseJSONL parses one JSONL ranking. "ranking" and "order" are synonyms (both given, they
// must agree); with "scores" alone the order is by descending score, and equal scores are ties
// that give no pair. A missing id is the hash of the content (schemas.RankingID).
func ParseJSONL(line []byte) (schemas.Ranking, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return schemas.Ranking{}, errors.New("not a JSON object")
	}
	var in jsonRanking
	if err := json.Unmarshal(line, &in); err != nil {
		return schemas.Ranking{}, fmt.Errorf("bad JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	var r schemas.Ranking
	if in.Prompt != nil {
		r.Prompt = *in.Prompt
	}
	if in.Responses == nil {
		return r, errors.New(`no "responses"`)
	}
	r.Responses = make([]string, len(in.Responses))
	for i, s := range in.Responses {
		if s == nil {
			return r, fmt.Errorf("response %d is null", i)
		}
		r.Responses[i] = *s
	}
	var err error
	if r.Order, err = orderOf(in); err != nil {
		return r, err
	}
	if in.Scores != nil {
		r.Scores = make([]float64, len(in.Scores))
		for i, s := range in.Scores {
			if s == nil {
				return r, fmt.Errorf("score %d is null", i)
			}
			r.Scores[i] = *s
		}
		if len(r.Scores) != len(r.Responses) {
			return r, fmt.Errorf("%d scores for %d responses", len(r.Scores), len(r.Responses))
		}
		if r.Order == nil {
			r.Order = orderByScore(r.Scores)
		}
	}
	if r.Order == nil {
		return r, errors.New(`no "ranking": give "ranking" (or "order") as indices best first, or "scores"`)
	}
	r.Annotator = in.Annotator
	if r.CreatedUnix, err = unixOf(in.Created); err != nil {
		return r, err
	}
	if err := r.Validate(); err != nil {
		return r, reason(err)
	}
	if r.RankingID, err = idOf(in.ID); err != nil {
		return r, err
	}
	if r.RankingID == "" {
		r.RankingID = schemas.RankingID(r.Prompt, r.Responses, r.Order, r.Annotator)
	}
	return r, nil
}

func orderOf(in jsonRanking) ([]int32, error) {
	ranking, err := indices("ranking", in.Ranking)
	if err != nil {
		return nil, err
	}
	order, err := indices("order", in.Order)
	if err != nil {
		return nil, err
	}
	switch {
	case ranking != nil && order != nil && !slices.Equal(ranking, order):
		return nil, errors.New(`"ranking" and "order" disagree`)
	case ranking != nil:
		return ranking, nil
	}
	return order, nil
}

// indices reads JSON numbers as response indices; range and duplicates are Validate's.
func indices(field string, ns []json.Number) ([]int32, error) {
	if ns == nil {
		return nil, nil
	}
	out := make([]int32, len(ns))
	for i, n := range ns {
		v, err := strconv.ParseInt(string(n), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] = %s is not a response index", field, i, n)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// orderByScore orders indices by descending score, ties by index.
func orderByScore(scores []float64) []int32 {
	order := make([]int32, len(scores))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		switch sa, sb := scores[a], scores[b]; {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	return order
}

// idOf accepts a string or an integer id.
func idOf(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return string(n), nil
		}
	}
	return "", fmt.Errorf(`"id" %s is neither a string nor an integer`, clip(raw, 40))
}

// unixOf accepts Unix seconds (a number) or an RFC 3339 time (a string); missing is 0.
func unixOf(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return 0, fmt.Errorf(`"created" %q is not an RFC 3339 time`, clip([]byte(s), 40))
		}
		return t.Unix(), nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || math.Abs(f) > 1e12 {
		return 0, fmt.Errorf(`"created" %s is neither Unix seconds nor an RFC 3339 time`, clip(raw, 40))
	}
	return int64(f), nil
}

// The HH-RLHF transcript markers.
const (
	humanMarker     = "\n\nHuman:"
	assistantMarker = "\n\nAssistant:"
)

type hhLine struct {
	Chosen   *string `json:"chosen"`
	Rejected *string `json:"rejected"`
}

// ParseHH parses one HH-RLHF line. The prompt is the longest common prefix of the two
// transcripts up to and including the last "\n\nAssistant:" marker they share; the responses
// are what follows in each (chosen first, order [0, 1]). Transcripts that differ before their
// last assistant turn are refused.
func ParseHH(line []byte) (schemas.Ranking, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return schemas.Ranking{}, errors.New("not a JSON object")
	}
	var in hhLine
	if err := json.Unmarshal(line, &in); err != nil {
		return schemas.Ranking{}, fmt.Errorf("bad JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if in.Chosen == nil || in.Rejected == nil {
		return schemas.Ranking{}, errors.New(`want both "chosen" and "rejected" strings`)
	}
	chosen, rejected := *in.Chosen, *in.Rejected
	common := 0
	for common < len(chosen) && common < len(rejected) && chosen[common] == rejected[common] {
		common++
	}
	cut := strings.LastIndex(chosen[:common], assistantMarker)
	if cut < 0 {
		return schemas.Ranking{}, errors.New(`the transcripts share no "\n\nAssistant:" turn`)
	}
	cut += len(assistantMarker)
	tails := []string{chosen[cut:], rejected[cut:]}
	for i, tail := range tails {
		if strings.Contains(tail, humanMarker) || strings.Contains(tail, assistantMarker) {
			return schemas.Ranking{}, fmt.Errorf("the transcripts diverge before the last assistant turn (%s goes on for more turns)", [2]string{"chosen", "rejected"}[i])
		}
		tails[i] = strings.TrimSpace(tail)
	}
	r := schemas.Ranking{Prompt: chosen[:cut], Responses: tails, Order: []int32{0, 1}}
	if err := r.Validate(); err != nil {
		return r, hhReason(err)
	}
	r.RankingID = schemas.RankingID(r.Prompt, r.Responses, r.Order, "")
	return r, nil
}

// hhReason names the responses of an HH-RLHF line.
func hhReason(err error) error {
	msg := reason(err).Error()
	switch {
	case strings.Contains(msg, "identical"):
		return errors.New("the chosen and rejected replies are identical")
	case strings.Contains(msg, "response 0 is empty"):
		return errors.New("the chosen reply is empty")
	case strings.Contains(msg, "response 1 is empty"):
		return errors.New("the rejected reply is empty")
	}
	return errors.New(msg)
}

// reason strips the package prefix of a validation error: it becomes a dead letter's reason.
func reason(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "schemas: "))
}

func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
