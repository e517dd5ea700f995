package recommend

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkBuild1M times the similarity build alone (no database) on a
// million purchases: 340,000 customers, 10,000 products in clusters of
// 25, seven lines in ten from the customer's cluster.
func BenchmarkBuild1M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var ev []Event
	for c := int64(1); len(ev) < 1_000_000; c++ {
		cluster := r.IntN(400)
		n := 1 + r.IntN(5)
		for range n {
			item := int64(cluster*25 + r.IntN(25))
			if r.Float64() < 0.3 {
				item = int64(r.IntN(10_000))
			}
			ev = append(ev, Event{Person: c, Item: item, At: int64(r.IntN(700)) * dayMS})
		}
	}
	in := make([]Event, len(ev))
	b.ResetTimer()
	for range b.N {
		copy(in, ev)
		m := Build(in, nil, 700*dayMS, Options{})
		if m.Pairs == 0 {
			b.Fatal("no pairs")
		}
	}
}
