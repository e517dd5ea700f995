package recommend

import (
	"cmp"
	"slices"
)

// Signal is something a customer did with an item that says what they
// might want next: bought it (weight 1) or viewed it lately (less).
type Signal struct {
	Item   int64
	Kind   string // KindBought or KindViewed
	Weight float64
	At     int64 // when, unix ms (Latest keeps the newest)
}

// Latest keeps the n most recent signals (ties by item), newest first.
func Latest(signals []Signal, n int) []Signal {
	slices.SortFunc(signals, func(a, b Signal) int {
		if c := cmp.Compare(b.At, a.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Item, b.Item)
	})
	return signals[:min(n, len(signals))]
}

// Signal kinds, and the source of a popularity fill.
const (
	KindBought  = "bought"
	KindViewed  = "viewed"
	KindPopular = "popular"
)

// ViewedWeight is the weight of a recent view against a purchase.
const ViewedWeight = 0.5

// Because is one reason for a recommendation: the customer's item and how
// much it contributed.
type Because struct {
	Item  int64   `json:"item"`
	Kind  string  `json:"kind"`
	Score float64 `json:"score"`
}

// Rec is a recommended item. Source is "similar" (scored from the
// customer's items) or "popular" (the best-seller fill).
type Rec struct {
	Item    int64
	Score   float64
	Source  string
	Because []Because // strongest first, at most three
}

// Source of a recommendation.
const (
	SourceSimilar = "similar"
	SourcePopular = "popular"
)

// Next scores the next best items for a customer: every neighbour of the
// customer's items gets the sum of weight × similarity over those items
// (Linden et al.'s "similar-items table" lookup); items the customer
// bought and items excluded (inactive, out of stock) are skipped; the
// list is filled up to limit with the best sellers. neighbors returns an
// item's stored neighbours; bought holds the items the customer owns.
func Next(signals []Signal, neighbors func(item int64) []Neighbor, bought map[int64]bool, exclude func(item int64) bool, popular []Popular, limit int) []Rec {
	if limit <= 0 {
		return nil
	}
	type acc struct {
		score   float64
		because []Because
	}
	byItem := map[int64]*acc{}
	for _, s := range signals {
		for _, n := range neighbors(s.Item) {
			if bought[n.Item] || n.Item == s.Item {
				continue
			}
			a := byItem[n.Item]
			if a == nil {
				a = &acc{}
				byItem[n.Item] = a
			}
			c := s.Weight * n.Score
			a.score += c
			a.because = append(a.because, Because{Item: s.Item, Kind: s.Kind, Score: c})
		}
	}
	out := make([]Rec, 0, len(byItem))
	for item, a := range byItem {
		if exclude != nil && exclude(item) {
			continue
		}
		slices.SortFunc(a.because, func(x, y Because) int {
			if c := cmp.Compare(y.Score, x.Score); c != 0 {
				return c
			}
			return cmp.Compare(x.Item, y.Item)
		})
		a.because = dedupeBecause(a.because)
		out = append(out, Rec{Item: item, Score: a.score, Source: SourceSimilar, Because: a.because[:min(3, len(a.because))]})
	}
	slices.SortFunc(out, func(x, y Rec) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return cmp.Compare(x.Item, y.Item)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return fillPopular(out, popular, bought, exclude, limit)
}

// dedupeBecause keeps the first (strongest) reason per item: an item both
// bought and viewed is named once.
func dedupeBecause(b []Because) []Because {
	seen := map[int64]bool{}
	out := b[:0]
	for _, x := range b {
		if !seen[x.Item] {
			seen[x.Item] = true
			out = append(out, x)
		}
	}
	return out
}

// fillPopular appends best sellers not yet listed, not bought and not
// excluded, until the list holds limit items.
func fillPopular(out []Rec, popular []Popular, bought map[int64]bool, exclude func(int64) bool, limit int) []Rec {
	listed := map[int64]bool{}
	for _, r := range out {
		listed[r.Item] = true
	}
	for _, p := range popular {
		if len(out) >= limit {
			break
		}
		if listed[p.Item] || bought[p.Item] || (exclude != nil && exclude(p.Item)) {
			continue
		}
		listed[p.Item] = true
		out = append(out, Rec{Item: p.Item, Source: SourcePopular, Because: []Because{{Item: p.Item, Kind: KindPopular, Score: p.Score}}})
	}
	return out
}

// Similar returns an item's best neighbours, skipping excluded ones; an
// item without neighbours gets the best sellers instead (marked popular).
func Similar(item int64, neighbors []Neighbor, exclude func(int64) bool, popular []Popular, limit int) []Rec {
	var out []Rec
	for _, n := range neighbors {
		if len(out) >= limit {
			break
		}
		if n.Item == item || (exclude != nil && exclude(n.Item)) {
			continue
		}
		out = append(out, Rec{Item: n.Item, Score: n.Score, Source: SourceSimilar})
	}
	return fillPopular(out, popular, map[int64]bool{item: true}, exclude, limit)
}
