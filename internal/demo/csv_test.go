package demo

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestWriteContactsCSV(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one", 1},
		{"less than a chunk", 100},
		{"several chunks", 3*csvChunk + 17},
	}
	g := New(21)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.WriteContactsCSV(&buf, tt.n); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(rows), tt.n+1; got != want {
				t.Fatalf("rows = %d, want %d (header + %d)", got, want, tt.n)
			}
			if !slices.Equal(rows[0], CSVHeader) {
				t.Errorf("header = %v, want %v", rows[0], CSVHeader)
			}
			// Spot-check rows against Contact, including rows from the
			// last chunk, to catch chunks written out of order.
			companies := CompanyCount(tt.n)
			for _, i := range []int{0, tt.n / 2, tt.n - 1} {
				if i < 0 || i >= tt.n {
					continue
				}
				in, ci := g.Contact(i, companies)
				company := ""
				if ci >= 0 {
					company = *g.Company(ci).Name
				}
				want := []string{*in.FirstName, *in.LastName, *in.Email, deref(in.Phone), company,
					deref(in.Title), *in.City, *in.Region, *in.Country, deref(in.BirthDate),
					*in.Language, *in.Stage, *in.Source, strings.Join(*in.Tags, ";")}
				got := rows[i+1]
				if !slices.Equal(got, want) {
					t.Errorf("row %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestWriteContactsCSVDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := New(8).WriteContactsCSV(&a, 10000); err != nil {
		t.Fatal(err)
	}
	if err := New(8).WriteContactsCSV(&b, 10000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with the same seed wrote different files")
	}
}

// failingWriter accepts limit bytes and then fails, like a full disk.
type failingWriter struct{ limit int }

var errFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errFull
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestWriteContactsCSVWriteError(t *testing.T) {
	err := New(1).WriteContactsCSV(&failingWriter{limit: 300_000}, 50*csvChunk)
	if !errors.Is(err, errFull) {
		t.Errorf("err = %v, want %v", err, errFull)
	}
}

func BenchmarkWriteContactsCSV(b *testing.B) {
	g := New(1)
	const n = 100_000
	var size int64
	for b.Loop() {
		cw := &countingWriter{}
		if err := g.WriteContactsCSV(cw, n); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	b.SetBytes(size)
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
