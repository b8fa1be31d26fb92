package schemas

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestPromptValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Prompt
		want string // "" means valid
	}{
		{"valid", Prompt{PromptID: "a", Text: "Why is the sky blue?"}, ""},
		{"no id", Prompt{Text: "x"}, "no id"},
		{"empty text", Prompt{PromptID: "a"}, "text is empty"},
		{"blank text", Prompt{PromptID: "a", Text: " \t\n"}, "text is empty"},
		{"long id", Prompt{PromptID: strings.Repeat("i", MaxPromptIDBytes+1), Text: "x"}, "prompt id of 257 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPromptIDAndSplit(t *testing.T) {
	id := PromptID("file", "Why?")
	if len(id) != 32 || id != PromptID("file", "Why?") {
		t.Fatalf("id %q not deterministic", id)
	}
	if id == PromptID("lake", "Why?") || id == PromptID("file", "Why") || PromptID("ab", "c") == PromptID("a", "bc") {
		t.Fatal("the id must depend on the source, the text and their boundary")
	}
	test := 0
	for i := 0; i < 5000; i++ {
		if SplitOfPrompt(PromptID("s", strings.Repeat("x", i))) == SplitTest {
			test++
		}
	}
	if test < 350 || test > 650 {
		t.Fatalf("%d of 5000 in test, want about %d%%", test, TestPercent)
	}
}

func TestPromptRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	codec := PromptCodec.WithAllocator(mem)
	rows := []Prompt{
		{PromptID: PromptID("f", "Why?"), Text: "Why?", Source: "f", Split: SplitTrain, SourceFile: "f.jsonl", Offset: 17, IngestedUnix: 1_800_000_000},
		{PromptID: "given-7", Text: "héllo\nworld", Source: "lake", Split: SplitTest, SourceFile: "pairs/source=x/part-1.parquet", Offset: 3},
		{},
	}
	data, err := codec.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rows)
	}
	if _, err := RankingCodec.Decode(data); err == nil {
		t.Fatal("a prompt batch must not decode as rankings")
	}
}

// FuzzDecodePrompts: any bytes decode to prompts or fail with an error naming the schema.
func FuzzDecodePrompts(f *testing.F) {
	data, _ := PromptCodec.Encode([]Prompt{{PromptID: "a", Text: "Why?", Source: "s", Offset: 4}, {PromptID: "b", Text: "How?"}})
	f.Add(data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) { decodeGarbage(t, PromptCodec, b, (*Prompt).Validate) })
}
