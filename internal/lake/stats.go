package lake

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// PartitionStats sums the committed parts of one partition.
type PartitionStats struct {
	Dataset, Partition string
	Files              int
	Rows               int64
	Bytes              int64
	FirstSeq, LastSeq  uint64
	// Columns are the column paths of the first file, dot-joined; nil without files.
	Columns []string
}

// Stats sums every partition under root (a lake root, a dataset or a partition directory), in
// path order, from the manifests and the footer of each partition's first file.
func Stats(root string) ([]PartitionStats, error) {
	var stats []PartitionStats
	err := eachPartition(root, func(dir string, entries []Entry) error {
		s := PartitionStats{Dataset: filepath.Base(filepath.Dir(dir)), Partition: filepath.Base(dir), Files: len(entries)}
		for i, e := range entries {
			s.Rows += e.Rows
			s.Bytes += e.Bytes
			if i == 0 || e.FirstSeq < s.FirstSeq {
				s.FirstSeq = e.FirstSeq
			}
			s.LastSeq = max(s.LastSeq, e.LastSeq)
		}
		if len(entries) > 0 {
			pf, f, err := openParquet(filepath.Join(dir, entries[0].File))
			if err != nil {
				return err
			}
			f.Close()
			for _, path := range pf.Schema().Columns() {
				s.Columns = append(s.Columns, strings.Join(path, "."))
			}
		}
		stats = append(stats, s)
		return nil
	})
	return stats, err
}

// PrintStats writes stats as an aligned table.
func PrintStats(w io.Writer, stats []PartitionStats) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATASET\tPARTITION\tFILES\tROWS\tSIZE\tFIRST SEQ\tLAST SEQ\tCOLUMNS")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\n",
			s.Dataset, s.Partition, s.Files, s.Rows, humanBytes(s.Bytes), s.FirstSeq, s.LastSeq, len(s.Columns))
	}
	tw.Flush()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
