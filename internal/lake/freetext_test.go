package lake

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestFreeTextHasNoStatistics: the free-text columns carry no min/max in the footer or in page
// headers; the other columns keep theirs.
func TestFreeTextHasNoStatistics(t *testing.T) {
	root := t.TempDir()
	w := openPairs(t, root, Options{FreeText: []string{"prompt", "chosen"}})
	mustAppend(t, w, 1, 50)
	mustCommit(t, w)
	files, _ := filepath.Glob(filepath.Join(root, dataset, partition, "*.parquet"))
	if len(files) != 1 {
		t.Fatalf("%d files", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	free := map[string]bool{"prompt": true, "chosen": true, "rejected": false, "pair_id": false} // none empty
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			name, stats := cc.MetaData.PathInSchema[0], cc.MetaData.Statistics
			isFree, checked := free[name]
			if has := len(stats.MinValue) > 0 || len(stats.MaxValue) > 0; checked && has == isFree {
				t.Errorf("column %s: min %q max %q", name, stats.MinValue, stats.MaxValue)
			}
		}
	}
}
