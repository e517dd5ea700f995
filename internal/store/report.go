package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// purchasedSQL is crm.Purchased as SQL: the statuses that count as a
// purchase in facts and revenue.
const purchasedSQL = `('paid', 'shipped', 'delivered')`

// dayMS is one day in unix milliseconds. Days are bucketed by integer
// division of the BIGINT placed_at, which is the same expression on both
// engines (and cheaper than any date function): months are then folded
// from days in Go, in the reader's calendar (Jalali months do not start
// on Gregorian month boundaries).
const dayMS = 86400000

// maxReportDays bounds the range (ten years of daily buckets).
const maxReportDays = 3700

// SalesReport computes the dashboard figures from the rollups
// (report_rollup.go), which the transactions that change orders keep: a
// few hundred rows per month of the range instead of every order and
// line, and a report never writes.
func (db *DB) SalesReport(ctx context.Context, f crm.SalesReportFilter) (*crm.SalesReport, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResReports, crm.Read)); err != nil {
		return nil, err
	}
	cal := f.Calendar
	if cal == nil {
		cal = crm.Gregorian{}
	}
	rep := &crm.SalesReport{Currency: "USD", Calendar: cal}
	var cur string
	switch err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&cur); {
	case err == nil && cur != "":
		rep.Currency = cur
	case err != nil && err != sql.ErrNoRows:
		return nil, db.mapErr(err)
	}
	if err := db.reportRange(ctx, f, cal, rep); err != nil {
		return nil, err
	}
	from, to := ms(rep.From), ms(rep.To)
	if err := db.reportDays(ctx, rep, from, to); err != nil {
		return nil, err
	}
	if err := db.reportCohort(ctx, rep, from, to); err != nil {
		return nil, err
	}
	if err := db.reportProducts(ctx, rep, from, to, f.TopN); err != nil {
		return nil, err
	}
	return rep, nil
}

// reportRange fills From and To: as given, or the last 12 months of the
// calendar up to the last month with a purchase.
func (db *DB) reportRange(ctx context.Context, f crm.SalesReportFilter, cal crm.Calendar, rep *crm.SalesReport) error {
	switch {
	case f.From != nil && f.To != nil:
		rep.From, rep.To = f.From.UTC(), f.To.UTC()
	case f.To != nil:
		rep.To = f.To.UTC()
		rep.From = cal.AddMonths(cal.MonthStart(rep.To.Add(-time.Millisecond)), -11)
	case f.From != nil:
		rep.From = f.From.UTC()
		rep.To = cal.AddMonths(cal.MonthStart(rep.From), 12)
	default:
		// Each arm reads the end of orders_status for one status.
		var last sql.NullInt64
		err := db.read.QueryRowContext(ctx, `SELECT MAX(m) FROM (
  SELECT MAX(placed_at) AS m FROM orders WHERE status = 'paid'
  UNION ALL SELECT MAX(placed_at) FROM orders WHERE status = 'shipped'
  UNION ALL SELECT MAX(placed_at) FROM orders WHERE status = 'delivered') x`).Scan(&last)
		if err != nil {
			return db.mapErr(err)
		}
		end := db.Now().UTC()
		if last.Valid {
			end = fromMS(last.Int64)
		}
		rep.To = cal.AddMonths(cal.MonthStart(end), 1)
		rep.From = cal.AddMonths(rep.To, -12)
	}
	var v crm.Validation
	if !rep.From.Before(rep.To) {
		v.Add("to", "out_of_range")
	} else if rep.To.Sub(rep.From) > maxReportDays*24*time.Hour {
		v.Add("from", "out_of_range")
	}
	return v.Err()
}

// reportDays reads purchases per UTC day from sales_days: the orders
// are purchases, the revenue is net of credit notes (guest orders in
// both), and a day with only credit notes is a day of the report.
func (db *DB) reportDays(ctx context.Context, rep *crm.SalesReport, from, to int64) error {
	rows, err := db.read.QueryContext(ctx, `SELECT day, CAST(SUM(orders) AS BIGINT),
  CAST(SUM(CASE WHEN currency = $3 THEN revenue ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN currency = $3 THEN credits ELSE 0 END) AS BIGINT)
FROM sales_days WHERE day >= $1 AND day < $2 GROUP BY day HAVING SUM(orders) > 0 OR SUM(revenue) <> 0 ORDER BY day`, from/dayMS, to/dayMS, rep.Currency)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d crm.SalesDay
		var day int64
		if err := rows.Scan(&day, &d.Orders, &d.Revenue, &d.CreditRevenue); err != nil {
			return err
		}
		d.Day = fromMS(day * dayMS)
		rep.Days = append(rep.Days, d)
		rep.Orders += d.Orders
		rep.Revenue += d.Revenue
	}
	return rows.Err()
}

// reportCohort reads the customer rollups. First purchases in the range
// are new orders and revenue per day (customer_firsts); a customer's
// purchases per day (customer_days) less their first are the returning
// ones: returning revenue is what customers (not guests) paid for
// purchases other than their first, leaving out credit notes
// (customer_days.revenue - credits), which only the day's revenue nets. And of every customer whose first purchase came before the end
// of the range, those whose second purchase did too are the repeat
// customers, spread by the days between the two: the lifetime figure as
// of the range's end, the one "65 % never buy again" describes.
func (db *DB) reportCohort(ctx context.Context, rep *crm.SalesReport, from, to int64) error {
	byDay := map[int64]int{}
	for i, d := range rep.Days {
		byDay[d.Day.UnixMilli()/dayMS] = i
	}
	err := db.eachRow(ctx, func(day int64, n int, revenue int64) {
		if i, ok := byDay[day]; ok {
			rep.Days[i].NewOrders += n
			rep.Days[i].NewRevenue += revenue
			rep.Days[i].ReturningOrders -= n
			rep.Days[i].ReturningRevenue -= revenue
		}
	}, `SELECT first_at / 86400000, COUNT(*), CAST(SUM(CASE WHEN first_currency = $3 THEN first_total ELSE 0 END) AS BIGINT)
FROM customer_firsts WHERE first_at >= $1 AND first_at < $2 GROUP BY first_at / 86400000`, from, to, rep.Currency)
	if err != nil {
		return err
	}
	// Every purchase of a customer, less the first purchases above.
	err = db.eachRow(ctx, func(day int64, n int, revenue int64) {
		if i, ok := byDay[day]; ok {
			rep.Days[i].ReturningOrders += n
			rep.Days[i].ReturningRevenue += revenue
		}
	}, `SELECT day, CAST(SUM(orders) AS BIGINT), CAST(SUM(CASE WHEN currency = $3 THEN revenue - credits ELSE 0 END) AS BIGINT)
FROM customer_days WHERE day >= $1 AND day < $2 GROUP BY day`, from/dayMS, to/dayMS, rep.Currency)
	if err != nil {
		return err
	}
	if err := db.reportReturningCustomers(ctx, rep, from, to); err != nil {
		return err
	}
	return db.reportRepeat(ctx, rep, to)
}

// eachRow runs a query of (day, count, amount) rows.
func (db *DB) eachRow(ctx context.Context, fn func(day int64, n int, amount int64), q string, args ...any) error {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var day, amount int64
		var n int
		if err := rows.Scan(&day, &n, &amount); err != nil {
			return err
		}
		fn(day, n, amount)
	}
	return rows.Err()
}

// reportReturningCustomers counts per calendar month the customers with a
// purchase that is not their first: a day of theirs after the first
// purchase day, or on that day another currency than the first purchase's
// or more than one order (a day of credit notes alone is no purchase). A distinct count per month, so the months'
// first days (of the reader's calendar) go into the query.
func (db *DB) reportReturningCustomers(ctx context.Context, rep *crm.SalesReport, from, to int64) error {
	var starts []time.Time
	var when strings.Builder
	args := []any{from / dayMS, to / dayMS}
	for m := rep.Calendar.MonthStart(rep.From); m.Before(rep.To); m = rep.Calendar.AddMonths(m, 1) {
		next := rep.Calendar.AddMonths(m, 1)
		args = append(args, ms(next)/dayMS)
		fmt.Fprintf(&when, " WHEN cd.day < %s THEN %d", ph(len(args)), len(starts))
		starts = append(starts, m)
	}
	rep.ReturningCustomers = map[time.Time]int{}
	if len(starts) == 0 {
		return nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT CASE`+when.String()+` ELSE -1 END, COUNT(DISTINCT cd.contact_id)
FROM customer_days cd JOIN customer_firsts cf ON cf.contact_id = cd.contact_id
WHERE cd.day >= $1 AND cd.day < $2 AND cd.orders > 0 AND (cd.day > cf.first_at / 86400000 OR cd.currency <> cf.first_currency OR cd.orders > 1)
GROUP BY 1`, args...)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var n int
		if err := rows.Scan(&i, &n); err != nil {
			return err
		}
		if i >= 0 && int(i) < len(starts) {
			rep.ReturningCustomers[starts[i]] += n
		}
	}
	return rows.Err()
}

// reportRepeat counts the customers by the end of the range and the
// repeat customers of both kinds, with their gaps in days: histograms
// by whole days, from which the buckets and medians are taken.
func (db *DB) reportRepeat(ctx context.Context, rep *crm.SalesReport, to int64) error {
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_firsts WHERE first_at < $1`, to).Scan(&rep.Customers); err != nil {
		return db.mapErr(err)
	}
	rep.Gaps = make([]crm.GapBucket, len(crm.GapBounds))
	for i, g := range crm.GapBounds {
		rep.Gaps[i] = crm.GapBucket{MinDays: g[0], MaxDays: g[1]}
	}
	for _, k := range []struct {
		q      string
		count  *int
		median **float64
		bucket func(b *crm.GapBucket, n int)
	}{
		{`SELECT (second_at - first_at) / 86400000, COUNT(*) FROM customer_firsts WHERE first_at < $1 AND second_at < $1 GROUP BY 1`,
			&rep.Repeat, &rep.MedianDaysToSecond, func(b *crm.GapBucket, n int) { b.Customers += n }},
		{`SELECT second_day_at / 86400000 - first_at / 86400000, COUNT(*) FROM customer_firsts WHERE first_at < $1 AND second_day_at < $1 GROUP BY 1`,
			&rep.RepeatDays, &rep.MedianDaysToSecondDay, func(b *crm.GapBucket, n int) { b.CustomersByDay += n }},
	} {
		hist := map[int64]int{}
		rows, err := db.read.QueryContext(ctx, k.q, to)
		if err != nil {
			return db.mapErr(err)
		}
		for rows.Next() {
			var days int64
			var n int
			if err := rows.Scan(&days, &n); err != nil {
				rows.Close()
				return err
			}
			hist[days] += n
			*k.count += n
			k.bucket(&rep.Gaps[crm.GapBucketOf(int(days))], n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		*k.median = medianDays(hist)
	}
	return nil
}

// medianDays is the median of a histogram of days (the mean of the two
// middle values of an even count), nil when it is empty.
func medianDays(hist map[int64]int) *float64 {
	n := 0
	keys := make([]int64, 0, len(hist))
	for d, c := range hist {
		n += c
		keys = append(keys, d)
	}
	if n == 0 {
		return nil
	}
	slices.Sort(keys)
	// The values at positions lo and hi (0-based) of the sorted list.
	lo, hi := (n-1)/2, n/2
	var a, b int64
	seen := 0
	for _, d := range keys {
		next := seen + hist[d]
		if lo >= seen && lo < next {
			a = d
		}
		if hi >= seen && hi < next {
			b = d
			break
		}
		seen = next
	}
	m := float64(a+b) / 2
	return &m
}

// reportProducts lists the best-selling SKUs by revenue in the shop
// currency from sales_product_days.
func (db *DB) reportProducts(ctx context.Context, rep *crm.SalesReport, from, to int64, n int) error {
	if n <= 0 || n > 100 {
		n = 10
	}
	rows, err := db.read.QueryContext(ctx, `SELECT sku, MAX(name), CAST(SUM(lines) AS BIGINT), CAST(SUM(quantity) AS BIGINT), CAST(SUM(revenue) AS BIGINT)
FROM sales_product_days WHERE day >= $1 AND day < $2 AND currency = $3
GROUP BY sku HAVING SUM(lines) > 0 ORDER BY 5 DESC, 1 LIMIT $4`, from/dayMS, to/dayMS, rep.Currency, n)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p crm.ProductSales
		if err := rows.Scan(&p.SKU, &p.Name, &p.Lines, &p.Quantity, &p.Revenue); err != nil {
			return err
		}
		rep.TopProducts = append(rep.TopProducts, p)
	}
	return rows.Err()
}
