package csvx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names accepted by NewReader and returned by Reader.Encoding.
const (
	UTF8        = "utf-8"
	UTF16LE     = "utf-16le"
	UTF16BE     = "utf-16be"
	ShiftJIS    = "shift_jis"    // what Japanese Excel writes for "CSV"
	Windows1256 = "windows-1256" // what Persian (Arabic-script) Windows Excel writes
)

// ErrUnknownEncoding is returned by NewReader for an encoding name it does
// not know.
var ErrUnknownEncoding = errors.New("csvx: unknown encoding")

// detectBytes bounds how much of the input detection looks at, so a 100 MB
// file is not read twice.
const detectBytes = 64 << 10

// aliases maps the spellings users and other tools use to our names.
var aliases = map[string]string{
	"utf-8": UTF8, "utf8": UTF8,
	"utf-16le": UTF16LE, "utf16le": UTF16LE,
	"utf-16be": UTF16BE, "utf16be": UTF16BE,
	"shift_jis": ShiftJIS, "shift-jis": ShiftJIS, "sjis": ShiftJIS,
	"cp932": ShiftJIS, "windows-31j": ShiftJIS,
	"windows-1256": Windows1256, "cp1256": Windows1256,
}

// canonicalEncoding returns our name for enc, or "" for "detect".
func canonicalEncoding(enc string) (string, error) {
	enc = strings.ToLower(strings.TrimSpace(enc))
	if enc == "" || enc == "auto" {
		return "", nil
	}
	if name, ok := aliases[enc]; ok {
		return name, nil
	}
	return "", fmt.Errorf("%w %q", ErrUnknownEncoding, enc)
}

// detectEncoding guesses the encoding of a file from its first bytes. A BOM
// decides; UTF-16 without one shows as NUL bytes in every other position;
// text that is valid UTF-8 is UTF-8 (pure ASCII included). Anything else is
// taken for Shift_JIS because that is what Japanese Excel saves and the one
// legacy encoding our users are likely to send undeclared; Windows-1256 bytes
// look the same to a detector, so Persian users choose it explicitly.
func detectEncoding(prefix []byte, atEOF bool) string {
	switch {
	case bytes.HasPrefix(prefix, []byte(bomUTF8)):
		return UTF8
	case bytes.HasPrefix(prefix, []byte{0xff, 0xfe}):
		return UTF16LE
	case bytes.HasPrefix(prefix, []byte{0xfe, 0xff}):
		return UTF16BE
	}
	if enc := detectUTF16(prefix); enc != "" {
		return enc
	}
	if !atEOF {
		prefix = trimPartialRune(prefix)
	}
	if utf8.Valid(prefix) {
		return UTF8
	}
	return ShiftJIS
}

// detectUTF16 recognises BOM-less UTF-16 by its NUL bytes: Latin text has a
// zero high byte in every character, and NUL never belongs in a real CSV.
func detectUTF16(p []byte) string {
	if len(p) < 4 {
		return ""
	}
	var even, odd int
	for i, b := range p {
		if b == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(p) / 2
	switch {
	case odd*4 > half && even*8 < odd:
		return UTF16LE
	case even*4 > half && odd*8 < even:
		return UTF16BE
	}
	return ""
}

// trimPartialRune drops an incomplete multi-byte sequence cut off by the end
// of the detection window, so it is not mistaken for invalid UTF-8.
func trimPartialRune(p []byte) []byte {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return p[:i]
			}
			break
		}
	}
	return p
}

// bomFor returns the byte order mark of enc, which is stripped from the start
// of the input when present.
func bomFor(enc string) []byte {
	switch enc {
	case UTF8:
		return []byte(bomUTF8)
	case UTF16LE:
		return []byte{0xff, 0xfe}
	case UTF16BE:
		return []byte{0xfe, 0xff}
	}
	return nil
}

// decoder returns the decoder to UTF-8 for enc, or nil when the input is
// already UTF-8 and is read without copying.
func decoder(enc string) encoding.Encoding {
	switch enc {
	case UTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case UTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case ShiftJIS:
		return japanese.ShiftJIS
	case Windows1256:
		return charmap.Windows1256
	}
	return nil
}

// decode wraps r so it yields UTF-8.
func decode(r io.Reader, enc string) io.Reader {
	if e := decoder(enc); e != nil {
		return transform.NewReader(r, e.NewDecoder())
	}
	return r
}

// invalidAt returns the byte offset of the first undecodable character in a
// line of the decoded input, or -1. UTF-8 input is checked directly; the
// x/text decoders replace what they cannot decode with U+FFFD, a character
// none of those encodings can hold (an unpaired UTF-16 surrogate is reported
// too), so its presence marks bad input.
func invalidAt(enc string, line []byte) int {
	if enc != UTF8 {
		return bytes.Index(line, []byte("\uFFFD"))
	}
	if utf8.Valid(line) {
		return -1
	}
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// onlyCR reports whether a decoded prefix uses bare CR line endings, as
// "CSV (Macintosh)" from old Mac Excel does; encoding/csv would otherwise see
// the whole file as one line.
func onlyCR(prefix []byte) bool {
	return bytes.IndexByte(prefix, '\r') >= 0 && bytes.IndexByte(prefix, '\n') < 0
}

// crToLF turns every CR into LF as the input streams through.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}
