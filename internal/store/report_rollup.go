package store

import (
	"context"
	"database/sql"
	"slices"
	"time"
)

// The sales rollups (migration 0005) are derived from orders: per UTC day
// and currency (sales_days), per day, currency and SKU
// (sales_product_days), and per customer (customer_firsts). They are not
// kept by triggers on the order tables, which would put a hot row (today)
// in every order transaction and lock rows in varying order between
// concurrent orders; instead a report first folds in the orders whose
// updated_at is past the watermark, and the bulk order import recomputes
// what it wrote before it commits.

// rollupMargin re-reads orders changed shortly before the watermark: a
// transaction stamps updated_at when it starts, so one that commits after
// a refresh may carry a time just before that refresh's watermark.
const rollupMargin = 5 * time.Minute

// rollupDayRange recomputes the day rollups for orders placed in
// [from, to) (unix ms, whole days): purchases are counted and summed,
// credit notes (returns and cancellations, negative totals) only summed,
// so revenue is net. Day numbers are computed here, not in
// SQL, so PostgreSQL never has to guess a parameter's type from "$1 / n".
func (tx *Tx) rollupDayRange(ctx context.Context, from, to int64) error {
	days := []any{from / dayMS, to / dayMS}
	span := []any{from, to}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`DELETE FROM sales_days WHERE day >= $1 AND day < $2`, days},
		{`INSERT INTO sales_days (day, currency, orders, revenue)
SELECT placed_at / 86400000, currency, SUM(CASE WHEN kind = 'credit' THEN 0 ELSE 1 END), SUM(total) FROM orders
WHERE placed_at >= $1 AND placed_at < $2 AND ` + netSQL("") + `
GROUP BY placed_at / 86400000, currency`, span},
		{`DELETE FROM sales_product_days WHERE day >= $1 AND day < $2`, days},
		{`INSERT INTO sales_product_days (day, currency, sku, name, lines, quantity, revenue)
SELECT o.placed_at / 86400000, o.currency, l.sku, MAX(l.name), SUM(CASE WHEN o.kind = 'credit' THEN 0 ELSE 1 END),
  SUM(CASE WHEN o.kind = 'credit' THEN -l.quantity ELSE l.quantity END), SUM(l.total)
FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE o.placed_at >= $1 AND o.placed_at < $2 AND ` + netSQL("o.") + `
GROUP BY o.placed_at / 86400000, o.currency, l.sku`, span},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}

// rollupCustomers recomputes customer_firsts for the contacts that cond
// (a condition on orders' contact_id, with args) selects: each one's
// first purchase and the time of its second. cond "" means every contact
// with orders (an import into an empty orders table).
func (tx *Tx) rollupCustomers(ctx context.Context, cond string, args ...any) error {
	del := `DELETE FROM customer_firsts`
	which := `contact_id IS NOT NULL`
	if cond != "" {
		del += ` WHERE contact_id IN (SELECT contact_id FROM orders WHERE ` + cond + `)`
		which = `contact_id IN (SELECT contact_id FROM orders WHERE ` + cond + `)`
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO customer_firsts (contact_id, first_at, first_currency, first_total, second_at)
SELECT contact_id, MAX(CASE WHEN rn = 1 THEN placed_at END), MAX(CASE WHEN rn = 1 THEN currency END),
  MAX(CASE WHEN rn = 1 THEN total END), MAX(CASE WHEN rn = 2 THEN placed_at END)
FROM (SELECT contact_id, placed_at, currency, total, ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY placed_at, id) AS rn
  FROM orders WHERE `+which+` AND status IN `+purchasedSQL+`) x
WHERE rn <= 2 GROUP BY contact_id`, args...)
	return err
}

// refreshSalesRollups folds the orders changed since the last refresh
// into the rollups, in one write transaction. The watermark row is locked
// first (an UPDATE), so two servers sharing a PostgreSQL database refresh
// one after the other. With nothing changed it costs two index probes.
func (db *DB) refreshSalesRollups(ctx context.Context) error {
	return db.inTx(ctx, func(tx *Tx) error {
		now := ms(tx.now)
		var wm int64
		err := tx.QueryRowContext(ctx, `UPDATE report_watermarks SET at = at WHERE name = 'sales' RETURNING at`).Scan(&wm)
		switch {
		case err == sql.ErrNoRows:
			// The first refresh: migration 0005 folded in the orders that
			// existed, the order import folds in its own, and a restore
			// brings the rollups with the orders; what is left is the
			// orders written just now.
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_watermarks (name, at) VALUES ('sales', $1)`, now); err != nil {
				return err
			}
			wm = now
		case err != nil:
			return err
		}
		since := wm - rollupMargin.Milliseconds()
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT placed_at / 86400000 FROM orders WHERE updated_at > $1`, since)
		if err != nil {
			return err
		}
		var days []int64
		for rows.Next() {
			var d int64
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			days = append(days, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		slices.Sort(days)
		// Consecutive days are recomputed as one range.
		for i := 0; i < len(days); {
			j := i
			for j+1 < len(days) && days[j+1] <= days[j]+1 {
				j++
			}
			if err := tx.rollupDayRange(ctx, days[i]*dayMS, (days[j]+1)*dayMS); err != nil {
				return err
			}
			i = j + 1
		}
		if len(days) > 0 {
			if err := tx.rollupCustomers(ctx, `updated_at > $1 AND contact_id IS NOT NULL`, since); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE report_watermarks SET at = $1 WHERE name = 'sales'`, now)
		return err
	})
}

// The rollups are part of the full export, so that a restore has the
// figures of the orders it restores: their updated_at is older than any
// watermark, and a refresh would not find them again.
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{Name: "sales_days", Columns: cols("id:int day:int currency orders:int revenue:int"), Sequence: "sales_days_id_seq"},
		DumpTable{Name: "sales_product_days", Columns: cols("id:int day:int currency sku name lines:int quantity:int revenue:int"), Sequence: "sales_product_days_id_seq"},
		DumpTable{Name: "customer_firsts", Columns: cols("id:int contact_id:int first_at:int first_currency first_total:int second_at:int"), Sequence: "customer_firsts_id_seq"},
		DumpTable{Name: "report_watermarks", Columns: cols("id:int name at:int"), Sequence: "report_watermarks_id_seq"},
	)
}
