package wikipedia

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fuzzPage turns fuzz bytes into a page: each byte is a revision whose
// text is one of a few (so reverts happen), deleted for bytes >= 0xf0; a
// 0xff byte starts a new page.
func fuzzPage(data []byte) [][]rev {
	pages := [][]rev{nil}
	for _, b := range data {
		switch {
		case b == 0xff:
			pages = append(pages, nil)
		case b >= 0xf0:
			pages[len(pages)-1] = append(pages[len(pages)-1], rev{text: "-", comment: "-"})
		default:
			comment := "edit"
			if b&0x80 != 0 {
				comment = "rvv"
			}
			text := fmt.Sprintf("Lead.\n\n== S%d ==\nbody %d\n\nTail.", b%3, b%7)
			pages[len(pages)-1] = append(pages[len(pages)-1], rev{text: text, comment: comment})
		}
	}
	return pages
}

// referencePairs is the recipe over a whole page held in memory.
func referencePairs(revs []rev, o Options) []string {
	var ids []string
	for k := 2; k < len(revs); k++ {
		t := revs[k].text
		if t == "-" || t == revs[k-1].text {
			continue
		}
		reverts := false
		for j := max(0, k-15); j <= k-2; j++ {
			reverts = reverts || revs[j].text == t
		}
		if reverts && revs[k-1].text != "-" && (!o.VandalismOnly || revs[k].comment == "rvv") {
			ids = append(ids, fmt.Sprintf("%d>%d", k+1, k))
		}
	}
	return ids
}

func FuzzPager(f *testing.F) {
	f.Add([]byte{1, 2, 1, 0xf0, 1, 0x83, 2})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1})
	f.Add([]byte{1, 2, 0xff, 1, 0xf5, 0xf5, 1})
	f.Add([]byte{0x81, 0x82, 0x81, 0x82, 0x81})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, vandalismOnly := range []bool{false, true} {
			o := DefaultOptions()
			o.VandalismOnly = vandalismOnly
			p := NewPager(o)
			var got, want []string
			for i, revs := range fuzzPage(data) {
				thread := fmt.Sprint(i)
				for _, d := range docs(thread, revs...) {
					pairs := p.Add(d)
					if len(pairs) > 1 {
						t.Fatalf("%d pairs from one revision", len(pairs))
					}
					for _, pr := range pairs {
						if pr.Chosen == pr.Rejected || pr.ThreadID != thread || !strings.HasPrefix(pr.Prompt, "Page "+thread) {
							t.Fatalf("bad pair %+v", pr)
						}
						got = append(got, thread+":"+pr.ChosenID+">"+pr.RejectedID)
					}
				}
				for _, id := range referencePairs(revs, o) {
					want = append(want, thread+":"+id)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("vandalism only %v: pairs %v, want %v", vandalismOnly, got, want)
			}
		}
	})
}
