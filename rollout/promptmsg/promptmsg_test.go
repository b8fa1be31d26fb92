package promptmsg

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

func prompts(n int) []schemas.Prompt {
	out := make([]schemas.Prompt, n)
	for i := range out {
		text := fmt.Sprintf("question %d: why is the sky blue?", i)
		out[i] = schemas.Prompt{PromptID: schemas.PromptID("test", text), Text: text, Source: "test", Split: "train"}
	}
	return out
}

func TestParse(t *testing.T) {
	ps := prompts(5)
	ps[1].Text = "  \n"
	ps[3].PromptID = ""
	data, err := schemas.PromptCodec.Encode(ps)
	if err != nil {
		t.Fatal(err)
	}
	rows, bad, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, r := range rows {
		got = append(got, r.Index)
		if r.Prompt != ps[r.Index] {
			t.Fatalf("row %d is %+v, want %+v", r.Index, r.Prompt, ps[r.Index])
		}
	}
	if fmt.Sprint(got) != "[0 2 4]" || len(bad) != 2 || bad[0].Index != 1 || bad[1].Index != 3 ||
		!strings.Contains(bad[0].Reason, "text is empty") || !strings.Contains(bad[1].Reason, "no id") {
		t.Fatalf("rows %v, rejected %+v", got, bad)
	}

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "decode prompt/v1"},
		{"text", []byte("not arrow at all"), "decode prompt/v1"},
		{"truncated", data[:len(data)/2], "decode prompt/v1"},
		{"ones", bytes.Repeat([]byte{0xff}, 64), "decode prompt/v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad, err := Parse(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) || rows != nil || bad != nil {
				t.Fatalf("got %v rows, %v rejected, %v; want an error containing %q", rows, bad, err, tc.want)
			}
		})
	}
	pairs, err := schemas.PairCodec.Encode([]schemas.Pair{{PairID: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Parse(pairs); err == nil {
		t.Fatal("a pair batch parsed as prompts")
	}
}

// FuzzParse: any bytes give rows or an error, never a panic; rows are valid prompts with their
// row numbers in order, rejected rows invalid ones with a reason.
func FuzzParse(f *testing.F) {
	ps := prompts(3)
	ps[1].Text = " "
	data, err := schemas.PromptCodec.Encode(ps)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)-7])
	f.Add([]byte("not arrow"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, bad, err := Parse(data)
		if err != nil {
			if rows != nil || bad != nil {
				t.Fatal("rows with an error")
			}
			return
		}
		last := -1
		for _, r := range rows {
			if err := r.Prompt.Validate(); err != nil {
				t.Fatalf("row %d passed but %v", r.Index, err)
			}
			if r.Index <= last || r.Index >= MaxRows {
				t.Fatalf("row numbers out of order: %d after %d", r.Index, last)
			}
			last = r.Index
		}
		for _, b := range bad {
			if b.Reason == "" || b.Prompt.Validate() == nil {
				t.Fatalf("row %d rejected without a reason (%q)", b.Index, b.Reason)
			}
		}
	})
}
