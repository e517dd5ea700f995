package csvx

import (
	"bufio"
	"bytes"
	"io"
)

// MaxLineBytes bounds a physical line, and a record spanning several lines,
// in the decoded input. A file without newlines, or a quote left open early
// in a 100 MB file, would otherwise be read into memory whole before
// encoding/csv reports anything.
const MaxLineBytes = 1 << 20

// lineReader sits between the decoded input and encoding/csv and hands out
// at most one physical line per Read. Because csv therefore never reads
// ahead of the record it is parsing, lineReader knows exactly which lines
// belong to the current record: it checks their length and encoding there,
// with exact line and column, without a second pass over the data.
type lineReader struct {
	src *bufio.Reader // holds more than MaxLineBytes so a whole line can be peeked
	enc string

	line    int // number of the line being handed out, 1-based
	pending int // bytes of that line not yet handed out

	// Per record, reset by startRecord.
	recStart int // first non-blank line of the record, 0 until seen
	recBytes int // bytes of the record's lines so far
	bad      *LineError

	err *LineError // fatal: returned for ever once set
}

func newLineReader(src *bufio.Reader, enc string) *lineReader {
	return &lineReader{src: src, enc: enc}
}

// startRecord is called before each csv Read.
func (l *lineReader) startRecord() {
	l.recStart, l.recBytes, l.bad = 0, 0, nil
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.pending == 0 {
		if err := l.nextLine(); err != nil {
			return 0, err
		}
	}
	b, _ := l.src.Peek(min(len(p), l.pending)) // already buffered: cannot fail
	n := copy(p, b)
	l.src.Discard(n)
	l.pending -= n
	return n, nil
}

// nextLine finds the next line in src's buffer and checks it before any of
// it is handed out.
func (l *lineReader) nextLine() error {
	searched := 0
	var n int // length of the line including its '\n'
	for {
		buf, _ := l.src.Peek(l.src.Buffered())
		if i := bytes.IndexByte(buf[searched:], '\n'); i >= 0 {
			n = searched + i + 1
			break
		}
		searched = len(buf)
		if searched > MaxLineBytes {
			n = searched // too long; reported below
			break
		}
		_, err := l.src.Peek(searched + 1) // fill; src's buffer is larger than that
		if err == io.EOF {
			if searched == 0 {
				return io.EOF
			}
			n = searched // last line, without a newline
			break
		}
		if err != nil {
			l.err = &LineError{Line: l.line + 1, Msg: "read error: " + err.Error(), Key: KeyRead, Err: err}
			return l.err
		}
	}
	l.line++
	line, _ := l.src.Peek(n)
	content := len(bytes.TrimSuffix(line, []byte("\n")))
	if content > MaxLineBytes {
		l.err = &LineError{Line: l.line, Msg: "line longer than 1 MiB", Key: KeyTooLong, Err: ErrTooLong}
		return l.err
	}
	if l.recStart == 0 && content > 0 && !bytes.Equal(line, []byte("\r\n")) {
		l.recStart = l.line
	}
	if l.recStart != 0 && l.recBytes+content > MaxLineBytes {
		l.err = &LineError{Line: l.recStart, Msg: "record longer than 1 MiB; is a quoted field left open?", Key: KeyOpenQuote, Err: ErrTooLong}
		return l.err
	}
	if l.recStart != 0 {
		l.recBytes += n
	}
	if l.bad == nil {
		if i := invalidAt(l.enc, line); i >= 0 {
			l.bad = &LineError{Line: l.line, Column: i + 1, Key: KeyEncoding, Err: ErrEncoding,
				Msg: "invalid " + l.enc + " byte sequence; the file may be in another encoding"}
		}
	}
	l.pending = n
	return nil
}
