package clv

import "sort"

// RFM groups, from the R and F quintile scores (5 best):
//
//	champions            R 5,   F 4–5   bought recently and often
//	loyal                R 3–4, F 4–5   buy often, not quite the latest
//	potential_loyalists  R 4–5, F 2–3   recent, on their way to frequent
//	promising            R 4,   F 1     recent first-time buyers
//	new                  R 5,   F 1     the newest first-time buyers
//	need_attention       R 3,   F 1–3   average recency, low frequency
//	at_risk              R 1–2, F 3–4   used to buy regularly, not lately
//	cant_lose            R 1–2, F 5     were among the best, not lately
//	hibernating          R 2,   F 1–2   long ago and seldom
//	lost                 R 1,   F 1–2   the longest ago and seldom
//
// M (monetary) is scored alongside for the grid but does not change the
// group, as in the usual R×F segment map.
var Groups = []string{"champions", "loyal", "potential_loyalists", "promising", "new",
	"need_attention", "at_risk", "cant_lose", "hibernating", "lost"}

// Group names the RFM group of R and F scores 1..5.
func Group(r, f int) string {
	switch {
	case r == 5 && f >= 4:
		return "champions"
	case r >= 3 && f >= 4:
		return "loyal"
	case r >= 4 && f >= 2:
		return "potential_loyalists"
	case r == 4:
		return "promising"
	case r == 5:
		return "new"
	case r == 3:
		return "need_attention"
	case f == 5:
		return "cant_lose"
	case f >= 3:
		return "at_risk"
	case r == 2:
		return "hibernating"
	}
	return "lost"
}

// Quintiles scores values 1..5 by rank, 5 for the highest (or, with
// lowBest, the lowest). Ties share a score: a value's rank is the middle
// of its tied run, so with 60 % one-time buyers they all get the score
// of the 30th percentile rather than some 1 and some 3.
func Quintiles(v []float64, lowBest bool) []uint8 {
	n := len(v)
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	out := make([]uint8, n)
	for i := 0; i < n; {
		j := i
		for j < n && v[idx[j]] == v[idx[i]] {
			j++
		}
		mid := (float64(i) + float64(j-1)) / 2
		q := uint8(1 + int(5*mid/float64(n)))
		if q > 5 {
			q = 5
		}
		if lowBest {
			q = 6 - q
		}
		for k := i; k < j; k++ {
			out[idx[k]] = q
		}
		i = j
	}
	return out
}
