package store

import (
	"context"

	"github.com/ecrm/ecrm/internal/crm"
)

// importRollup sums an import's orders into the sales rollups as they are
// written. The day and product sums are added to the rollups by Finish
// (addDays), whatever the table held: other orders of those days may be
// written concurrently on PostgreSQL, and sums add up in any order.
//
// The per-customer sums (facts, first purchases) are kept only for an
// import into an empty orders table on SQLite (perCustomer): every order
// of its customers is then the import's (the transaction holds the only
// write lock from the start), so Go maps replace re-reading 70,000 orders
// (0.9 s of CDNOW's import). Other imports recompute customers in SQL.
type importRollup struct {
	perCustomer bool
	days        map[rollupDay]*rollupSum
	prods       map[rollupProduct]*rollupSum
	firsts      map[int64]*rollupFirst
	facts       map[int64]*rollupFacts // every customer with an order, purchased or not
}

// rollupFacts are a customer's purchase facts (customer_facts), as
// recomputeFactsRange would compute them from the orders.
type rollupFacts struct {
	orders, spent int64
	first, last   int64 // 0 with no purchase
}

type rollupDay struct {
	day      int64
	currency string
}

type rollupProduct struct {
	rollupDay
	sku string
}

type rollupSum struct {
	name            string
	n, qty, revenue int64
	credits         int64 // of revenue, the credit notes' (days only)
}

// rollupFirst holds a customer's first two purchases by (placed_at, id);
// ids grow in insertion order, so a later order wins no tie. day1 and
// day2 are the customer's two earliest purchase days (UTC), min1 and min2
// the earliest purchase on each: min2 is the second purchase day's.
type rollupFirst struct {
	at, total  int64
	currency   string
	second     int64
	hasSecond  bool
	day1, min1 int64
	day2, min2 int64
	hasDay2    bool
}

func newImportRollup(perCustomer bool) *importRollup {
	return &importRollup{perCustomer: perCustomer, days: map[rollupDay]*rollupSum{}, prods: map[rollupProduct]*rollupSum{},
		firsts: map[int64]*rollupFirst{}, facts: map[int64]*rollupFacts{}}
}

// add counts one stored order (its total is the sum of its lines);
// currency is the shop's, in which facts count amounts. A guest order
// (contact 0) counts in the days only; a credit note's negative total
// counts in revenue and spend, in no count of orders or purchases.
func (r *importRollup) add(o *crm.HistoricalOrder, contact, total int64, currency string) {
	credit := o.Kind == crm.OrderKindCredit
	if r.perCustomer && contact != 0 {
		r.addCustomer(o, contact, total, currency, credit)
	}
	if !crm.Purchased(o.Status) && !credit {
		return
	}
	at := ms(o.PlacedAt)
	d := rollupDay{at / dayMS, o.Currency}
	s := r.days[d]
	if s == nil {
		s = &rollupSum{}
		r.days[d] = s
	}
	if credit {
		s.credits += total
	} else {
		s.n++
	}
	s.revenue += total
	for _, l := range o.Lines {
		k := rollupProduct{d, l.SKU}
		p := r.prods[k]
		if p == nil {
			p = &rollupSum{}
			r.prods[k] = p
		}
		p.name = max(p.name, l.Name) // MAX(name), as the SQL recompute
		if credit {
			p.qty -= l.Quantity // units given back
		} else {
			p.n++
			p.qty += l.Quantity
		}
		p.revenue += l.Total
	}
}

// addCustomer counts one stored order in its customer's facts and first
// purchases: a purchase in both, a credit note's negative total in the
// spend only.
func (r *importRollup) addCustomer(o *crm.HistoricalOrder, contact, total int64, currency string, credit bool) {
	fc := r.facts[contact]
	if fc == nil {
		fc = &rollupFacts{}
		r.facts[contact] = fc
	}
	if !crm.Purchased(o.Status) && !credit {
		return
	}
	if o.Currency == currency {
		fc.spent += total
	}
	if credit {
		return // no purchase: neither an order of the facts nor a first purchase
	}
	at := ms(o.PlacedAt)
	fc.orders++
	if fc.orders == 1 || at < fc.first {
		fc.first = at
	}
	fc.last = max(fc.last, at)
	day := at / dayMS
	f := r.firsts[contact]
	if f == nil {
		r.firsts[contact] = &rollupFirst{at: at, total: total, currency: o.Currency, day1: day, min1: at}
		return
	}
	switch {
	case at < f.at:
		f.second, f.hasSecond = f.at, true
		f.at, f.total, f.currency = at, total, o.Currency
	case !f.hasSecond || at < f.second:
		f.second, f.hasSecond = at, true
	}
	switch {
	case day == f.day1:
		f.min1 = min(f.min1, at)
	case day < f.day1:
		f.day2, f.min2, f.hasDay2 = f.day1, f.min1, true
		f.day1, f.min1 = day, at
	case !f.hasDay2 || day < f.day2:
		f.day2, f.min2, f.hasDay2 = day, at, true
	case day == f.day2:
		f.min2 = min(f.min2, at)
	}
}

// writeFacts stores the customers' purchase facts: the rows are new, as
// the orders table was empty and facts derive from orders.
func (r *importRollup) writeFacts(ctx context.Context, tx *bulkTx, currency string) (int, error) {
	type row struct {
		contact int64
		f       *rollupFacts
	}
	rows := make([]row, 0, len(r.facts))
	for c, f := range r.facts {
		rows = append(rows, row{c, f})
	}
	now := ms(tx.now)
	err := tx.insertRows(ctx, "customer_facts", []string{"contact_id", "orders", "total_spent", "currency", "first_order_at", "last_order_at", "updated_at"},
		len(rows), func(i int, d []any) {
			f := rows[i].f
			var first, last any
			if f.orders > 0 {
				first, last = f.first, f.last
			}
			d[0], d[1], d[2], d[3], d[4], d[5], d[6] = rows[i].contact, f.orders, f.spent, currency, first, last, now
		})
	return len(rows), err
}

// writeFirsts stores the customers' first purchases: the rows are new, as
// the orders table was empty (perCustomer).
func (r *importRollup) writeFirsts(ctx context.Context, tx *bulkTx) error {
	type firstRow struct {
		contact int64
		f       *rollupFirst
	}
	firsts := make([]firstRow, 0, len(r.firsts))
	for c, f := range r.firsts {
		firsts = append(firsts, firstRow{c, f})
	}
	return tx.insertRows(ctx, "customer_firsts", []string{"contact_id", "first_at", "first_currency", "first_total", "second_at", "second_day_at"},
		len(firsts), func(i int, d []any) {
			f := firsts[i].f
			var second, secondDay any
			if f.hasSecond {
				second = f.second
			}
			if f.hasDay2 {
				secondDay = f.min2
			}
			d[0], d[1], d[2], d[3], d[4], d[5] = firsts[i].contact, f.at, f.currency, f.total, second, secondDay
		})
}

// addDays adds the day and product sums to the rollups: they go through a
// temporary table (COPY on PostgreSQL) and one INSERT … ON CONFLICT each,
// which adds to rows other orders of those days made, in key order.
func (r *importRollup) addDays(ctx context.Context, tx *bulkTx) error {
	type dayRow struct {
		k rollupDay
		s *rollupSum
	}
	days := make([]dayRow, 0, len(r.days))
	for k, s := range r.days {
		days = append(days, dayRow{k, s})
	}
	type prodRow struct {
		k rollupProduct
		s *rollupSum
	}
	prods := make([]prodRow, 0, len(r.prods))
	for k, s := range r.prods {
		prods = append(prods, prodRow{k, s})
	}
	for _, q := range []string{
		`CREATE TEMP TABLE import_sales_days (day BIGINT, currency TEXT, orders BIGINT, revenue BIGINT, credits BIGINT)`,
		`CREATE TEMP TABLE import_product_days (day BIGINT, currency TEXT, sku TEXT, name TEXT, lines BIGINT, quantity BIGINT, revenue BIGINT)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	err := tx.insertRows(ctx, "import_sales_days", []string{"day", "currency", "orders", "revenue", "credits"}, len(days), func(i int, d []any) {
		d[0], d[1], d[2], d[3], d[4] = days[i].k.day, days[i].k.currency, days[i].s.n, days[i].s.revenue, days[i].s.credits
	})
	if err != nil {
		return err
	}
	err = tx.insertRows(ctx, "import_product_days", []string{"day", "currency", "sku", "name", "lines", "quantity", "revenue"}, len(prods), func(i int, d []any) {
		p := prods[i]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6] = p.k.day, p.k.currency, p.k.sku, p.s.name, p.s.n, p.s.qty, p.s.revenue
	})
	if err != nil {
		return err
	}
	// WHERE true: SQLite would read ON CONFLICT as a join's ON otherwise.
	for _, q := range []string{
		`INSERT INTO sales_days (day, currency, shard, orders, revenue, credits)
SELECT day, currency, 0, orders, revenue, credits FROM import_sales_days WHERE true ORDER BY day, currency
ON CONFLICT (day, currency, shard) DO UPDATE SET orders = sales_days.orders + excluded.orders, revenue = sales_days.revenue + excluded.revenue,
  credits = sales_days.credits + excluded.credits`,
		`INSERT INTO sales_product_days (day, currency, sku, shard, name, lines, quantity, revenue)
SELECT day, currency, sku, 0, name, lines, quantity, revenue FROM import_product_days WHERE true ORDER BY day, currency, sku
ON CONFLICT (day, currency, sku, shard) DO UPDATE SET lines = sales_product_days.lines + excluded.lines,
  quantity = sales_product_days.quantity + excluded.quantity, revenue = sales_product_days.revenue + excluded.revenue,
  name = CASE WHEN excluded.name > sales_product_days.name THEN excluded.name ELSE sales_product_days.name END`,
		`DROP TABLE import_sales_days`,
		`DROP TABLE import_product_days`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
