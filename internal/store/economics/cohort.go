package economics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// CohortReport reads the customer rollups: customer_firsts gives each
// customer's cohort and second purchase day, customer_days their
// purchases per day. A purchase "again" is one on a later UTC day than
// the first (second_day_at), so a cohort cell counts the customers who
// bought in that month on a later day than their first purchase.
func (s *Store) CohortReport(ctx context.Context, f crm.CohortFilter) (*crm.CohortReport, error) {
	sc, err := s.scope(ctx, f.From, f.To, f.Calendar, 12)
	if err != nil {
		return nil, err
	}
	days := f.Days
	if len(days) == 0 {
		days = crm.DefaultNeverDays
	}
	var v crm.Validation
	if len(days) > 6 {
		v.Add("days", "out_of_range")
	}
	for _, d := range days {
		if d < 1 || d > 3650 {
			v.Add("days", "out_of_range")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rep := &crm.CohortReport{From: sc.from, To: sc.to, Currency: sc.currency, Calendar: sc.cal}
	s, done, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if f.TrendOnly {
		return rep, s.repeatTrend(ctx, sc, rep)
	}
	if err := s.cohortCells(ctx, sc, rep); err != nil {
		return nil, err
	}
	if err := s.repeatTrend(ctx, sc, rep); err != nil {
		return nil, err
	}
	if err := s.secondGaps(ctx, sc, rep); err != nil {
		return nil, err
	}
	if err := s.neverReturned(ctx, sc, rep, days); err != nil {
		return nil, err
	}
	return rep, nil
}

// cohortCells fills the cohorts: their sizes, then per cohort and month
// the customers who bought again and the revenue.
func (s *Store) cohortCells(ctx context.Context, sc *scope, rep *crm.CohortReport) error {
	ends := sc.ends()
	for _, m := range sc.months {
		rep.Cohorts = append(rep.Cohorts, crm.Cohort{Start: m})
	}
	q := &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	c := q.bucket("cf.first_at", ends, 1)
	err := s.eachRow(ctx, q, `SELECT `+c+`, COUNT(*) FROM customer_firsts cf`+sc.ownerJoin(q, "cf.contact_id")+`
WHERE cf.first_at >= `+from+` AND cf.first_at < `+to+` GROUP BY 1`, func(r *sql.Rows) error {
		var i, n int
		if err := r.Scan(&i, &n); err != nil {
			return err
		}
		if i >= 0 && i < len(rep.Cohorts) {
			rep.Cohorts[i].Customers += n
			rep.Customers += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Cells: months from the cohort's to the range's last.
	for i := range rep.Cohorts {
		for k := 0; i+k < len(rep.Cohorts); k++ {
			rep.Cohorts[i].Cells = append(rep.Cohorts[i].Cells, crm.CohortCell{Month: k})
		}
	}
	q = &query{}
	from, to = q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	toDay := q.arg(store.MS(sc.to) / dayMS)
	cur := q.arg(sc.currency)
	c = q.bucket("cf.first_at", ends, 1)
	m := q.bucket("cd.day", ends, dayMS)
	err = s.eachRow(ctx, q, `SELECT c, m, CAST(SUM(rev) AS BIGINT), CAST(SUM(again) AS BIGINT) FROM (
  SELECT cd.contact_id, `+c+` AS c, `+m+` AS m,
    SUM(CASE WHEN cd.currency = `+cur+` THEN cd.revenue ELSE 0 END) AS rev,
    MAX(CASE WHEN cd.orders > 0 AND cd.day > cf.first_at / 86400000 THEN 1 ELSE 0 END) AS again
  FROM customer_firsts cf JOIN customer_days cd ON cd.contact_id = cf.contact_id`+sc.ownerJoin(q, "cf.contact_id")+`
  WHERE cf.first_at >= `+from+` AND cf.first_at < `+to+` AND cd.day < `+toDay+`
  GROUP BY cd.contact_id, 2, 3) x GROUP BY c, m`, func(r *sql.Rows) error {
		var ci, mi int
		var rev, again int64
		if err := r.Scan(&ci, &mi, &rev, &again); err != nil {
			return err
		}
		k := mi - ci
		if ci < 0 || ci >= len(rep.Cohorts) || k < 0 || k >= len(rep.Cohorts[ci].Cells) {
			return nil
		}
		cell := &rep.Cohorts[ci].Cells[k]
		cell.Revenue += rev
		cell.Returning += int(again)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range rep.Cohorts {
		co := &rep.Cohorts[i]
		var cum int64
		for k := range co.Cells {
			cell := &co.Cells[k]
			cum += cell.Revenue
			if co.Customers > 0 {
				n := float64(co.Customers)
				cell.Share = float64(cell.Returning) / n
				cell.PerCust = float64(cell.Revenue) / n
				cell.Cumulative = float64(cum) / n
			}
		}
	}
	return nil
}

// repeatTrend is the lifetime repeat rate at each month's end: customers
// by the month of their first purchase and of their second purchase day
// (before the range: -1, never: -2), summed up to each month.
func (s *Store) repeatTrend(ctx context.Context, sc *scope, rep *crm.CohortReport) error {
	ends := sc.ends()
	q := &query{}
	to := q.arg(store.MS(sc.to))
	before := q.arg(store.MS(sc.from))
	bucket := func(col string) string {
		return strings.Replace(q.bucket(col, ends, 1), " WHEN ", " WHEN "+col+" < "+before+" THEN -1 WHEN ", 1)
	}
	first, second := bucket("cf.first_at"), bucket("cf.second_day_at")
	customers := make([]int, len(ends)+1)
	repeat := make([]int, len(ends)+1)
	var before0, beforeRepeat int
	err := s.eachRow(ctx, q, `SELECT `+first+`, `+second+`, COUNT(*) FROM customer_firsts cf`+sc.ownerJoin(q, "cf.contact_id")+`
WHERE cf.first_at < `+to+` GROUP BY 1, 2`, func(r *sql.Rows) error {
		var fi, si, n int
		if err := r.Scan(&fi, &si, &n); err != nil {
			return err
		}
		if fi == -1 {
			before0 += n
		} else if fi >= 0 {
			customers[fi] += n
		}
		if si == -1 {
			beforeRepeat += n
		} else if si >= 0 {
			repeat[si] += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	cn, rn := before0, beforeRepeat
	for i, m := range sc.months {
		cn += customers[i]
		rn += repeat[i]
		p := crm.RepeatPoint{Start: m, Customers: cn, Repeat: rn}
		if cn > 0 {
			p.Rate = float64(rn) / float64(cn)
		}
		rep.RepeatTrend = append(rep.RepeatTrend, p)
	}
	return nil
}

// secondGaps spreads the cohorts' customers who bought again before the
// end of the range by the days between their first two purchase days.
func (s *Store) secondGaps(ctx context.Context, sc *scope, rep *crm.CohortReport) error {
	rep.Gaps = make([]crm.GapBucket, len(crm.GapBounds))
	for i, g := range crm.GapBounds {
		rep.Gaps[i] = crm.GapBucket{MinDays: g[0], MaxDays: g[1]}
	}
	q := &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	hist := map[int64]int{}
	err := s.eachRow(ctx, q, `SELECT cf.second_day_at / 86400000 - cf.first_at / 86400000, COUNT(*) FROM customer_firsts cf`+sc.ownerJoin(q, "cf.contact_id")+`
WHERE cf.first_at >= `+from+` AND cf.first_at < `+to+` AND cf.second_day_at < `+to+` GROUP BY 1`, func(r *sql.Rows) error {
		var d int64
		var n int
		if err := r.Scan(&d, &n); err != nil {
			return err
		}
		hist[d] += n
		rep.Gaps[crm.GapBucketOf(int(d))].CustomersByDay += n
		rep.Gaps[crm.GapBucketOf(int(d))].Customers += n
		return nil
	})
	if err != nil {
		return err
	}
	rep.MedianDaysToTwo = store.MedianDays(hist)
	return nil
}

// neverReturned counts, per window of days, the cohorts' customers who
// had the whole window before the end of the range and those of them
// with no purchase on a later day within it, by acquisition channel and
// first product in one pass.
func (s *Store) neverReturned(ctx context.Context, sc *scope, rep *crm.CohortReport, days []int) error {
	q := &query{}
	from, to := q.arg(store.MS(sc.from)), q.arg(store.MS(sc.to))
	var sums strings.Builder
	for _, d := range days {
		w := q.arg(int64(d) * dayMS)
		fmt.Fprintf(&sums, `, SUM(CASE WHEN first_at + %[1]s <= %[2]s THEN 1 ELSE 0 END), SUM(CASE WHEN first_at + %[1]s <= %[2]s AND (second_day_at IS NULL OR second_day_at >= first_at + %[1]s) THEN 1 ELSE 0 END)`, w, to)
	}
	owner := ""
	if sc.owner != 0 {
		owner = " AND ct.owner_id = " + q.arg(sc.owner)
	}
	type group struct {
		customers int
		counts    []int
	}
	total := &group{counts: make([]int, 2*len(days))}
	byChannel, byProduct := map[string]*group{}, map[string]*group{}
	add := func(m map[string]*group, k string, n int, counts []int) {
		g := m[k]
		if g == nil {
			g = &group{counts: make([]int, len(counts))}
			m[k] = g
		}
		g.customers += n
		for i, c := range counts {
			g.counts[i] += c
		}
	}
	// The first order of each customer (the lowest id placed at its first
	// purchase's time) is found once, in the index alone (a materialised
	// CTE); its row is read only for customers without a source.
	err := s.eachRow(ctx, q, `WITH f AS MATERIALIZED (SELECT cf.first_at, cf.second_day_at, ct.source,
    (SELECT MIN(o2.id) FROM orders o2 WHERE o2.contact_id = cf.contact_id AND o2.placed_at = cf.first_at) AS first_id
  FROM customer_firsts cf JOIN contacts ct ON ct.id = cf.contact_id
  WHERE cf.first_at >= `+from+` AND cf.first_at < `+to+owner+`)
SELECT channel, sku, COUNT(*)`+sums.String()+` FROM (
  SELECT f.first_at, f.second_day_at,
    COALESCE(NULLIF(LOWER(TRIM(f.source)), ''), (SELECT o.channel FROM orders o WHERE o.id = f.first_id), '') AS channel,
    COALESCE((SELECT l.sku FROM order_lines l WHERE l.order_id = f.first_id ORDER BY l.total DESC, l.sku LIMIT 1), '') AS sku
  FROM f) x GROUP BY channel, sku`, func(r *sql.Rows) error {
		var channel, sku string
		var n int
		counts := make([]int, 2*len(days))
		dst := []any{&channel, &sku, &n}
		for i := range counts {
			dst = append(dst, &counts[i])
		}
		if err := r.Scan(dst...); err != nil {
			return err
		}
		add(map[string]*group{"": total}, "", n, counts)
		add(byChannel, channel, n, counts)
		add(byProduct, sku, n, counts)
		return nil
	})
	if err != nil {
		return err
	}
	windows := func(g *group) []crm.NeverReturned {
		out := make([]crm.NeverReturned, len(days))
		for i, d := range days {
			w := crm.NeverReturned{Days: d, Eligible: g.counts[2*i], Never: g.counts[2*i+1]}
			if w.Eligible > 0 {
				w.Share = float64(w.Never) / float64(w.Eligible)
			}
			out[i] = w
		}
		return out
	}
	rep.NeverReturned = windows(total)
	list := func(m map[string]*group, max int) []crm.NeverReturnedGroup {
		var out []crm.NeverReturnedGroup
		for k, g := range m {
			out = append(out, crm.NeverReturnedGroup{Key: k, Customers: g.customers, Windows: windows(g)})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Customers != out[j].Customers {
				return out[i].Customers > out[j].Customers
			}
			return out[i].Key < out[j].Key
		})
		if len(out) > max {
			out = out[:max]
		}
		return out
	}
	rep.ByChannel = list(byChannel, 50)
	rep.ByProduct = list(byProduct, 20)
	return s.productNames(ctx, rep.ByProduct)
}

// productNames names the SKUs of the catalogue.
func (s *Store) productNames(ctx context.Context, groups []crm.NeverReturnedGroup) error {
	if len(groups) == 0 {
		return nil
	}
	q := &query{}
	var ph []string
	for _, g := range groups {
		ph = append(ph, q.arg(g.Key))
	}
	names := map[string]string{}
	err := s.eachRow(ctx, q, `SELECT sku, name FROM products WHERE sku IN (`+strings.Join(ph, ", ")+`)`, func(r *sql.Rows) error {
		var sku, name string
		if err := r.Scan(&sku, &name); err != nil {
			return err
		}
		names[sku] = name
		return nil
	})
	for i := range groups {
		groups[i].Name = names[groups[i].Key]
	}
	return err
}
