package csvx

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzReader(f *testing.F) {
	seeds := []string{
		"a,b\n1,2\n", bomUTF8 + "سارا,تهران\n", "\"a\nb\",c\r\n", "a\"b\n", "\"open\n",
		"\xff\xfea\x00,\x00b\x00\n\x00", "\x8e\x52\x93\x63,x\n", "a\rb\r", "\xe3\x81", "\"\"\"\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	encs := []string{"", UTF8, ShiftJIS, Windows1256, UTF16LE, UTF16BE}
	f.Fuzz(func(t *testing.T, data []byte, pick uint8) {
		r, err := NewReader(bytes.NewReader(data), encs[int(pick)%len(encs)])
		if err != nil {
			t.Fatalf("NewReader on a bytes.Reader: %v", err)
		}
		lastLine := 0
		// Every Read consumes at least one line, so this bounds a loop that
		// failed to make progress.
		for range len(data) + 2 {
			rec, line, err := r.Read()
			if err == io.EOF {
				return
			}
			if err == nil {
				if len(rec) == 0 || line <= lastLine {
					t.Fatalf("record %q on line %d after line %d", rec, line, lastLine)
				}
				lastLine = line
				continue
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("got %T %v, want *LineError or io.EOF", err, err)
			}
			if le.Line < 1 || le.Line != line {
				t.Fatalf("error %v reported with line %d", le, line)
			}
			if le.Fatal() {
				return
			}
		}
		t.Fatalf("no io.EOF after %d reads of %d bytes", len(data)+2, len(data))
	})
}
