package demo

import (
	"math/bits"
	"math/rand/v2"
)

// Streams keep the draws for one index's contact, company, activities and
// tasks apart, so adding a draw to activities never shifts a contact.
const (
	streamContact uint64 = iota + 1
	streamCompany
	streamActivity
	streamTask
)

// rng is a PCG held by value: generating a million CSV rows must not
// allocate a *rand.Rand per row, and the helpers below are all we draw.
type rng struct {
	pcg rand.PCG
}

// newRNG seeds a PCG from (seed, index, stream). The words are mixed with
// splitmix64 because PCG states that differ only in their low bits give
// visibly correlated first outputs, and neighbouring indexes are exactly that.
func newRNG(seed uint64, index int, stream uint64) rng {
	hi := splitmix(seed ^ stream*0x9e3779b97f4a7c15)
	lo := splitmix(hi ^ uint64(index))
	var r rng
	r.pcg.Seed(hi, lo)
	return r
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// intn returns a number in [0, n) by Lemire's multiply-shift; the bias for
// the small n used here is below 2^-50.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.pcg.Uint64(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.pcg.Uint64()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// skewed picks from [0, n) favouring small indexes, so the first entries of
// a name list (ordered most common first) appear most often, as real
// surnames do.
func (r *rng) skewed(n int) int {
	f := r.float()
	return int(f * f * float64(n))
}

// weighted picks an index with probability proportional to w[i].
func (r *rng) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	k := r.intn(total)
	for i, x := range w {
		if k < x {
			return i
		}
		k -= x
	}
	return len(w) - 1
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }
