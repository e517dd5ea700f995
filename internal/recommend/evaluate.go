package recommend

import (
	"cmp"
	"slices"
)

// Metrics are the top-N quality figures of one recommender, averaged over
// the evaluated customers: the hit rate at N is the share of customers
// with at least one of their later purchases among the first N
// recommendations; the precision at N is the share of those N that they
// bought.
type Metrics struct {
	HitRate5    float64 `json:"hit_rate_5"`
	HitRate10   float64 `json:"hit_rate_10"`
	Precision5  float64 `json:"precision_5"`
	Precision10 float64 `json:"precision_10"`
}

// Evaluation is an offline test on a time split of the order history: the
// model is fitted on the purchases (and views) before Cutoff and asked
// for each customer's next products; they are compared with what the
// customer bought from Cutoff on that they had not bought before. The
// popularity baseline recommends the best sellers before Cutoff that the
// customer did not own.
type Evaluation struct {
	Cutoff         int64   `json:"cutoff"` // unix ms
	Customers      int     `json:"customers"`
	TrainPurchases int     `json:"train_purchases"`
	TestPurchases  int     `json:"test_purchases"`
	Model          Metrics `json:"model"`
	Popularity     Metrics `json:"popularity"`
}

// DefaultCutoff splits the history at the time by which 80 % of the
// purchases were made (0 with fewer than two purchases or a single day).
func DefaultCutoff(purchases []Event) int64 {
	if len(purchases) < 2 {
		return 0
	}
	at := make([]int64, len(purchases))
	for i, e := range purchases {
		at[i] = e.At
	}
	slices.Sort(at)
	c := at[len(at)*8/10]
	if c <= at[0] {
		return 0
	}
	return c
}

// Evaluate fits on the events before cutoff and scores the two
// recommenders on each customer (Person > 0) who bought before cutoff and
// bought something new from cutoff on. A customer's views in the 30 days
// before cutoff count as signals too, as they do live.
func Evaluate(purchases, views []Event, cutoff int64, opt Options) Evaluation {
	ev := Evaluation{Cutoff: cutoff}
	var train, trainViews []Event
	owned := map[int64]map[int64]bool{}
	later := map[int64]map[int64]bool{}
	for _, e := range purchases {
		if e.At < cutoff {
			train = append(train, e)
			ev.TrainPurchases++
			if e.Person > 0 {
				if owned[e.Person] == nil {
					owned[e.Person] = map[int64]bool{}
				}
				owned[e.Person][e.Item] = true
			}
		}
	}
	for _, e := range purchases {
		if e.At >= cutoff {
			ev.TestPurchases++
			if e.Person > 0 && owned[e.Person] != nil && !owned[e.Person][e.Item] {
				if later[e.Person] == nil {
					later[e.Person] = map[int64]bool{}
				}
				later[e.Person][e.Item] = true
			}
		}
	}
	recentViews := map[int64][]int64{}
	for _, e := range views {
		if e.At < cutoff {
			trainViews = append(trainViews, e)
			if e.Person > 0 && e.At >= cutoff-30*dayMS {
				recentViews[e.Person] = append(recentViews[e.Person], e.Item)
			}
		}
	}
	if len(later) == 0 {
		return ev
	}
	m := Build(train, trainViews, cutoff, opt)
	neighbors := func(item int64) []Neighbor { return m.Similar[item] }
	var model, pop Metrics
	customers := make([]int64, 0, len(later))
	for c := range later {
		customers = append(customers, c)
	}
	slices.Sort(customers)
	for _, c := range customers {
		bought := owned[c]
		signals := make([]Signal, 0, len(bought))
		for item := range bought {
			signals = append(signals, Signal{Item: item, Kind: KindBought, Weight: 1})
		}
		for _, item := range recentViews[c] {
			if !bought[item] {
				signals = append(signals, Signal{Item: item, Kind: KindViewed, Weight: ViewedWeight})
			}
		}
		slices.SortFunc(signals, func(a, b Signal) int { return cmp.Compare(a.Item, b.Item) })
		got := Next(signals, neighbors, bought, nil, m.Popular, 10)
		add(&model, got, later[c])
		add(&pop, fillPopular(nil, m.Popular, bought, nil, 10), later[c])
	}
	n := float64(len(customers))
	ev.Customers = len(customers)
	ev.Model, ev.Popularity = scale(model, n), scale(pop, n)
	return ev
}

func add(m *Metrics, recs []Rec, truth map[int64]bool) {
	hits5, hits10 := 0, 0
	for i, r := range recs {
		if i >= 10 {
			break
		}
		if truth[r.Item] {
			if i < 5 {
				hits5++
			}
			hits10++
		}
	}
	if hits5 > 0 {
		m.HitRate5++
	}
	if hits10 > 0 {
		m.HitRate10++
	}
	m.Precision5 += float64(hits5) / 5
	m.Precision10 += float64(hits10) / 10
}

func scale(m Metrics, n float64) Metrics {
	return Metrics{HitRate5: m.HitRate5 / n, HitRate10: m.HitRate10 / n, Precision5: m.Precision5 / n, Precision10: m.Precision10 / n}
}
