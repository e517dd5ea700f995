package tracking

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkParse: one collect body of ten consented events.
func BenchmarkParse(b *testing.B) {
	var evs []string
	for j := range 10 {
		evs = append(evs, fmt.Sprintf(`{"n":"product_view","u":"https://shop.example/p/%d?utm_source=news","t":"Product %d","sku":"SKU-%d","pn":"Product %d","val":19.99,"cur":"EUR","a":%d,"p":{"colour":"red"}}`, j, j, j, j, j*100))
	}
	body := []byte(`{"v":"` + visitor + `","s":"` + session + `","e":[` + strings.Join(evs, ",") + `]}`)
	now := time.Now()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Parse(body, 1, now, true); err != nil {
			b.Fatal(err)
		}
	}
}
