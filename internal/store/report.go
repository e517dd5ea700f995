package store

import (
	"context"
	"database/sql"
	"fmt"
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

// SalesReport computes the dashboard figures from the rollups of
// migration 0005, after folding in the orders changed since the last
// report (report_rollup.go): a few hundred rows per month of the range
// instead of every order and line.
func (db *DB) SalesReport(ctx context.Context, f crm.SalesReportFilter) (*crm.SalesReport, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResReports, crm.Read)); err != nil {
		return nil, err
	}
	if err := db.refreshSalesRollups(ctx); err != nil {
		return nil, err
	}
	cal := f.Calendar
	if cal == nil {
		cal = crm.Gregorian{}
	}
	rep := &crm.SalesReport{Currency: "USD"}
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

// reportDays reads purchases per UTC day from sales_days.
func (db *DB) reportDays(ctx context.Context, rep *crm.SalesReport, from, to int64) error {
	rows, err := db.read.QueryContext(ctx, `SELECT day, CAST(SUM(orders) AS BIGINT),
  CAST(SUM(CASE WHEN currency = $3 THEN revenue ELSE 0 END) AS BIGINT)
FROM sales_days WHERE day >= $1 AND day < $2 GROUP BY day HAVING SUM(orders) > 0 OR SUM(revenue) <> 0 ORDER BY day`, from/dayMS, to/dayMS, rep.Currency)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d crm.SalesDay
		var day int64
		if err := rows.Scan(&day, &d.Orders, &d.Revenue); err != nil {
			return err
		}
		d.Day = fromMS(day * dayMS)
		rep.Days = append(rep.Days, d)
		rep.Orders += d.Orders
		rep.Revenue += d.Revenue
	}
	return rows.Err()
}

// gapCase buckets the days between first and second purchase as
// crm.GapBounds does; -1 is "no second purchase in the range".
func gapCase() string {
	var b strings.Builder
	b.WriteString("CASE WHEN second_at IS NULL THEN -1")
	for i, g := range crm.GapBounds {
		if g[1] < 0 {
			fmt.Fprintf(&b, " ELSE %d END", i)
			return b.String()
		}
		fmt.Fprintf(&b, " WHEN second_at - first_at < %d THEN %d", int64(g[1]+1)*dayMS, i)
	}
	return b.String() + " END"
}

// reportCohort reads customer_firsts twice: first purchases in the
// range are new revenue per day; and of every customer whose first
// purchase came before the end of the range, those whose second did too
// are the repeat customers, spread by the days between the two. That is
// the lifetime figure as of the range's end, the one "65 % never buy
// again" describes.
func (db *DB) reportCohort(ctx context.Context, rep *crm.SalesReport, from, to int64) error {
	rows, err := db.read.QueryContext(ctx, `SELECT first_at / 86400000, COUNT(*),
  CAST(SUM(CASE WHEN first_currency = $3 THEN first_total ELSE 0 END) AS BIGINT)
FROM customer_firsts WHERE first_at >= $1 AND first_at < $2 GROUP BY first_at / 86400000`, from, to, rep.Currency)
	if err != nil {
		return db.mapErr(err)
	}
	byDay := map[int64]int{}
	for i, d := range rep.Days {
		byDay[d.Day.UnixMilli()/dayMS] = i
	}
	for rows.Next() {
		var day, revenue int64
		var n int
		if err := rows.Scan(&day, &n, &revenue); err != nil {
			rows.Close()
			return err
		}
		if i, ok := byDay[day]; ok {
			rep.Days[i].NewOrders += n
			rep.Days[i].NewRevenue += revenue
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rep.Gaps = make([]crm.GapBucket, len(crm.GapBounds))
	for i, g := range crm.GapBounds {
		rep.Gaps[i] = crm.GapBucket{MinDays: g[0], MaxDays: g[1]}
	}
	rows, err = db.read.QueryContext(ctx, `SELECT CASE WHEN second_at IS NULL OR second_at >= $1 THEN -1 ELSE `+gapCase()+` END, COUNT(*)
FROM customer_firsts WHERE first_at < $1 GROUP BY 1`, to)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var bucket int64
		var n int
		if err := rows.Scan(&bucket, &n); err != nil {
			return err
		}
		rep.Customers += n
		if bucket >= 0 && int(bucket) < len(rep.Gaps) {
			rep.Repeat += n
			rep.Gaps[bucket].Customers += n
		}
	}
	return rows.Err()
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
