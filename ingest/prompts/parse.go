package prompts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prefstream/prefstream/schemas"
)

// Format names an input format.
type Format string

// Formats.
const (
	// FormatAuto decides per file from its first non-blank line: FormatJSONL when it starts with
	// '{', else FormatLines.
	FormatAuto Format = "auto"
	// FormatJSONL is one object per line: {"prompt": "..."} or {"text": "..."}, with an optional
	// "id" (a string or an integer).
	FormatJSONL Format = "jsonl"
	// FormatLines is plain text, one prompt per non-blank line.
	FormatLines Format = "lines"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatAuto, FormatJSONL, FormatLines:
		return f, nil
	}
	return "", fmt.Errorf("prompts: unknown format %q, want auto, jsonl or lines", s)
}

// Detect is the format of a file whose first non-blank line is line.
func Detect(line []byte) Format {
	if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '{' {
		return FormatJSONL
	}
	return FormatLines
}

// Parsed is what a line says: the prompt's text and the id it gives ("" for none).
type Parsed struct {
	ID, Text string
}

// Parser turns one non-blank input line into a prompt, or an error whose text is the reason the
// line is dead-lettered.
type Parser func(line []byte) (Parsed, error)

// ParserOf returns the line parser of a format other than FormatAuto.
func ParserOf(f Format) (Parser, error) {
	switch f {
	case FormatJSONL:
		return ParseJSONL, nil
	case FormatLines:
		return ParseLine, nil
	}
	return nil, fmt.Errorf("prompts: no parser for format %q", f)
}

// jsonPrompt is the JSONL record; raw values tell a missing field from null and from a number.
type jsonPrompt struct {
	ID     json.RawMessage `json:"id"`
	Prompt json.RawMessage `json:"prompt"`
	Text   json.RawMessage `json:"text"`
}

// ParseJSONL parses {"prompt": "..."} or {"text": "..."} (both given, they must agree), with an
// optional "id", a string or an integer. Other fields are ignored. The text is kept as given; it
// must not be blank.
func ParseJSONL(line []byte) (Parsed, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return Parsed{}, fmt.Errorf("not a JSON object: %s", clip(line, 40))
	}
	var in jsonPrompt
	if err := json.Unmarshal(line, &in); err != nil {
		return Parsed{}, fmt.Errorf("bad JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	prompt, hasPrompt, err := stringField("prompt", in.Prompt)
	if err != nil {
		return Parsed{}, err
	}
	text, hasText, err := stringField("text", in.Text)
	if err != nil {
		return Parsed{}, err
	}
	switch {
	case !hasPrompt && !hasText:
		return Parsed{}, errors.New(`no "prompt" or "text"`)
	case hasPrompt && hasText && prompt != text:
		return Parsed{}, errors.New(`"prompt" and "text" differ: give one`)
	case !hasPrompt:
		prompt = text
	}
	if strings.TrimSpace(prompt) == "" {
		return Parsed{}, errors.New("empty prompt")
	}
	id, err := idOf(in.ID)
	if err != nil {
		return Parsed{}, err
	}
	return Parsed{ID: id, Text: prompt}, nil
}

// ParseLine takes a plain text line as a prompt, without surrounding white space. The line must
// be UTF-8.
func ParseLine(line []byte) (Parsed, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Parsed{}, errors.New("empty prompt")
	}
	if !utf8.Valid(line) {
		return Parsed{}, errors.New("not valid UTF-8")
	}
	return Parsed{Text: string(line)}, nil
}

// stringField reads a field that must be a string when present; null counts as missing.
func stringField(name string, raw json.RawMessage) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%q is not a string: %s", name, clip(raw, 40))
	}
	return s, true, nil
}

// idOf reads an optional id: a non-empty string of at most schemas.MaxPromptIDBytes, or an integer.
func idOf(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch {
		case strings.TrimSpace(s) == "":
			return "", errors.New(`"id" is empty`)
		case len(s) > schemas.MaxPromptIDBytes:
			return "", fmt.Errorf(`"id" of %d bytes, at most %d`, len(s), schemas.MaxPromptIDBytes)
		}
		return s, nil
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return string(raw), nil
	}
	return "", fmt.Errorf(`"id" %s is neither a string nor an integer`, clip(raw, 40))
}

// clip quotes at most n bytes of b for an error message.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:n])) + "..."
}
