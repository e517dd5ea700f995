package csvx

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkRead1M reads a million-row contact export (about 100 MB of UTF-8
// with Persian and Japanese names and some quoted fields).
func BenchmarkRead1M(b *testing.B) {
	const rows = 1_000_000
	var buf bytes.Buffer
	buf.WriteString(bomUTF8 + "id,first_name,last_name,email,phone,company,city,note\n")
	names := [][2]string{{"Sara", "Ahmadi"}, {"سارا", "احمدی"}, {"太郎", "山田"}, {"John", "O'Brien"}}
	for i := range rows {
		n := names[i%len(names)]
		fmt.Fprintf(&buf, "%d,%s,%s,user%d@example.com,+98 912 %07d,\"Acme, Inc.\",Tehran,\"said \"\"hi\"\"\"\n",
			i, n[0], n[1], i, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, _, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows+1 {
			b.Fatalf("read %d records, want %d", n, rows+1)
		}
	}
}
