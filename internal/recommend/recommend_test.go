package recommend

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

const day = int64(dayMS)

func buys(person int64, at int64, items ...int64) []Event {
	var out []Event
	for k, it := range items {
		out = append(out, Event{Person: person, Item: it, At: at + int64(k)})
	}
	return out
}

func concat(parts ...[]Event) []Event {
	var out []Event
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// diff describes how got differs from want ("" when equal), comparing
// floats to nine decimals through their printed form.
func diff(want, got any) string {
	r := func(v any) string { return fmt.Sprintf("%+v", roundAll(v)) }
	if reflect.DeepEqual(roundAll(want), roundAll(got)) || r(want) == r(got) {
		return ""
	}
	return fmt.Sprintf("want %s\ngot  %s", r(want), r(got))
}

// roundAll rounds every float64 field reachable in v to 1e-9.
func roundAll(v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	c := reflect.New(rv.Type()).Elem()
	c.Set(rv)
	deepRound(c)
	return c.Interface()
}

func deepRound(v reflect.Value) {
	switch v.Kind() {
	case reflect.Float64:
		if v.CanSet() {
			v.SetFloat(math.Round(v.Float()*1e9) / 1e9)
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := range c.Len() {
			deepRound(c.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				deepRound(v.Field(i))
			}
		}
	}
}

// TestBuildCosine checks the similarities of a fixture worked by hand:
// A is bought by 3 customers, B and C by 2; A&B and A&C by 2, B&C by 1.
func TestBuildCosine(t *testing.T) {
	const A, B, C, D = 1, 2, 3, 4
	ev := concat(buys(1, 10*day, A, B), buys(2, 10*day, A, B, C), buys(3, 10*day, A, C), buys(4, 10*day, D))
	cases := []struct {
		name   string
		opt    Options
		item   int64
		want   []Neighbor
		absent bool
	}{
		{name: "plain cosine of A", opt: Options{Shrink: -1, ViewWeight: 0, PurchaseWeight: 1}, item: A, want: []Neighbor{
			{Item: B, Score: 2 / math.Sqrt(6), CoCount: 2, PurchaseScore: 2 / math.Sqrt(6)},
			{Item: C, Score: 2 / math.Sqrt(6), CoCount: 2, PurchaseScore: 2 / math.Sqrt(6)},
		}},
		{name: "plain cosine of B", opt: Options{Shrink: -1, PurchaseWeight: 1}, item: B, want: []Neighbor{
			{Item: A, Score: 2 / math.Sqrt(6), CoCount: 2, PurchaseScore: 2 / math.Sqrt(6)},
			{Item: C, Score: 0.5, CoCount: 1, PurchaseScore: 0.5},
		}},
		{name: "top 1 keeps the best", opt: Options{Shrink: -1, PurchaseWeight: 1, TopK: 1}, item: B, want: []Neighbor{
			{Item: A, Score: 2 / math.Sqrt(6), CoCount: 2, PurchaseScore: 2 / math.Sqrt(6)},
		}},
		{name: "shrinkage damps thin evidence", opt: Options{Shrink: 2, PurchaseWeight: 1}, item: B, want: []Neighbor{
			{Item: A, Score: 2 / math.Sqrt(6) * 0.5, CoCount: 2, PurchaseScore: 2 / math.Sqrt(6) * 0.5},
			{Item: C, Score: 0.5 / 3, CoCount: 1, PurchaseScore: 0.5 / 3},
		}},
		{name: "default blend scales purchases by 1/1.25", opt: Options{Shrink: -1}, item: C, want: []Neighbor{
			{Item: A, Score: 2 / math.Sqrt(6) / 1.25, CoCount: 2, PurchaseScore: 2 / math.Sqrt(6)},
			{Item: B, Score: 0.5 / 1.25, CoCount: 1, PurchaseScore: 0.5},
		}},
		{name: "a lone purchase has no neighbours", opt: Options{}, item: D, absent: true},
		{name: "cap: only the two latest items pair", opt: Options{Shrink: -1, PurchaseWeight: 1, MaxItemsPerPerson: 2}, item: A, want: []Neighbor{
			// customer 2's A falls outside the cap: A has 2 buyers, A&B 1, A&C 1.
			{Item: B, Score: 1 / math.Sqrt(2*2), CoCount: 1, PurchaseScore: 0.5},
			{Item: C, Score: 1 / math.Sqrt(4), CoCount: 1, PurchaseScore: 0.5},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Build(append([]Event(nil), ev...), nil, 11*day, tc.opt)
			got, ok := m.Similar[tc.item]
			if tc.absent {
				if ok {
					t.Fatalf("neighbours %v, want none", got)
				}
				return
			}
			if diff := diff(tc.want, got); diff != "" {
				t.Fatalf("neighbours \n%s", diff)
			}
		})
	}
}

// TestBuildCoViews: views pair within the window only, once per person.
func TestBuildCoViews(t *testing.T) {
	const X, Y, Z = 7, 8, 9
	h := int64(3_600_000)
	views := []Event{
		{1, X, 0}, {1, Y, h}, {1, X, 2 * h}, {1, Z, 10 * day},
		{2, Y, 0}, {2, X, h},
	}
	m := Build(nil, views, 11*day, Options{Shrink: -1})
	want := []Neighbor{{Item: Y, Score: 0.25 / 1.25, CoViews: 2, ViewScore: 1}}
	if diff := diff(want, m.Similar[X]); diff != "" {
		t.Fatalf("X \n%s", diff)
	}
	if _, ok := m.Similar[Z]; ok {
		t.Fatalf("Z was viewed 8 days after the others: no neighbour, got %v", m.Similar[Z])
	}
	if m.Viewers != 2 || m.Views != 6 || m.Pairs != 1 {
		t.Fatalf("viewers %d views %d pairs %d, want 2 6 1", m.Viewers, m.Views, m.Pairs)
	}
}

func TestPopularity(t *testing.T) {
	// Item 1: 3 buyers long ago; item 2: 2 recent buyers (one twice);
	// item 3: 1 recent buyer.
	ev := concat(buys(1, 0, 1), buys(2, 0, 1), buys(3, 0, 1),
		buys(1, 95*day, 2), buys(1, 96*day, 2), buys(2, 99*day, 2), buys(4, 99*day, 3))
	m := Build(ev, nil, 100*day, Options{PopularDays: 30})
	var got []int64
	for _, p := range m.Popular {
		got = append(got, p.Item)
	}
	if diff := diff([]int64{2, 3, 1}, got); diff != "" {
		t.Fatalf("order \n%s", diff)
	}
	if p := m.Popular[0]; p.Buyers != 2 || p.RecentBuyers != 2 {
		t.Fatalf("item 2: %+v, want 2 buyers, 2 recent", p)
	}
	if p := m.Popular[2]; p.Buyers != 3 || p.RecentBuyers != 0 {
		t.Fatalf("item 1: %+v, want 3 buyers, 0 recent", p)
	}
}

func TestNext(t *testing.T) {
	sims := map[int64][]Neighbor{
		1: {{Item: 2, Score: 0.8}, {Item: 3, Score: 0.6}, {Item: 4, Score: 0.1}},
		5: {{Item: 3, Score: 0.5}, {Item: 1, Score: 0.4}},
	}
	nb := func(i int64) []Neighbor { return sims[i] }
	popular := []Popular{{Item: 1, Score: 9}, {Item: 9, Score: 8}, {Item: 3, Score: 7}, {Item: 8, Score: 6}}
	type out struct {
		Item    int64
		Source  string
		Score   float64
		Because []int64
	}
	flat := func(rs []Rec) []out {
		var o []out
		for _, r := range rs {
			x := out{Item: r.Item, Source: r.Source, Score: r.Score}
			for _, b := range r.Because {
				x.Because = append(x.Because, b.Item)
			}
			o = append(o, x)
		}
		return o
	}
	cases := []struct {
		name    string
		signals []Signal
		bought  map[int64]bool
		exclude map[int64]bool
		limit   int
		want    []out
	}{
		{name: "sums similarities over owned items, excludes owned", signals: []Signal{{Item: 1, Kind: KindBought, Weight: 1}, {Item: 5, Kind: KindBought, Weight: 1}}, bought: map[int64]bool{1: true, 5: true}, limit: 3,
			want: []out{{3, SourceSimilar, 1.1, []int64{1, 5}}, {2, SourceSimilar, 0.8, []int64{1}}, {4, SourceSimilar, 0.1, []int64{1}}}},
		{name: "out of stock skipped, popular fills", signals: []Signal{{Item: 1, Kind: KindBought, Weight: 1}}, bought: map[int64]bool{1: true}, exclude: map[int64]bool{2: true, 9: true}, limit: 4,
			want: []out{{3, SourceSimilar, 0.6, []int64{1}}, {4, SourceSimilar, 0.1, []int64{1}}, {8, SourcePopular, 0, []int64{8}}}},
		{name: "views weigh half", signals: []Signal{{Item: 5, Kind: KindViewed, Weight: ViewedWeight}}, bought: map[int64]bool{}, limit: 2,
			want: []out{{3, SourceSimilar, 0.25, []int64{5}}, {1, SourceSimilar, 0.2, []int64{5}}}},
		{name: "cold customer gets best sellers", bought: map[int64]bool{}, limit: 2,
			want: []out{{1, SourcePopular, 0, []int64{1}}, {9, SourcePopular, 0, []int64{9}}}},
		{name: "zero limit", bought: map[int64]bool{}, limit: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Next(tc.signals, nb, tc.bought, func(i int64) bool { return tc.exclude[i] }, popular, tc.limit)
			if diff := diff(tc.want, flat(got)); diff != "" {
				t.Fatalf("\n%s", diff)
			}
		})
	}
	t.Run("similar falls back to popular", func(t *testing.T) {
		got := Similar(7, nil, nil, popular, 2)
		if diff := diff([]out{{1, SourcePopular, 0, []int64{1}}, {9, SourcePopular, 0, []int64{9}}}, flat(got)); diff != "" {
			t.Fatalf("\n%s", diff)
		}
		got = Similar(1, sims[1], func(i int64) bool { return i == 3 }, popular, 3)
		if diff := diff([]out{{2, SourceSimilar, 0.8, nil}, {4, SourceSimilar, 0.1, nil}, {9, SourcePopular, 0, []int64{9}}}, flat(got)); diff != "" {
			t.Fatalf("\n%s", diff)
		}
	})
}

// TestEvaluate: a history whose answer is known. Customers 1,2 bought A
// and B, 3,4 bought C and D; 5 bought A and 6 bought C before the cutoff,
// then 5 bought B and 6 bought D. Six guest items P are each bought by
// four guests, so they top the best sellers. The model puts B (resp. D)
// first: hit rate 1 at 5 and 10, precision 1/5 and 1/10. Popularity puts
// the six P items, then C or A, then B and D: no hit in five, a hit in ten.
func TestEvaluate(t *testing.T) {
	const A, B, C, D = 1, 2, 3, 4
	cut := 100 * day
	ev := concat(buys(1, 50*day, A, B), buys(2, 51*day, A, B), buys(3, 52*day, C, D), buys(4, 53*day, C, D),
		buys(5, 60*day, A), buys(6, 61*day, C), buys(5, 101*day, B), buys(6, 102*day, D), buys(1, 103*day, A))
	g := int64(-1)
	for p := int64(11); p <= 16; p++ {
		for range 4 {
			ev = append(ev, Event{Person: g, Item: p, At: 70 * day})
			g--
		}
	}
	got := Evaluate(ev, nil, cut, Options{})
	want := Evaluation{Cutoff: cut, Customers: 2, TrainPurchases: 34, TestPurchases: 3,
		Model:      Metrics{HitRate5: 1, HitRate10: 1, Precision5: 0.2, Precision10: 0.1},
		Popularity: Metrics{HitRate5: 0, HitRate10: 1, Precision5: 0, Precision10: 0.1}}
	if diff := diff(want, got); diff != "" {
		t.Fatalf("\n%s", diff)
	}
	if c := DefaultCutoff(ev); c != 70*day {
		t.Fatalf("default cutoff %d, want the 80th percentile %d", c, 70*day)
	}
	if c := DefaultCutoff(buys(1, 5, A)); c != 0 {
		t.Fatalf("one purchase: cutoff %d, want 0", c)
	}
}
