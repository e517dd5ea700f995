package csvx

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestWriterRoundTrip(t *testing.T) {
	records := [][]string{
		{"name", "company", "phone", "balance", "note"},
		{"سارا احمدی", "شرکت نمونه، تهران", "+98 912 000 0000", "-12.5", "گفت: \"فردا\"\nتماس بگیرید"},
		{"山田 太郎", "株式会社サンプル", "03-1234-5678", "1,234", "「見積」, \"至急\"\r\n折り返し"},
		{"O'Brien", "=HYPERLINK(\"http://x\")", "@me", "", "  leading spaces"},
		{"only one field"},
	}
	for _, bom := range []bool{true, false} {
		var buf bytes.Buffer
		w := NewWriter(&buf, bom)
		for _, rec := range records {
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := bytes.HasPrefix(buf.Bytes(), []byte(bomUTF8)); got != bom {
			t.Errorf("bom=%v: file starts with a BOM: %v", bom, got)
		}
		if strings.Contains(buf.String(), ",=") || strings.Contains(buf.String(), ",@") {
			t.Errorf("bom=%v: a formula cell was written as is:\n%s", bom, buf.String())
		}

		r, err := NewReader(&buf, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Encoding(); got != UTF8 {
			t.Errorf("bom=%v: Encoding() = %q, want utf-8", bom, got)
		}
		rows := readAll(t, r)
		var got [][]string
		var lines []int
		for _, row := range rows {
			for i := range row.Fields {
				row.Fields[i] = Unneutralize(row.Fields[i])
			}
			got = append(got, row.Fields)
			lines = append(lines, row.Line)
		}
		// encoding/csv reads \r\n inside a quoted field as \n.
		want := append([][]string(nil), records...)
		want[2] = append([]string(nil), records[2]...)
		want[2][4] = strings.ReplaceAll(want[2][4], "\r\n", "\n")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bom=%v: round trip\n got %q\nwant %q", bom, got, want)
		}
		if wantLines := []int{1, 2, 4, 6, 7}; !reflect.DeepEqual(lines, wantLines) {
			t.Errorf("bom=%v: lines %v, want %v", bom, lines, wantLines)
		}
	}
}

func TestWriterNeutralizesWithoutTouchingInput(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, false)
	rec := []string{"=1+1", "-5", "ok"}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "'=1+1,'-5,ok\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := rec, []string{"=1+1", "-5", "ok"}; !reflect.DeepEqual(got, want) {
		t.Errorf("caller's record changed to %q", got)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterReportsWriteErrors(t *testing.T) {
	boom := errors.New("disk full")
	w := NewWriter(failingWriter{boom}, true)
	if err := w.Write([]string{"a"}); err != nil {
		t.Fatalf("Write is buffered, got %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush = %v, want %v", err, boom)
	}
}
