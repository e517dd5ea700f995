// Package recommend is item-to-item collaborative filtering (Linden, Smith
// & York, "Amazon.com recommendations: item-to-item collaborative
// filtering", IEEE Internet Computing 2003): two products are similar when
// the same customers bought them (and, with a smaller weight, when the
// same people viewed them close together in time). Similarity is the
// cosine of the products' customer vectors, computed the Amazon way: for
// each customer, every pair of the products they bought is counted once,
// so the build is linear in the order lines (with the products per
// customer capped, so a few heavy buyers neither dominate the figures nor
// make the build quadratic). Only the best K neighbours of each product
// are kept; a lookup is then a few rows. Products nobody bought together
// and customers without history fall back to the recent best sellers.
//
// The package knows no SQL: the store reads the signals and writes the
// model (store/recs).
package recommend

import (
	"cmp"
	"math"
	"slices"
)

// Event is one signal: a person bought or viewed an item at a time. A
// person is a contact (positive id) or anyone else the caller numbers
// (guest orders, anonymous visitors), who adds co-occurrences but is
// never evaluated.
type Event struct {
	Person int64
	Item   int64
	At     int64 // unix milliseconds
}

// Options tune a build. The zero value of a field takes its default.
type Options struct {
	// MaxItemsPerPerson caps the distinct items of one person that are
	// paired (the most recent ones): 50.
	MaxItemsPerPerson int
	// TopK is how many neighbours of each item are kept: 20.
	TopK int
	// PurchaseWeight and ViewWeight blend the two cosines: 1 and 0.25.
	PurchaseWeight, ViewWeight float64
	// ViewWindow pairs two views of one person this close in time
	// (milliseconds): 7 days.
	ViewWindow int64
	// Shrink damps similarities resting on few people: the cosine is
	// multiplied by n/(n+Shrink), n the people behind it (Koren's
	// shrinkage); 2. A negative value turns it off.
	Shrink float64
	// PopularDays is the window of "recent" best sellers: 90.
	PopularDays int
}

func (o Options) withDefaults() Options {
	if o.MaxItemsPerPerson <= 0 {
		o.MaxItemsPerPerson = 50
	}
	if o.TopK <= 0 {
		o.TopK = 20
	}
	if o.PurchaseWeight <= 0 && o.ViewWeight <= 0 {
		o.PurchaseWeight, o.ViewWeight = 1, 0.25
	}
	if o.ViewWindow <= 0 {
		o.ViewWindow = 7 * dayMS
	}
	if o.Shrink == 0 {
		o.Shrink = 2
	}
	if o.Shrink < 0 {
		o.Shrink = 0
	}
	if o.PopularDays <= 0 {
		o.PopularDays = 90
	}
	return o
}

const dayMS = 86_400_000

// Neighbor is a similar item with the evidence behind its score.
type Neighbor struct {
	Item          int64   `json:"item"`
	Score         float64 `json:"score"`          // the blend, 0..1
	CoCount       int     `json:"co_count"`       // customers who bought both
	CoViews       int     `json:"co_views"`       // people who viewed both within the window
	PurchaseScore float64 `json:"purchase_score"` // cosine over buyers (shrunk)
	ViewScore     float64 `json:"view_score"`     // cosine over viewers (shrunk)
}

// Popular is an item's standing among the best sellers.
type Popular struct {
	Item         int64
	Buyers       int // distinct buyers ever
	RecentBuyers int // distinct buyers in the last PopularDays
	// Score ranks the list: recent buyers, ties broken by all-time buyers.
	Score float64
}

// Model is the result of a build.
type Model struct {
	// Similar holds the best neighbours of every item, best first.
	Similar map[int64][]Neighbor
	// Popular lists the items bought by anyone, best first.
	Popular []Popular
	// What the build read and made.
	Purchases, Views, Customers, Viewers, Items, Pairs int
}

// Build computes the model from purchases and views as of asOf (unix ms;
// it dates the "recent" best sellers). Both slices are sorted in place.
func Build(purchases, views []Event, asOf int64, opt Options) *Model {
	opt = opt.withDefaults()
	m := &Model{Similar: map[int64][]Neighbor{}, Purchases: len(purchases), Views: len(views)}
	ix := newIndex()
	bought, pairsP, people := countPurchases(purchases, ix, opt)
	viewed, pairsV, viewers := countViews(views, ix, opt)
	m.Customers, m.Viewers, m.Items = people, viewers, len(ix.items)

	// Every pair seen in either signal, scored once, offered to both
	// items' bounded lists.
	tops := make([]topK, len(ix.items))
	wsum := opt.PurchaseWeight + opt.ViewWeight
	shrink := func(c int) float64 {
		if opt.Shrink == 0 {
			return 1
		}
		return float64(c) / (float64(c) + opt.Shrink)
	}
	score := func(key uint64, cp, cv int32) {
		a, b := int32(key>>32), int32(key&0xffffffff)
		n := Neighbor{CoCount: int(cp), CoViews: int(cv)}
		if cp > 0 {
			n.PurchaseScore = float64(cp) / math.Sqrt(float64(bought[a])*float64(bought[b])) * shrink(int(cp))
		}
		if cv > 0 {
			n.ViewScore = float64(cv) / math.Sqrt(float64(viewed[a])*float64(viewed[b])) * shrink(int(cv))
		}
		n.Score = (opt.PurchaseWeight*n.PurchaseScore + opt.ViewWeight*n.ViewScore) / wsum
		if n.Score <= 0 || math.IsNaN(n.Score) || math.IsInf(n.Score, 0) {
			return
		}
		m.Pairs++
		n.Item = ix.items[b]
		tops[a].offer(n, opt.TopK)
		n.Item = ix.items[a]
		tops[b].offer(n, opt.TopK)
	}
	for key, cp := range pairsP {
		score(key, cp, pairsV[key])
	}
	for key, cv := range pairsV {
		if _, done := pairsP[key]; !done {
			score(key, 0, cv)
		}
	}
	for i, t := range tops {
		if len(t) > 0 {
			m.Similar[ix.items[i]] = slices.Clone(t)
		}
	}
	m.Popular = popularity(purchases, ix, asOf, opt)
	return m
}

// index numbers items densely, so a pair is one uint64 key.
type index struct {
	of    map[int64]int32
	items []int64
}

func newIndex() *index { return &index{of: map[int64]int32{}} }

func (x *index) id(item int64) int32 {
	if i, ok := x.of[item]; ok {
		return i
	}
	i := int32(len(x.items))
	x.of[item] = i
	x.items = append(x.items, item)
	return i
}

func pairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// sortEvents orders by person, then time, then item.
func sortEvents(ev []Event) {
	slices.SortFunc(ev, func(x, y Event) int {
		if c := cmp.Compare(x.Person, y.Person); c != 0 {
			return c
		}
		if c := cmp.Compare(x.At, y.At); c != 0 {
			return c
		}
		return cmp.Compare(x.Item, y.Item)
	})
}

// countPurchases counts, per item, the people who bought it and, per pair,
// the people who bought both, over each person's most recent distinct
// items (at most MaxItemsPerPerson).
func countPurchases(ev []Event, ix *index, opt Options) (per []int32, pairs map[uint64]int32, people int) {
	sortEvents(ev)
	pairs = make(map[uint64]int32, len(ev))
	var stamp []int // person number that last took each item
	var items []int32
	for from := 0; from < len(ev); {
		to := from
		for to < len(ev) && ev[to].Person == ev[from].Person {
			to++
		}
		people++
		items = items[:0]
		for k := to - 1; k >= from && len(items) < opt.MaxItemsPerPerson; k-- {
			i := ix.id(ev[k].Item)
			for len(stamp) <= int(i) {
				stamp = append(stamp, 0)
			}
			if stamp[i] != people {
				stamp[i] = people
				items = append(items, i)
			}
		}
		for len(per) < len(ix.items) {
			per = append(per, 0)
		}
		for a, i := range items {
			per[i]++
			for _, j := range items[a+1:] {
				pairs[pairKey(i, j)]++
			}
		}
		from = to
	}
	for len(per) < len(ix.items) {
		per = append(per, 0)
	}
	return per, pairs, people
}

// countViews counts, per item, the people who viewed it and, per pair,
// the people who viewed both within ViewWindow of each other. Only a
// person's most recent views are read (four times the item cap), and a
// view pairs with at most the next 20, so the work stays linear.
func countViews(ev []Event, ix *index, opt Options) (per []int32, pairs map[uint64]int32, people int) {
	sortEvents(ev)
	pairs = map[uint64]int32{}
	seenItem := map[int32]bool{}
	seenPair := map[uint64]bool{}
	for from := 0; from < len(ev); {
		to := from
		for to < len(ev) && ev[to].Person == ev[from].Person {
			to++
		}
		people++
		clear(seenItem)
		clear(seenPair)
		start := max(from, to-4*opt.MaxItemsPerPerson)
		for a := start; a < to; a++ {
			i := ix.id(ev[a].Item)
			seenItem[i] = true
			for b := a + 1; b < to && b <= a+20 && ev[b].At-ev[a].At <= opt.ViewWindow; b++ {
				j := ix.id(ev[b].Item)
				if j == i {
					continue
				}
				k := pairKey(i, j)
				if !seenPair[k] {
					seenPair[k] = true
					pairs[k]++
				}
			}
		}
		for len(per) < len(ix.items) {
			per = append(per, 0)
		}
		for i := range seenItem {
			per[i]++
		}
		from = to
	}
	for len(per) < len(ix.items) {
		per = append(per, 0)
	}
	return per, pairs, people
}

// topK is a list of the best neighbours, best first, at most k long.
type topK []Neighbor

func better(a, b Neighbor) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.CoCount != b.CoCount {
		return a.CoCount > b.CoCount
	}
	return a.Item < b.Item
}

func (t *topK) offer(n Neighbor, k int) {
	s := *t
	if len(s) == k && !better(n, s[k-1]) {
		return
	}
	if s == nil {
		s = make(topK, 0, k)
	}
	i := len(s)
	for i > 0 && better(n, s[i-1]) {
		i--
	}
	if len(s) < k {
		s = append(s, Neighbor{})
	}
	copy(s[i+1:], s[i:len(s)-1])
	s[i] = n
	*t = s
}

// popularity ranks items by distinct buyers in the last PopularDays before
// asOf, ties broken by all-time buyers, then by item. Purchases must be
// sorted by person (Build sorted them) and numbered in ix; a person's
// group number stamps the items already counted for them.
func popularity(ev []Event, ix *index, asOf int64, opt Options) []Popular {
	since := asOf - int64(opt.PopularDays)*dayMS
	n := len(ix.items)
	all, recent := make([]int, n), make([]int, n)
	stampAll, stampRecent := make([]int, n), make([]int, n)
	group := 0
	for from := 0; from < len(ev); {
		to := from
		for to < len(ev) && ev[to].Person == ev[from].Person {
			to++
		}
		group++
		for _, e := range ev[from:to] {
			i := ix.of[e.Item]
			if stampAll[i] != group {
				stampAll[i] = group
				all[i]++
			}
			if e.At >= since && e.At <= asOf && stampRecent[i] != group {
				stampRecent[i] = group
				recent[i]++
			}
		}
		from = to
	}
	maxAll := 1
	for _, a := range all {
		maxAll = max(maxAll, a)
	}
	out := make([]Popular, 0, n)
	for i, a := range all {
		if a == 0 {
			continue // viewed, never bought
		}
		out = append(out, Popular{Item: ix.items[i], Buyers: a, RecentBuyers: recent[i],
			Score: float64(recent[i]) + float64(a)/float64(maxAll+1)})
	}
	slices.SortFunc(out, func(a, b Popular) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Item, b.Item)
	})
	return out
}
