package lake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// Files lists committed Parquet files. path is a .parquet file, a partition directory, a dataset
// directory or a lake root; files come in manifest order, partitions in path order.
func Files(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lake: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = eachPartition(path, func(dir string, entries []Entry) error {
		for _, e := range entries {
			files = append(files, filepath.Join(dir, e.File))
		}
		return nil
	})
	return files, err
}

// eachPartition calls fn, in path order, for every directory under root holding a manifest.
func eachPartition(root string, fn func(dir string, entries []Entry) error) error {
	return filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("lake: %w", err)
		}
		if !d.IsDir() {
			return nil
		}
		entries, _, err := readManifest(filepath.Join(dir, ManifestName))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(dir, entries)
	})
}

// openParquet opens a Parquet file; close the returned *os.File when done.
func openParquet(path string) (*parquet.File, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("lake: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("lake: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("lake: %s: unreadable parquet: %w", path, err)
	}
	return pf, f, nil
}

// Scan calls fn with the rows of every file under path (see Files), one row group at a time (at
// most DefaultRowGroupRows rows per call), so memory stays bounded. rows is reused between calls.
func Scan[T any](path string, fn func(file string, rows []T) error) error {
	files, err := Files(path)
	if err != nil {
		return err
	}
	var buf []T
	for _, file := range files {
		if err := scanFile(file, &buf, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanFile[T any](file string, buf *[]T, fn func(file string, rows []T) error) error {
	pf, f, err := openParquet(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := hasColumnsOf[T](file, pf.Schema()); err != nil {
		return err
	}
	for _, rg := range pf.RowGroups() {
		if rg.NumRows() == 0 {
			continue
		}
		if n := int(min(rg.NumRows(), DefaultRowGroupRows)); cap(*buf) < n {
			*buf = make([]T, n)
		}
		rows := (*buf)[:cap(*buf)]
		if err := scanRowGroup(file, rg, rows, fn); err != nil {
			return err
		}
	}
	return nil
}

// hasColumnsOf refuses a file lacking columns of T, which parquet-go would silently read as zero
// values (reading documents as pairs, say).
func hasColumnsOf[T any](file string, schema *parquet.Schema) error {
	have := map[string]bool{}
	for _, path := range schema.Columns() {
		have[strings.Join(path, ".")] = true
	}
	var missing []string
	for _, path := range parquet.SchemaOf(new(T)).Columns() {
		if name := strings.Join(path, "."); !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("lake: %s lacks columns %v of %T", file, missing, *new(T))
	}
	return nil
}

func scanRowGroup[T any](file string, rg parquet.RowGroup, rows []T, fn func(file string, rows []T) error) error {
	r := parquet.NewGenericRowGroupReader[T](rg)
	defer r.Close()
	for n := 0; ; {
		m, err := r.Read(rows[n:])
		n += m
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("lake: read %s: %w", file, err)
		}
		if n > 0 && (n == len(rows) || err != nil) {
			if err := fn(file, rows[:n]); err != nil {
				return err
			}
			n = 0
		}
		if err != nil {
			return nil
		}
	}
}

// eachRecord calls fn with every row of file as a map keyed by top-level field, with the field
// names in schema order. It needs no Go type, so it reads any dataset.
func eachRecord(file string, fn func(fields []string, record map[string]any) error) error {
	pf, f, err := openParquet(file)
	if err != nil {
		return err
	}
	defer f.Close()
	schema := pf.Schema()
	var fields []string
	for _, field := range schema.Fields() {
		fields = append(fields, field.Name())
	}
	buf := make([]parquet.Row, 64)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				record := map[string]any{}
				if err := schema.Reconstruct(&record, row); err != nil {
					rows.Close()
					return fmt.Errorf("lake: read %s: %w", file, err)
				}
				if err := fn(fields, record); err != nil {
					rows.Close()
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("lake: read %s: %w", file, err)
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("lake: read %s: %w", file, err)
		}
	}
	return nil
}

var errLimit = errors.New("limit reached")

// Cat prints up to limit rows (all when limit <= 0) of the files under path, in format "jsonl"
// (one object per line, fields in schema order) or "table" (one block of "field: value" lines
// per row, long text truncated).
func Cat(w io.Writer, path string, format string, limit int) error {
	var print func(out *bufio.Writer, file string, n int, fields []string, record map[string]any) error
	switch format {
	case "jsonl":
		print = printJSON
	case "table":
		print = printBlock
	default:
		return fmt.Errorf("lake: unknown format %q, want jsonl or table", format)
	}
	files, err := Files(path)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(w)
	n := 0
	for _, file := range files {
		err := eachRecord(file, func(fields []string, record map[string]any) error {
			if limit > 0 && n >= limit {
				return errLimit
			}
			n++
			return print(out, file, n, fields, record)
		})
		if errors.Is(err, errLimit) {
			break
		}
		if err != nil {
			out.Flush()
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("lake: cat: %w", err)
	}
	return nil
}

func printJSON(out *bufio.Writer, _ string, _ int, fields []string, record map[string]any) error {
	out.WriteByte('{')
	for i, name := range fields {
		if i > 0 {
			out.WriteByte(',')
		}
		key, err := marshal(name)
		if err != nil {
			return err
		}
		value, err := marshal(record[name])
		if err != nil {
			return fmt.Errorf("lake: cat field %s: %w", name, err)
		}
		out.Write(key)
		out.WriteByte(':')
		out.Write(value)
	}
	out.WriteString("}\n")
	return nil
}

// marshal is json.Marshal without HTML escaping, which would mangle the text of web dumps.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

const maxCell = 100

var flatten = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

func printBlock(out *bufio.Writer, file string, n int, fields []string, record map[string]any) error {
	width := 0
	for _, name := range fields {
		width = max(width, len(name))
	}
	if n > 1 {
		out.WriteByte('\n')
	}
	fmt.Fprintf(out, "-[ row %d ]- %s\n", n, file)
	for _, name := range fields {
		fmt.Fprintf(out, "%-*s : %s\n", width, name, cell(record[name]))
	}
	return nil
}

func cell(v any) string {
	s, ok := v.(string)
	if !ok {
		b, err := marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		s = string(b)
	}
	s = flatten.Replace(s)
	runes := 0
	for i := range s {
		if runes == maxCell {
			return fmt.Sprintf("%s… (%d chars)", s[:i], utf8.RuneCountInString(s))
		}
		runes++
	}
	return s
}
