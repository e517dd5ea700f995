package csvx

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// Sentinel errors wrapped by LineError.Err, for errors.Is.
var (
	ErrQuote    = errors.New("csvx: broken quoting")
	ErrEncoding = errors.New("csvx: invalid bytes for the encoding")
	ErrTooLong  = errors.New("csvx: line or record longer than 1 MiB")
)

// Message-catalogue keys in LineError.Key, so the import wizard can tell the
// user what is wrong in their language.
const (
	KeyQuote    = "csv.error.quote"
	KeyEncoding = "csv.error.encoding"
	KeyTooLong  = "csv.error.too_long"
	// KeyOpenQuote is ErrTooLong for a record, not a line, over the limit:
	// nearly always a quote opened and never closed.
	KeyOpenQuote = "csv.error.open_quote"
	KeyRead      = "csv.error.read"
)

// LineError is every error Reader.Read returns other than io.EOF. Line is the
// 1-based physical line of the file, Column the 1-based byte offset in that
// line as decoded to UTF-8, or 0 when unknown. Msg is English detail for
// logs; Key names the message to show a user and Err is ErrQuote,
// ErrEncoding, ErrTooLong or the underlying read error.
type LineError struct {
	Line   int
	Column int
	Msg    string
	Key    string
	Err    error
}

func (e *LineError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d: %s (column %d)", e.Line, e.Msg, e.Column)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func (e *LineError) Unwrap() error { return e.Err }

// Fatal reports whether reading cannot go on. After a quoting or encoding
// error the bad record has been consumed and the next Read continues with
// the following one, so an import can list every rejected line; after a
// fatal error every Read returns the same error.
func (e *LineError) Fatal() bool {
	return !errors.Is(e.Err, ErrQuote) && !errors.Is(e.Err, ErrEncoding)
}

// Reader reads CSV records from a file in any of the encodings our users'
// spreadsheets produce, decoding to UTF-8 as it streams.
type Reader struct {
	enc   string
	lr    *lineReader
	cr    *csv.Reader
	fatal *LineError
}

// NewReader returns a Reader on r. With enc "" the encoding is detected from
// the first 64 KiB (see Encoding's values): a UTF-8 or UTF-16 BOM, else
// valid UTF-8, else Shift_JIS. Otherwise enc forces one of "utf-8",
// "utf-16le", "utf-16be", "shift_jis" or "windows-1256" (common aliases such
// as "sjis" and "cp1256" are accepted). A BOM at the very start is removed.
// The error is ErrUnknownEncoding or a read error from detection.
func NewReader(r io.Reader, enc string) (*Reader, error) {
	enc, err := canonicalEncoding(enc)
	if err != nil {
		return nil, err
	}
	// One buffer serves detection and, for UTF-8, the lineReader, so UTF-8
	// input is copied only into encoding/csv's own buffer.
	bufSize := MaxLineBytes + 64<<10
	raw := bufio.NewReaderSize(r, bufSize)
	prefix, err := raw.Peek(detectBytes)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("csvx: detecting encoding: %w", err)
	}
	if enc == "" {
		enc = detectEncoding(prefix, err == io.EOF)
	}
	if bom := bomFor(enc); len(bom) > 0 && len(prefix) >= len(bom) && string(prefix[:len(bom)]) == string(bom) {
		raw.Discard(len(bom))
	}
	src := bufio.NewReaderSize(decode(raw, enc), bufSize) // raw itself for UTF-8
	decoded, err := src.Peek(detectBytes)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("csvx: detecting line endings: %w", err)
	}
	if onlyCR(decoded) {
		src = bufio.NewReaderSize(crToLF{src}, bufSize)
	}

	lr := newLineReader(src, enc)
	// lineReader hands out one line per Read, so this buffer only needs to
	// be big enough that typical lines need no reassembly inside csv.
	cr := csv.NewReader(bufio.NewReaderSize(lr, 64<<10))
	cr.FieldsPerRecord = -1 // rows may vary in length; the importer decides
	cr.ReuseRecord = true   // one allocation per record instead of two
	return &Reader{enc: enc, lr: lr, cr: cr}, nil
}

// Encoding returns the encoding in use: "utf-8", "utf-16le", "utf-16be",
// "shift_jis" or "windows-1256".
func (r *Reader) Encoding() string { return r.enc }

// Read returns the next record and the physical line it starts on, or
// io.EOF after the last one, or a *LineError (see LineError.Fatal for whether
// reading can go on). Records may differ in length.
//
// Cells are returned as they are in the file: pass them through
// Unneutralize when the file may be one ecrm exported. The returned slice is
// reused by the next Read; the strings in it are not and may be kept.
func (r *Reader) Read() (record []string, line int, err error) {
	if r.fatal != nil {
		return nil, r.fatal.Line, r.fatal
	}
	r.lr.startRecord()
	rec, err := r.cr.Read()
	if r.lr.err != nil {
		r.fatal = r.lr.err
		return nil, r.fatal.Line, r.fatal
	}
	if bad := r.lr.bad; bad != nil && err != io.EOF {
		return nil, bad.Line, bad
	}
	if err == nil {
		line, _ = r.cr.FieldPos(0)
		return rec, line, nil
	}
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, pe.StartLine, quoteError(pe)
	}
	// encoding/csv passes lineReader's errors through and has no others left
	// with FieldsPerRecord < 0; keep the contract if that ever changes.
	r.fatal = &LineError{Line: r.lr.line, Msg: err.Error(), Key: KeyRead, Err: err}
	return nil, r.fatal.Line, r.fatal
}

// quoteError reports a quoting problem at the line where its record starts:
// when csv notices it on a later line, the usual cause is a quote opened on
// the first one (a stray " in a name) that swallowed the lines after it.
func quoteError(pe *csv.ParseError) *LineError {
	e := &LineError{Line: pe.StartLine, Msg: pe.Err.Error(), Key: KeyQuote, Err: ErrQuote}
	if pe.Line == pe.StartLine {
		e.Column = pe.Column
	} else {
		e.Msg += fmt.Sprintf(" (noticed at line %d, column %d; a quote opened on line %d may not be closed)", pe.Line, pe.Column, pe.StartLine)
	}
	return e
}
