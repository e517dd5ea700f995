package csvx

import (
	"bufio"
	"encoding/csv"
	"io"
)

const bomUTF8 = "\xef\xbb\xbf"

// Writer writes CSV in UTF-8 with every cell passed through Neutralize, so
// nothing ecrm exports can run as a formula in the spreadsheet that opens it.
type Writer struct {
	cw    *csv.Writer
	cells []string // scratch for neutralized cells; the caller's record is not modified
}

// NewWriter returns a Writer on w. With bom set it first writes a UTF-8 byte
// order mark: without one Excel decodes the file in the system's ANSI code
// page and Persian and Japanese text turns into mojibake.
func NewWriter(w io.Writer, bom bool) *Writer {
	// csv.NewWriter reuses a *bufio.Writer of at least its default size, so
	// the BOM goes through the same buffer and any write error surfaces from
	// Write or Flush like every other.
	bw := bufio.NewWriterSize(w, 64<<10)
	if bom {
		bw.WriteString(bomUTF8)
	}
	return &Writer{cw: csv.NewWriter(bw)}
}

// Write writes one record, neutralizing every cell. Output is buffered:
// call Flush when done.
func (w *Writer) Write(record []string) error {
	w.cells = w.cells[:0]
	for _, c := range record {
		w.cells = append(w.cells, Neutralize(c))
	}
	return w.cw.Write(w.cells)
}

// Flush writes any buffered data (and the BOM of an empty file) to the
// underlying writer and reports the first error from any Write or Flush.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}
