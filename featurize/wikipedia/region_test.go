package wikipedia

import (
	"strings"
	"testing"
)

func TestChangedRegion(t *testing.T) {
	para := func(ps ...string) string { return strings.Join(ps, "\n\n") }
	tests := []struct {
		name           string
		a, b           string
		context        int
		wantA, wantB   string
		wantSection    string
		sameForContext bool
	}{
		{"middle paragraph, 1 of context", para("P1", "P2", "P3", "P4", "P5"), para("P1", "P2", "X", "P4", "P5"), 1,
			para("P2", "P3", "P4"), para("P2", "X", "P4"), "", false},
		{"middle paragraph, no context", para("P1", "P2", "P3", "P4"), para("P1", "P2", "X", "P4"), 0,
			"P3", "X", "", false},
		{"two of context", para("P1", "P2", "P3", "P4", "P5"), para("P1", "P2", "X", "P4", "P5"), 2,
			para("P1", "P2", "P3", "P4", "P5"), para("P1", "P2", "X", "P4", "P5"), "", false},
		{"an inserted paragraph", para("P1", "P2", "P3"), para("P1", "P2", "SPAM", "P3"), 1,
			para("P2", "P3"), para("P2", "SPAM", "P3"), "", false},
		{"a blanked page", para("P1", "P2"), "", 1, para("P1", "P2"), "", "", false},
		{"first paragraph", para("P1", "P2", "P3"), para("X", "P2", "P3"), 1, para("P1", "P2"), para("X", "P2"), "", false},
		{"last paragraph", para("P1", "P2", "P3"), para("P1", "P2", "X"), 1, para("P2", "P3"), para("P2", "X"), "", false},
		{"several blank lines and spaces split paragraphs", "P1\n \n\n\t\nP2\nP2b\n\nP3", "P1\n\nP2\nCHANGED\n\nP3", 0,
			"P2\nP2b", "P2\nCHANGED", "", false},
		{"the section of the change", "Lead.\n\n== History ==\nOld.\n\nMore.\n\n=== Early ===\nA.\n\nB.\n\n== Later ==\nC.",
			"Lead.\n\n== History ==\nOld.\n\nMore.\n\n=== Early ===\nA.\n\nVANDAL\n\n== Later ==\nC.", 0,
			"B.", "VANDAL", "Early", false},
		{"a heading in the changed paragraph", "Lead.\n\n== History ==\nOld.", "Lead.\n\n== History ==\nNew.", 0,
			"== History ==\nOld.", "== History ==\nNew.", "History", false},
		{"a changed heading names its own section", "Lead.\n\n== History ==\nOld.", "Lead.\n\n== Hystory lol ==\nOld.", 0,
			"== History ==\nOld.", "== Hystory lol ==\nOld.", "History", false},
		{"the lead has no section", "Lead.\n\n== History ==\nOld.", "Lead!\n\n== History ==\nOld.", 0,
			"Lead.", "Lead!", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotA, gotB, section := ChangedRegion(tt.a, tt.b, tt.context)
			if gotA != tt.wantA || gotB != tt.wantB || section != tt.wantSection {
				t.Errorf("got %q / %q / section %q\nwant %q / %q / section %q", gotA, gotB, section, tt.wantA, tt.wantB, tt.wantSection)
			}
		})
	}
}

func TestSectionAt(t *testing.T) {
	text := "Lead\n== A ==\nx\n===B===\ny\n==\nz\n= C =\n==  ==\nw"
	for at, want := range map[int]string{
		0:                                "",
		strings.Index(text, "x"):         "A",
		strings.Index(text, "y"):         "B",
		strings.Index(text, "z"):         "B", // "==" alone is no heading
		strings.Index(text, "w"):         "C", // nor is "==  =="
		strings.Index(text, "== A ==\n"): "A",
		len(text):                        "C",
	} {
		if got := SectionAt(text, at); got != want {
			t.Errorf("SectionAt(%d) = %q, want %q", at, got, want)
		}
	}
}

func TestPrompt(t *testing.T) {
	if got := Prompt("Pear", ""); got != "Pear" {
		t.Errorf("lead: %q", got)
	}
	if got := Prompt("Pear", "Uses"); got != "Pear\n\nSection: Uses" {
		t.Errorf("section: %q", got)
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 0, "abc"}, {"abc", 5, "abc"}, {"abc", 2, "ab"}, {"ééé", 3, "é"}, {"ééé", 4, "éé"}, {"€", 2, ""},
	} {
		if got := clip(tt.s, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestNamesRevert(t *testing.T) {
	for comment, want := range map[string]bool{
		"Reverted edits by [[Special:Contributions/1.2.3.4|1.2.3.4]] to last version by X": true,
		"Undid revision 123 by [[Special:Contributions/X|X]] ([[User talk:X|talk]])":       true,
		"rv":           true,
		"RV vandalism": true,
		"rvv":          true,
		"rv: spam":     true,
		"Reverting possible vandalism by X to version by Y. Report False Positive? Thanks, [[WP:CBNG|ClueBot NG]]": true,
		"[[WP:HG|HG]] (3.4.10)":                  true,
		"Rollback to last good version":          true,
		"fix via [[WP:STiki|STiki]]":             true,
		"identified as vandalism ([[WP:TW|TW]])": true,
		"copyedit":                               false,
		"added rvalue references section":        false,
		"":                                       false,
		"drive-by fix":                           false,
	} {
		if got := NamesRevert(comment); got != want {
			t.Errorf("NamesRevert(%q) = %v, want %v", comment, got, want)
		}
	}
}
