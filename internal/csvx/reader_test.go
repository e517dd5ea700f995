package csvx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// row is a record as Read returned it, with its line.
type row struct {
	Line   int
	Fields []string
}

// readAll reads to io.EOF, failing the test on any error.
func readAll(t *testing.T, r *Reader) []row {
	t.Helper()
	var rows []row
	for {
		rec, line, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Read after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row{line, append([]string(nil), rec...)})
	}
}

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding test data: %v", err)
	}
	return b
}

func TestReaderEncodings(t *testing.T) {
	const names = "name,city\n山田 太郎,東京\nسارا احمدی,تهران\n"
	const japaneseNames = "氏名,会社\n山田 太郎,株式会社サンプル\n佐藤 花子,ソニー\n"
	// Windows-1256 has no Farsi yeh (U+06CC): Persian text saved in it uses
	// the Arabic yeh (U+064A), which is what such a file decodes to.
	const persianNames = "نام,شهر\nسارا احمدي,تهران\nعلي رضايي,شيراز\n"
	want := func(s string) []row {
		var rows []row
		for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			rows = append(rows, row{i + 1, strings.Split(l, ",")})
		}
		return rows
	}
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	tests := []struct {
		name    string
		in      []byte
		enc     string
		wantEnc string
		want    []row
	}{
		{"utf-8 without BOM", []byte(names), "", UTF8, want(names)},
		{"utf-8 with BOM", []byte(bomUTF8 + names), "", UTF8, want(names)},
		{"ascii", []byte("a,b\n1,2\n"), "", UTF8, want("a,b\n1,2\n")},
		{"empty", nil, "", UTF8, nil},
		{"BOM only", []byte(bomUTF8), "", UTF8, nil},
		{"shift_jis detected", encode(t, japanese.ShiftJIS, japaneseNames), "", ShiftJIS, want(japaneseNames)},
		{"shift_jis forced by alias", encode(t, japanese.ShiftJIS, japaneseNames), "SJIS", ShiftJIS, want(japaneseNames)},
		{"shift_jis after an ASCII header", encode(t, japanese.ShiftJIS, "a,b\n"+japaneseNames), "", ShiftJIS, want("a,b\n" + japaneseNames)},
		{"windows-1256 forced", encode(t, charmap.Windows1256, persianNames), "windows-1256", Windows1256, want(persianNames)},
		{"utf-16le with BOM", append([]byte{0xff, 0xfe}, encode(t, utf16le, names)...), "", UTF16LE, want(names)},
		{"utf-16be with BOM", append([]byte{0xfe, 0xff}, encode(t, utf16be, names)...), "", UTF16BE, want(names)},
		{"utf-16le without BOM", encode(t, utf16le, "name,city\nSara,Tehran\n"), "", UTF16LE, want("name,city\nSara,Tehran\n")},
		{"forced utf-8 strips BOM", []byte(bomUTF8 + names), "utf-8", UTF8, want(names)},
		{"BOM kept after the start", []byte("a\n\ufeffb\n"), "", UTF8, []row{{1, []string{"a"}}, {2, []string{"\ufeffb"}}}},
		{"CR line endings", []byte("a,b\r1,2\r"), "", UTF8, want("a,b\n1,2\n")},
		{"CRLF line endings", []byte("a,b\r\n1,2\r\n"), "", UTF8, want("a,b\n1,2\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.in), tt.enc)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Encoding(); got != tt.wantEnc {
				t.Errorf("Encoding() = %q, want %q", got, tt.wantEnc)
			}
			if got := readAll(t, r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("records:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestReaderUnknownEncoding(t *testing.T) {
	_, err := NewReader(strings.NewReader("a"), "ebcdic")
	if !errors.Is(err, ErrUnknownEncoding) {
		t.Errorf("got %v, want ErrUnknownEncoding", err)
	}
}

func TestReaderWindows1256DecodesEveryByte(t *testing.T) {
	// Every byte has a meaning in Windows-1256, so no Persian file can be
	// rejected as undecodable once the user picks it.
	var b []byte
	for c := 0x20; c < 0x100; c++ {
		if c != '"' && c != ',' && c != 0x7f {
			b = append(b, byte(c))
		}
	}
	r, err := NewReader(bytes.NewReader(b), Windows1256)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	if len(rows) != 1 || len(rows[0].Fields) != 1 {
		t.Fatalf("got %v, want one field", rows)
	}
}

func TestReaderLineNumbers(t *testing.T) {
	in := "h1,h2\r\n\r\n\"multi\r\nline\",x\r\nshort\n\n\nlast,\"q\"\"uote\""
	r, err := NewReader(strings.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{1, []string{"h1", "h2"}},
		{3, []string{"multi\nline", "x"}},
		{5, []string{"short"}},
		{8, []string{"last", `q"uote`}},
	}
	if got := readAll(t, r); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// readErrors reads to io.EOF or a fatal error and returns the lines of the
// records read and the errors met.
func readErrors(t *testing.T, in []byte, enc string) (lines []int, errs []*LineError) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(in), enc)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, line, err := r.Read()
		if err == io.EOF {
			return lines, errs
		}
		if err == nil {
			lines = append(lines, line)
			continue
		}
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("got %T %v, want *LineError", err, err)
		}
		if le.Line != line {
			t.Errorf("Read returned line %d with an error for line %d", line, le.Line)
		}
		errs = append(errs, le)
		if le.Fatal() {
			return lines, errs
		}
	}
}

func TestReaderBrokenQuoting(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantLines []int
		wantErr   string // LineError.Error() of the only error
	}{
		{"bare quote", "a,b\nc,d\ne,f\"g\nh,i\n", []int{1, 2, 4}, `line 3: bare " in non-quoted-field (column 4)`},
		{"text after closing quote", "a\n\"b\"c,d\ne\n", []int{1, 3}, `line 2: extraneous or missing " in quoted-field (column 3)`},
		{"quote never closed", "a\nb\n\"c,d\ne\n", []int{1, 2}, `line 3: extraneous or missing " in quoted-field (noticed at line 4, column 3; a quote opened on line 3 may not be closed)`},
		{"bare quote ends its record only", "a\nO\"Brien,x\nc\n\"d\",e\n", []int{1, 3, 4}, `line 2: bare " in non-quoted-field (column 2)`},
		{"quoted field swallows lines", "a\n\"O,x\nc\nd\"e,f\ng\n", []int{1, 5}, `line 2: extraneous or missing " in quoted-field (noticed at line 4, column 2; a quote opened on line 2 may not be closed)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, errs := readErrors(t, []byte(tt.in), "")
			if !reflect.DeepEqual(lines, tt.wantLines) {
				t.Errorf("good records on lines %v, want %v", lines, tt.wantLines)
			}
			if len(errs) != 1 {
				t.Fatalf("got errors %v, want one", errs)
			}
			if got := errs[0].Error(); got != tt.wantErr {
				t.Errorf("error %q, want %q", got, tt.wantErr)
			}
			if !errors.Is(errs[0], ErrQuote) || errs[0].Key != KeyQuote || errs[0].Fatal() {
				t.Errorf("error %+v: want a recoverable ErrQuote with key %q", errs[0], KeyQuote)
			}
		})
	}
}

// longFile returns n lines of about 100 bytes each, so that line 812 lies
// well past the 64 KiB detection window.
func longFile(n int, line func(i int) string) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d,%s,%s\n", i, line(i), strings.Repeat("x", 90))
	}
	return b.Bytes()
}

func TestReaderInvalidBytesLate(t *testing.T) {
	tests := []struct {
		name, enc string
		in        []byte
		wantEnc   string
		wantCol   int
	}{
		{"utf-8", "", longFile(1000, func(i int) string {
			if i == 812 {
				return "Sa\xffra" // Latin-1 ÿ in a UTF-8 file
			}
			return "سارا"
		}), UTF8, len("812,Sa") + 1},
		{"shift_jis", ShiftJIS, append(encode(t, japanese.ShiftJIS, string(longFile(811, func(int) string { return "山田" }))),
			[]byte("812,\x81\x20,y\n813,ok,z\n")...), ShiftJIS, len("812,") + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, errs := readErrors(t, tt.in, tt.enc)
			if len(errs) != 1 {
				t.Fatalf("got errors %v, want one", errs)
			}
			e := errs[0]
			if e.Line != 812 || e.Column != tt.wantCol || !errors.Is(e, ErrEncoding) || e.Fatal() {
				t.Errorf("got %+v, want a recoverable ErrEncoding at line 812, column %d", e, tt.wantCol)
			}
			if len(lines) < 812 || lines[810] != 811 || lines[811] != 813 {
				t.Errorf("want lines 811 then 813 around the bad one, got %d lines", len(lines))
			}
		})
	}
}

func TestReaderTooLong(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+1)
	fits := strings.Repeat("x", MaxLineBytes)
	tests := []struct {
		name      string
		in        string
		wantLines []int
		wantLine  int // of the error, 0 for none
	}{
		{"line fits", "a\n" + fits + "\nb\n", []int{1, 2, 3}, 0},
		{"line too long", "a\nb\n" + long + "\nc\n", []int{1, 2}, 3},
		{"last line too long", "a\n" + long, []int{1}, 2},
		{"quote left open", "a\nb\n\"c\n" + strings.Repeat("d,e,f\n", MaxLineBytes/6+1), []int{1, 2}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, errs := readErrors(t, []byte(tt.in), "")
			if !reflect.DeepEqual(lines, tt.wantLines) {
				t.Errorf("good records on lines %v, want %v", lines, tt.wantLines)
			}
			if tt.wantLine == 0 {
				if len(errs) != 0 {
					t.Errorf("got errors %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Line != tt.wantLine || !errors.Is(errs[0], ErrTooLong) || !errs[0].Fatal() {
				t.Fatalf("got errors %v, want one fatal ErrTooLong at line %d", errs, tt.wantLine)
			}
		})
	}
}

func TestReaderFatalErrorRepeats(t *testing.T) {
	boom := errors.New("connection reset")
	r, err := NewReader(io.MultiReader(strings.NewReader("a,b\nc,"), iotest.ErrReader(boom)), "")
	if err == nil {
		t.Fatal("NewReader: want the read error met while detecting")
	}
	// An error after detection comes out of Read, with the line it stopped at.
	big := strings.Repeat("a,b\n", detectBytes/4+10)
	r, err = NewReader(io.MultiReader(strings.NewReader(big), iotest.ErrReader(boom)), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		_, _, err = r.Read()
		if err != nil {
			break
		}
	}
	var le *LineError
	if !errors.As(err, &le) || !errors.Is(err, boom) || !le.Fatal() {
		t.Fatalf("got %v, want a fatal LineError wrapping the read error", err)
	}
	if want := strings.Count(big, "\n"); n != want || le.Line != want+1 {
		t.Errorf("read %d records, error at line %d; want %d and line %d", n, le.Line, want, want+1)
	}
	if _, _, again := r.Read(); again != err {
		t.Errorf("second Read returned %v, want the same error", again)
	}
}
