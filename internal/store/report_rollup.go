package store

import (
	"context"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

// The sales rollups (migration 0011) are derived from orders: purchases
// per UTC day and currency (sales_days), per day, currency and SKU
// (sales_product_days), per customer, day and currency (customer_days),
// and each customer's first purchases (customer_firsts).
//
// A purchase is an order of kind 'order' in a purchased status. A credit
// note (kind 'credit', always status refunded, negative total, positive
// line quantities; migration 0013) nets the sums without being a
// purchase: its total is in the revenue of sales_days and customer_days
// (and apart in their credits column) and its lines' totals in
// sales_product_days, its units taken off the product's quantity; it adds
// no order, no product line, and is no first or second purchase. Guest
// orders (no contact) are in the day and product sums only. Credit notes
// are only imported and never change status, so only the import, the
// merge and the restore write their share. They change in
// the transaction that changes the orders, so a report only reads them
// and is the aggregate over orders as of its snapshot, on every server:
//
//   - placing an order as a purchase, or a status change into or out of
//     the purchased statuses, adds or takes away the order (addOrderRollups);
//   - an order import adds its sums (order_import_rollup.go);
//   - a merge recomputes the kept customer (refreshCustomerDays), a
//     deleted contact's customer rows go with it (ON DELETE CASCADE) while
//     its orders stay in the day sums, now without a customer;
//   - a restore rebuilds them from the restored orders (rebuildRollups).
//
// Day sums are additive, so concurrent transactions on PostgreSQL each add
// their own and the row lock orders them. Per-customer rows are written
// only after the customer's facts row is locked (refreshFacts): that lock
// serialises every change to one customer's purchases, so a recompute
// never misses an order committed concurrently. The day rows are locked
// last in each transaction, in key order, and spread over shards.

const (
	upsertSalesDay = `INSERT INTO sales_days (day, currency, shard, orders, revenue, credits) VALUES ($1, $2, $3, $4, $5, 0)
ON CONFLICT (day, currency, shard) DO UPDATE SET orders = sales_days.orders + excluded.orders, revenue = sales_days.revenue + excluded.revenue`
	upsertProductDay = `INSERT INTO sales_product_days (day, currency, sku, shard, name, lines, quantity, revenue) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (day, currency, sku, shard) DO UPDATE SET lines = sales_product_days.lines + excluded.lines,
  quantity = sales_product_days.quantity + excluded.quantity, revenue = sales_product_days.revenue + excluded.revenue,
  name = CASE WHEN excluded.name > sales_product_days.name THEN excluded.name ELSE sales_product_days.name END`
	upsertCustomerDay = `INSERT INTO customer_days (contact_id, day, currency, orders, revenue, credits) VALUES ($1, $2, $3, $4, $5, 0)
ON CONFLICT (contact_id, day, currency) DO UPDATE SET orders = customer_days.orders + excluded.orders, revenue = customer_days.revenue + excluded.revenue`
)

// firstsSelect computes customer_firsts rows from the purchased orders
// that cond selects (a condition on orders, "o." columns; credit notes,
// status refunded, are none of them): the first
// purchase by (placed_at, id), the second's time, and the first purchase
// on a later UTC day than the first.
func firstsSelect(cond string) string {
	return `SELECT contact_id, MAX(CASE WHEN rn = 1 THEN placed_at END), MAX(CASE WHEN rn = 1 THEN currency END),
  MAX(CASE WHEN rn = 1 THEN total END), MAX(CASE WHEN rn = 2 THEN placed_at END),
  MIN(CASE WHEN placed_at / 86400000 > first_day THEN placed_at END)
FROM (SELECT o.contact_id, o.placed_at, o.currency, o.total, ROW_NUMBER() OVER (PARTITION BY o.contact_id ORDER BY o.placed_at, o.id) AS rn,
    MIN(o.placed_at / 86400000) OVER (PARTITION BY o.contact_id) AS first_day
  FROM orders o WHERE ` + cond + ` AND o.contact_id IS NOT NULL AND o.status IN ` + purchasedSQL + `) x
WHERE true GROUP BY contact_id`
}

const firstsCols = `customer_firsts (contact_id, first_at, first_currency, first_total, second_at, second_day_at)`

// customerDaysCols are the columns customerDaysSelect fills.
const customerDaysCols = `customer_days (contact_id, day, currency, orders, revenue, credits)`

// customerDaysSelect sums the purchased orders and credit notes that cond
// selects per customer, day and currency: purchases counted, both in the
// revenue, the credit notes' totals also in credits.
func customerDaysSelect(cond string) string {
	return `SELECT o.contact_id, o.placed_at / 86400000, o.currency, SUM(CASE WHEN o.kind = 'credit' THEN 0 ELSE 1 END), SUM(o.total),
  SUM(CASE WHEN o.kind = 'credit' THEN o.total ELSE 0 END) FROM orders o
WHERE ` + cond + ` AND o.contact_id IS NOT NULL AND ` + netSQL("o.") + `
GROUP BY o.contact_id, o.placed_at / 86400000, o.currency`
}

// salesDaysSelect and productDaysSelect sum every purchase and credit
// note per day and currency (and SKU) into shard 0: the rebuild after a
// restore.
const (
	salesDaysSelect = `SELECT placed_at / 86400000, currency, 0, SUM(CASE WHEN kind = 'credit' THEN 0 ELSE 1 END), SUM(total),
  SUM(CASE WHEN kind = 'credit' THEN total ELSE 0 END) FROM orders
WHERE status IN ` + purchasedSQL + ` OR kind = 'credit' GROUP BY placed_at / 86400000, currency`
	productDaysSelect = `SELECT o.placed_at / 86400000, o.currency, l.sku, 0, MAX(l.name), SUM(CASE WHEN o.kind = 'credit' THEN 0 ELSE 1 END),
  SUM(CASE WHEN o.kind = 'credit' THEN -l.quantity ELSE l.quantity END), SUM(l.total)
FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE o.status IN ` + purchasedSQL + ` OR o.kind = 'credit' GROUP BY o.placed_at / 86400000, o.currency, l.sku`
)

// refreshFirsts recomputes one customer's first purchases; the caller
// holds the customer's lock (refreshFacts does both).
func (tx *Tx) refreshFirsts(ctx context.Context, contactID int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO `+firstsCols+`
`+firstsSelect(`o.contact_id = $1`)+`
ON CONFLICT (contact_id) DO UPDATE SET first_at = excluded.first_at, first_currency = excluded.first_currency,
  first_total = excluded.first_total, second_at = excluded.second_at, second_day_at = excluded.second_day_at`, contactID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	// No purchase (any more): a customer whose last purchase was undone
	// has no first purchase.
	_, err = tx.ExecContext(ctx, `DELETE FROM customer_firsts WHERE contact_id = $1`, contactID)
	return err
}

// refreshCustomerDays recomputes one customer's day sums (a merge moved
// orders to them); the caller holds the customer's lock.
func (tx *Tx) refreshCustomerDays(ctx context.Context, contactID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM customer_days WHERE contact_id = $1`, contactID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+customerDaysCols+`
`+customerDaysSelect(`o.contact_id = $1`), contactID)
	return err
}

// addOrderRollups adds one purchase to the rollups (sign 1) or takes it
// away (sign -1: cancelled, refunded, returned). contact is the order's
// customer now (0: none), whose lock the caller holds. Call it last in
// the transaction: the day rows are shared by every order of the day.
func (tx *Tx) addOrderRollups(ctx context.Context, o *crm.Order, contact, sign int64) error {
	day := ms(o.PlacedAt) / dayMS
	if contact != 0 {
		if _, err := tx.ExecContext(ctx, upsertCustomerDay, contact, day, o.Currency, sign, sign*o.Total); err != nil {
			return err
		}
		if sign < 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM customer_days WHERE contact_id = $1 AND day = $2 AND currency = $3 AND orders = 0 AND credits = 0`,
				contact, day, o.Currency); err != nil {
				return err
			}
		}
	}
	shard := o.ID % tx.db.dialect.rollupShards()
	if _, err := tx.ExecContext(ctx, upsertSalesDay, day, o.Currency, shard, sign, sign*o.Total); err != nil {
		return err
	}
	// One row per SKU, in SKU order: two orders lock the rows of their
	// common products in the same order.
	type sum struct {
		name            string
		n, qty, revenue int64
	}
	skus := map[string]*sum{}
	var order []string
	for _, l := range o.Lines {
		s := skus[l.SKU]
		if s == nil {
			s = &sum{}
			skus[l.SKU] = s
			order = append(order, l.SKU)
		}
		s.name = max(s.name, l.Name)
		s.n++
		s.qty += l.Quantity
		s.revenue += l.Total
	}
	slices.Sort(order)
	for _, sku := range order {
		s := skus[sku]
		if _, err := tx.ExecContext(ctx, upsertProductDay, day, o.Currency, sku, shard, s.name, sign*s.n, sign*s.qty, sign*s.revenue); err != nil {
			return err
		}
	}
	return nil
}

// rollupTables are derived from orders: left out of the full export and
// rebuilt when a restore has loaded the orders. report_watermarks is the
// table migration 0011 dropped; older exports still list it.
var rollupTables = []string{"sales_days", "sales_product_days", "customer_days", "customer_firsts", "report_watermarks"}

// DerivedTables are the tables the full export leaves out because a
// restore rebuilds them from the orders.
func DerivedTables() []string { return append(slices.Clone(rollupTables[:4]), derivedAggregate...) }

// rebuildRollups recomputes rollups from every order after a restore:
// the day and customer rollups once the orders are in, the product days
// once their lines are.
func (db *DB) rebuildRollups(ctx context.Context, table string) error {
	var stmts []string
	switch table {
	case "orders":
		stmts = []string{
			`DELETE FROM sales_days`,
			`INSERT INTO sales_days (day, currency, shard, orders, revenue, credits) ` + salesDaysSelect,
			`DELETE FROM customer_days`,
			`INSERT INTO ` + customerDaysCols + ` ` + customerDaysSelect(`true`),
			`DELETE FROM customer_firsts`,
			`INSERT INTO ` + firstsCols + ` ` + firstsSelect(`true`),
		}
	case "order_lines":
		stmts = []string{
			`DELETE FROM sales_product_days`,
			`INSERT INTO sales_product_days (day, currency, sku, shard, name, lines, quantity, revenue) ` + productDaysSelect,
		}
	default:
		return nil
	}
	return db.inTx(ctx, func(tx *Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}
