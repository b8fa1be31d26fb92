package wikipedia

import (
	"bytes"
	"compress/bzip2"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
	"time"
)

// fuzzRead reads an export and returns what it got and its last error.
func fuzzRead(t *testing.T, r io.Reader, size int) ([]decoded, error) {
	rd := NewReader(r, "fuzz.xml")
	var pages []decoded
	for {
		p, err := rd.NextPage()
		if err != nil {
			return pages, err
		}
		d := decoded{Page: p}
		for {
			rev, err := rd.NextRevision()
			if err == io.EOF {
				break
			}
			if err != nil {
				return append(pages, d), err
			}
			if rev.Offset < 0 || rev.Offset >= int64(size) || len(rev.Text) > size || len(rev.Comment) > size {
				t.Fatalf("revision out of the input: %+v", rev)
			}
			d.Revisions = append(d.Revisions, rev)
		}
		pages = append(pages, d)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(export("0.10", stdHeader+`<redirect title="R"/>`, revStart+`<contributor><ip>1.2.3.4</ip></contributor><minor/><comment>c &amp; d</comment>`+textAB+`</revision>`)))
	f.Add([]byte(export("0.11", `<title>Wikipedia:X</title><id>8</id>`, revStart+`<contributor deleted="deleted"/><comment deleted="deleted"/><origin>1</origin>`+
		`<text bytes="-1" deleted="deleted"/><sha1/><future><x a='1'>y</x></future></revision><revision><id>2</id><text bytes="0"/></revision>`)))
	f.Add([]byte(export("0.11", stdHeader, revStart+ann+`<text bytes="9">a&lt;<![CDATA[x]]>&#x41;&bogus;</text><sha1/><content><role>main</role><text>m</text></content></revision>`)))
	f.Add([]byte(`<page><title>Talk:X</title><revision><text deleted="deleted"/></revision><revision/></page>`))
	f.Add([]byte(`<mediawiki><page><revision><text>&#`))
	f.Add([]byte(`<a b='>'><!--<page>--><?x <page> ?><page/></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		var pages []decoded
		var err error
		go func() {
			defer close(done)
			pages, err = fuzzRead(t, bytes.NewReader(data), len(data))
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("hang on %q", data)
		}
		var re *ReadError
		if err != io.EOF && !errors.As(err, &re) {
			t.Fatalf("error %v is neither io.EOF nor a *ReadError", err)
		}
		// The result must not depend on how the input is split into reads.
		again, err2 := fuzzRead(t, iotest.OneByteReader(bytes.NewReader(data)), len(data))
		if !reflect.DeepEqual(again, pages) || (err == io.EOF) != (err2 == io.EOF) {
			t.Fatalf("one byte at a time: %+v, %v; all at once: %+v, %v", again, err2, pages, err)
		}
	})
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzBzip2 checks the parallel decoder against compress/bzip2: whatever
// one decodes, the other decodes the same.
func FuzzBzip2(f *testing.F) {
	hello := mustHex("425a6839314159265359e5b5f3090000045100001040000244a00021b5180c029069c2a30bb9229c284872daf98480")
	empty := mustHex("425a683917724538509000000000")
	runs := mustHex("425a6839314159265359204bbb93000000c10000803800200030cd341b4d0d44cf177245385090204bbb93")
	f.Add(hello)
	f.Add(empty)
	f.Add(runs)
	f.Add(append(append(append([]byte(nil), hello...), empty...), runs...))
	f.Add(hello[:len(hello)-3])
	f.Add([]byte("BZh9"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := io.ReadAll(bzip2.NewReader(bytes.NewReader(data)))
		got, err := decodeParallel(t, data, 2)
		var re *ReadError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error %v is not a *ReadError", err)
		}
		switch {
		case err == nil && wantErr != nil:
			t.Fatalf("decoded %d bytes where compress/bzip2 fails: %v", len(got), wantErr)
		case err != nil && wantErr == nil:
			t.Fatalf("failed (%v) where compress/bzip2 decodes %d bytes", err, len(want))
		case err == nil && !bytes.Equal(got, want):
			t.Fatalf("decoded %q, compress/bzip2 %q", got, want)
		case !bytes.HasPrefix(want, got) && wantErr == nil:
			t.Fatalf("output is not a prefix of compress/bzip2's")
		}
	})
}
