package store

import (
	"context"

	"github.com/ecrm/ecrm/internal/crm"
)

// importRollup sums an import's orders into the sales rollups as they are
// written, for an import into an empty orders table on SQLite: every order
// of those days is then the import's (the transaction holds the only write
// lock from the start), so Go maps replace re-reading 70,000 orders and
// their lines (0.9 s of CDNOW's import). Other imports recompute in SQL.
type importRollup struct {
	days   map[rollupDay]*rollupSum
	prods  map[rollupProduct]*rollupSum
	firsts map[int64]*rollupFirst
	facts  map[int64]*rollupFacts // every customer with an order, purchased or not
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
}

// rollupFirst holds a customer's first two purchases by (placed_at, id);
// ids grow in insertion order, so a later order wins no tie.
type rollupFirst struct {
	at, total int64
	currency  string
	second    int64
	hasSecond bool
}

func newImportRollup() *importRollup {
	return &importRollup{days: map[rollupDay]*rollupSum{}, prods: map[rollupProduct]*rollupSum{}, firsts: map[int64]*rollupFirst{},
		facts: map[int64]*rollupFacts{}}
}

// add counts one stored order (its total is the sum of its lines);
// currency is the shop's, in which facts count amounts. A guest order
// (contact 0) counts in the days only; a credit note's negative total
// counts in revenue and spend, in no count of orders or purchases.
func (r *importRollup) add(o *crm.HistoricalOrder, contact, total int64, currency string) {
	var fc *rollupFacts
	if contact != 0 {
		if fc = r.facts[contact]; fc == nil {
			fc = &rollupFacts{}
			r.facts[contact] = fc
		}
	}
	credit := o.Kind == crm.OrderKindCredit
	if !crm.Purchased(o.Status) && !credit {
		return
	}
	at := ms(o.PlacedAt)
	if fc != nil {
		if o.Currency == currency {
			fc.spent += total
		}
		if !credit {
			fc.orders++
			if fc.orders == 1 || at < fc.first {
				fc.first = at
			}
			fc.last = max(fc.last, at)
		}
	}
	d := rollupDay{at / dayMS, o.Currency}
	s := r.days[d]
	if s == nil {
		s = &rollupSum{}
		r.days[d] = s
	}
	if !credit {
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
	if contact == 0 || credit {
		return // customer_firsts are purchases of customers
	}
	f := r.firsts[contact]
	switch {
	case f == nil:
		r.firsts[contact] = &rollupFirst{at: at, total: total, currency: o.Currency}
	case at < f.at:
		f.second, f.hasSecond = f.at, true
		f.at, f.total, f.currency = at, total, o.Currency
	case !f.hasSecond || at < f.second:
		f.second, f.hasSecond = at, true
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

// write stores the sums; the rollup tables hold nothing for these days and
// customers, since the orders table was empty.
func (r *importRollup) write(ctx context.Context, tx *bulkTx) error {
	type dayRow struct {
		k rollupDay
		s *rollupSum
	}
	days := make([]dayRow, 0, len(r.days))
	for k, s := range r.days {
		days = append(days, dayRow{k, s})
	}
	err := tx.insertRows(ctx, "sales_days", []string{"day", "currency", "orders", "revenue"}, len(days), func(i int, d []any) {
		d[0], d[1], d[2], d[3] = days[i].k.day, days[i].k.currency, days[i].s.n, days[i].s.revenue
	})
	if err != nil {
		return err
	}
	type prodRow struct {
		k rollupProduct
		s *rollupSum
	}
	prods := make([]prodRow, 0, len(r.prods))
	for k, s := range r.prods {
		prods = append(prods, prodRow{k, s})
	}
	err = tx.insertRows(ctx, "sales_product_days", []string{"day", "currency", "sku", "name", "lines", "quantity", "revenue"}, len(prods), func(i int, d []any) {
		p := prods[i]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6] = p.k.day, p.k.currency, p.k.sku, p.s.name, p.s.n, p.s.qty, p.s.revenue
	})
	if err != nil {
		return err
	}
	type firstRow struct {
		contact int64
		f       *rollupFirst
	}
	firsts := make([]firstRow, 0, len(r.firsts))
	for c, f := range r.firsts {
		firsts = append(firsts, firstRow{c, f})
	}
	return tx.insertRows(ctx, "customer_firsts", []string{"contact_id", "first_at", "first_currency", "first_total", "second_at"}, len(firsts), func(i int, d []any) {
		f := firsts[i].f
		var second any
		if f.hasSecond {
			second = f.second
		}
		d[0], d[1], d[2], d[3], d[4] = firsts[i].contact, f.at, f.currency, f.total, second
	})
}
