package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// DefaultCurrency is the shop currency until an admin sets one.
const DefaultCurrency = "USD"

// purchasedStatuses is crm.Purchased as SQL; the statuses are constants.
const purchasedStatuses = `('paid', 'shipped', 'delivered')`

// netSQL is the condition on an order (columns prefixed with p) that its
// total counts in revenue and spend: a purchase, or a credit note, whose
// negative total takes back what was returned or cancelled. Credit notes
// have status refunded, so they are in no purchase count.
func netSQL(p string) string {
	return `(` + p + `status IN ` + purchasedStatuses + ` OR ` + p + `kind = 'credit')`
}

// refreshFacts recomputes one customer's purchase facts and first
// purchases (customer_firsts) from their orders, in the transaction that
// changed them, so facts and orders always agree. Each is one indexed
// aggregate over the customer's orders (orders_contact).
//
// The facts row is locked first, by a statement of its own: it is the
// lock every change to a customer's purchases takes before recomputing
// them (report_rollup.go). On PostgreSQL a statement sees what was
// committed when it started, so a recompute in the statement that waited
// for the lock would miss the order of the transaction it waited for.
func (tx *Tx) refreshFacts(ctx context.Context, contactID int64) error {
	cur, err := tx.shopCurrency(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_facts (contact_id, currency, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (contact_id) DO UPDATE SET updated_at = excluded.updated_at`, contactID, cur, ms(tx.now)); err != nil {
		return err
	}
	if err := tx.refreshFirsts(ctx, contactID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO customer_facts (contact_id, orders, total_spent, currency, first_order_at, last_order_at, updated_at)
		SELECT $1, COALESCE(SUM(CASE WHEN status IN `+purchasedStatuses+` THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN currency = $2 THEN total ELSE 0 END), 0), $2,
			MIN(CASE WHEN status IN `+purchasedStatuses+` THEN placed_at END), MAX(CASE WHEN status IN `+purchasedStatuses+` THEN placed_at END), $3
		FROM orders WHERE contact_id = $1 AND `+netSQL("")+`
		ON CONFLICT (contact_id) DO UPDATE SET orders = excluded.orders, total_spent = excluded.total_spent, currency = excluded.currency,
			first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at, updated_at = excluded.updated_at`,
		contactID, cur, ms(tx.now))
	return err
}

func (tx *Tx) shopCurrency(ctx context.Context) (string, error) {
	var cur string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&cur)
	if err == sql.ErrNoRows {
		return DefaultCurrency, nil
	}
	return cur, err
}

// FindCustomerFacts returns a contact's purchase facts (zero without orders).
func (db *DB) FindCustomerFacts(ctx context.Context, contactID int64) (*crm.CustomerFacts, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Read))
	if err != nil {
		return nil, err
	}
	if _, err := db.findContact(ctx, db.read, a, contactID); err != nil {
		return nil, err
	}
	f := crm.CustomerFacts{ContactID: contactID, DaysSinceLast: -1}
	var first, last sql.NullInt64
	err = db.readRow(ctx, `SELECT orders, total_spent, currency, first_order_at, last_order_at FROM customer_facts WHERE contact_id = $1`, contactID).
		Scan(&f.Orders, &f.TotalSpent, &f.Currency, &first, &last)
	if err == sql.ErrNoRows {
		s, err := db.shopSettings(ctx)
		if err != nil {
			return nil, err
		}
		f.Currency = s.Currency
		return &f, nil
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	f.FirstOrderAt, f.LastOrderAt = fromNullMS(first), fromNullMS(last)
	if f.Orders > 0 {
		f.AverageOrder = f.TotalSpent / int64(f.Orders)
	}
	if f.LastOrderAt != nil {
		f.DaysSinceLast = int(db.Now().Sub(*f.LastOrderAt) / (24 * time.Hour))
	}
	return &f, nil
}

// ShopSettings returns the shop-wide settings; any signed-in actor may read them.
func (db *DB) ShopSettings(ctx context.Context) (*crm.ShopSettings, error) {
	if crm.ActorFrom(ctx) == nil {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	return db.shopSettings(ctx)
}

func (db *DB) shopSettings(ctx context.Context) (*crm.ShopSettings, error) {
	s := crm.ShopSettings{Currency: DefaultCurrency}
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&s.Currency)
	if err != nil && err != sql.ErrNoRows {
		return nil, db.mapErr(err)
	}
	return &s, nil
}

// UpdateShopSettings changes the shop currency (admins: users:write).
// Existing facts are recomputed in the new currency in the same
// transaction, so no customer shows a sum in the old one.
func (db *DB) UpdateShopSettings(ctx context.Context, s crm.ShopSettings) (*crm.ShopSettings, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResUsers, crm.Write)); err != nil {
		return nil, err
	}
	cur, ok := crm.NormalizeCurrency(s.Currency)
	if !ok {
		var v crm.Validation
		v.Add("currency", "invalid_currency")
		return nil, v.Err()
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := tx.shopCurrency(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('currency', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, cur); err != nil {
			return err
		}
		if before != cur {
			if _, err := tx.ExecContext(ctx, `UPDATE customer_facts SET currency = $1, updated_at = $2,
				total_spent = COALESCE((SELECT SUM(o.total) FROM orders o WHERE o.contact_id = customer_facts.contact_id
					AND o.currency = $1 AND `+netSQL("o.")+`), 0)`, cur, ms(tx.now)); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "update", "settings", 0, map[string]string{"currency": before}, map[string]string{"currency": cur})
	})
	if err != nil {
		return nil, err
	}
	return &crm.ShopSettings{Currency: cur}, nil
}

// factsWhere adds the purchase-fact conditions of a contact list. Facts
// live in their own table: a condition is a semi-join on its indexes.
func factsWhere(q *listQuery, f crm.ContactFilter) {
	var conds []string
	if f.OrdersMin != nil && *f.OrdersMin > 0 {
		conds = append(conds, "cf.orders >= "+q.arg(*f.OrdersMin))
	}
	if f.OrdersMax != nil {
		// Contacts without a facts row have no orders, so "at most N"
		// is "not more than N".
		q.add("c.id NOT IN (SELECT contact_id FROM customer_facts WHERE orders > " + q.arg(*f.OrdersMax) + ")")
	}
	if f.SpentMin != nil {
		conds = append(conds, "cf.total_spent >= "+q.arg(*f.SpentMin))
	}
	if f.SpentMax != nil {
		conds = append(conds, "cf.total_spent <= "+q.arg(*f.SpentMax))
	}
	if f.LastOrderBefore != nil {
		conds = append(conds, "cf.last_order_at < "+q.arg(ms(*f.LastOrderBefore)))
	}
	if f.LastOrderAfter != nil {
		conds = append(conds, "cf.last_order_at >= "+q.arg(ms(*f.LastOrderAfter)))
	}
	if len(conds) > 0 {
		q.add("c.id IN (SELECT cf.contact_id FROM customer_facts cf WHERE " + joinAnd(conds) + ")")
	}
}
