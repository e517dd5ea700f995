package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// OrderRowError rejects one historical order: Line is the line of the
// file it came from, Field and Key those of crm.FieldError.
type OrderRowError struct {
	Line  int
	Field string
	Key   string
	Args  []any
}

// OrderImportResult counts what an order import did.
type OrderImportResult struct {
	Orders          int // orders stored
	Lines           int // their lines
	Skipped         int // already imported (same external id)
	ContactsCreated int
	ContactsMatched int
	FactsUpdated    int // contacts whose purchase facts were recomputed
	Credits         int // of Orders, credit notes
	CreditsLinked   int // of Credits, linked to the sale they cancel
	Guests          int // of Orders, without a customer
	// OtherCurrencies counts the orders stored in a currency other than
	// the shop's: they count in no revenue or spend.
	OtherCurrencies map[string]int
	Errors          []OrderRowError
}

// Rejected counts the distinct lines in Errors.
func (r OrderImportResult) Rejected() int {
	seen := map[int]bool{}
	for _, e := range r.Errors {
		seen[e.Line] = true
	}
	return len(seen)
}

// OrderImport is one historical order import in progress: the whole import
// is one transaction (an order is stored whole or not at all, and so is
// the file), committed by Finish. On SQLite it holds the write lock until
// then: about two seconds for CDNOW's 69,659 orders.
type OrderImport struct {
	db    *DB
	actor *crm.Actor
	tx    *bulkTx
	res   OrderImportResult

	currency string                      // the shop currency of the facts
	checkDB  bool                        // orders existed: look up external ids
	byExt    map[string]map[string]int64 // source → external id → contact
	byEmail  map[string]int64
	seen     map[string]bool // external order ids of this import
	matched  map[int64]bool  // contacts counted as matched, or created here
	lo, hi   int64           // range of the order ids this import stored
	activity bool            // write "order" activities on timelines
	finished bool
	// fileLines and rejectedLines are the file's counts (ImportOrders
	// sets them; a caller writing orders itself leaves them 0), for the
	// audit entry.
	fileLines, rejectedLines int
	indexes                  []string      // dropped for the import, rebuilt by Finish
	rollup                   *importRollup // sums kept in Go (order_import_rollup.go)
}

// OrderImportOptions control an order import.
type OrderImportOptions struct {
	// Timeline writes a timeline activity of kind "order" per order.
	Timeline bool
}

// BeginOrderImport authorises an order import (import:write and
// orders:write; contacts:write too, since unknown customers are created)
// and opens its transaction. Call Finish, or Abort on failure.
func (db *DB) BeginOrderImport(ctx context.Context, opts OrderImportOptions) (*OrderImport, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
		return nil, err
	}
	if _, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Write)); err != nil {
		return nil, err
	}
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return nil, err
	}
	tx, err := db.beginBulkTx(ctx, bulkCacheKiB)
	if err != nil {
		return nil, err
	}
	imp := &OrderImport{db: db, actor: a, tx: tx, currency: "USD", byExt: map[string]map[string]int64{},
		byEmail: map[string]int64{}, seen: map[string]bool{}, matched: map[int64]bool{}, activity: opts.Timeline}
	var cur string
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'currency'`).Scan(&cur); {
	case err == nil && cur != "":
		imp.currency = cur
	case err != nil && db.mapErr(err) != nil && crm.ErrorCode(db.mapErr(err)) != crm.ENOTFOUND:
		tx.end(ctx, false)
		return nil, db.mapErr(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM orders LIMIT 1) x`).Scan(&n); err != nil {
		tx.end(ctx, false)
		return nil, db.mapErr(err)
	}
	imp.checkDB = n > 0
	perCustomer := false
	if !imp.checkDB && db.dialect.name() == "sqlite" {
		// Derived rows without orders (left by deleted orders) would
		// clash with the Go sums: then the SQL recompute is used.
		var left int
		err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM customer_facts LIMIT 1) a)
  + (SELECT COUNT(*) FROM (SELECT 1 FROM customer_firsts LIMIT 1) b) + (SELECT COUNT(*) FROM (SELECT 1 FROM customer_days LIMIT 1) c)`).Scan(&left)
		if err != nil {
			tx.end(ctx, false)
			return nil, db.mapErr(err)
		}
		perCustomer = left == 0
	}
	imp.rollup = newImportRollup(perCustomer)
	if imp.indexes, err = tx.dropOrderIndexes(ctx); err != nil {
		tx.end(ctx, false)
		return nil, db.mapErr(err)
	}
	return imp, nil
}

// Abort rolls the import back; nothing of it is stored.
func (imp *OrderImport) Abort(ctx context.Context) {
	if !imp.finished {
		imp.finished = true
		imp.tx.end(ctx, false)
	}
}

// Write validates and stores orders (in the import's transaction). Invalid
// orders are rejected in the result; an error aborts the whole import.
func (imp *OrderImport) Write(ctx context.Context, orders []crm.HistoricalOrder) error {
	if imp.finished {
		return crm.Errorf(crm.ECONFLICT, "the import has ended")
	}
	if err := imp.write(ctx, orders); err != nil {
		imp.Abort(ctx)
		return imp.db.mapErr(err)
	}
	return nil
}

func (imp *OrderImport) write(ctx context.Context, orders []crm.HistoricalOrder) error {
	tx := imp.tx
	keep := make([]*crm.HistoricalOrder, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if err := o.Validate(); err != nil {
			for _, fe := range crm.FieldErrors(err) {
				imp.res.Errors = append(imp.res.Errors, OrderRowError{Line: o.Line, Field: fe.Field, Key: fe.Key, Args: fe.Args})
			}
			continue
		}
		if o.ExternalID != "" {
			if imp.seen[o.ExternalID] {
				imp.res.Skipped++
				continue
			}
			imp.seen[o.ExternalID] = true
		}
		keep = append(keep, o)
	}
	keep, err := imp.dropExisting(ctx, keep)
	if err != nil {
		return err
	}
	contacts, err := imp.resolveCustomers(ctx, keep)
	if err != nil {
		return err
	}
	return imp.insertOrders(ctx, tx, keep, contacts)
}

// dropExisting skips orders whose external id is already in the database:
// re-importing a file creates nothing.
func (imp *OrderImport) dropExisting(ctx context.Context, orders []*crm.HistoricalOrder) ([]*crm.HistoricalOrder, error) {
	if !imp.checkDB {
		return orders, nil
	}
	var ids []string
	for _, o := range orders {
		if o.ExternalID != "" {
			ids = append(ids, o.ExternalID)
		}
	}
	// One range scan of orders_external per batch instead of IN lists:
	// files list orders in id order (CDNOW by customer), so the range
	// holds little beyond the batch's own ids.
	found := map[string]bool{}
	if len(ids) > 0 {
		slices.Sort(ids)
		rows, err := imp.tx.QueryContext(ctx, `SELECT external_id FROM orders WHERE external_id <> '' AND external_id >= $1 AND external_id <= $2`,
			ids[0], ids[len(ids)-1])
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, err
			}
			found[s] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	kept := orders[:0]
	for _, o := range orders {
		if found[o.ExternalID] {
			imp.res.Skipped++
			continue
		}
		kept = append(kept, o)
	}
	return kept, nil
}

// placeholders returns "$from, $from+1, …" n long.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ph(from + i))
	}
	return b.String()
}

// Finish recomputes the purchase facts of every contact the import
// touched, writes the audit entry and commits.
func (imp *OrderImport) Finish(ctx context.Context) (OrderImportResult, error) {
	if imp.finished {
		return imp.res, crm.Errorf(crm.ECONFLICT, "the import has ended")
	}
	slices.SortStableFunc(imp.res.Errors, func(a, b OrderRowError) int { return a.Line - b.Line })
	err := func() error {
		if err := imp.tx.rebuildOrderIndexes(ctx, imp.indexes); err != nil {
			return err
		}
		if imp.res.Credits > 0 {
			if err := imp.linkCredits(ctx); err != nil {
				return err
			}
		}
		if imp.hi > 0 {
			if err := imp.rollupCustomers(ctx); err != nil {
				return err
			}
			// The day sums last, in key order: concurrent orders of those
			// days add to the same rows (report_rollup.go).
			if err := imp.rollup.addDays(ctx, imp.tx); err != nil {
				return err
			}
		}
		// The file's rejected lines (ImportOrders counts those of its
		// reader and of Write), or Write's alone for a caller without a
		// file.
		rejected := max(imp.rejectedLines, imp.res.Rejected())
		summary, _ := json.Marshal(map[string]any{"orders": imp.res.Orders, "lines": imp.res.Lines,
			"skipped": imp.res.Skipped, "rejected": rejected, "file_lines": imp.fileLines, "contacts_created": imp.res.ContactsCreated,
			"contacts_matched": imp.res.ContactsMatched, "credit_notes": imp.res.Credits, "guest_orders": imp.res.Guests})
		return imp.tx.audit(ctx, "import", "order", 0, nil, json.RawMessage(summary))
	}()
	imp.finished = true
	if err != nil {
		imp.tx.end(ctx, false)
		return OrderImportResult{Errors: imp.res.Errors}, imp.db.mapErr(err)
	}
	if err := imp.tx.end(ctx, true); err != nil {
		return OrderImportResult{Errors: imp.res.Errors}, err
	}
	return imp.res, nil
}

// linkCredits links each credit note of the import to the sale it
// cancels: the customer's order whose number is the credit note's without
// its "C" (shops that number cancellations so), else the customer's latest
// earlier order with the credit note's first SKU (the Online Retail
// export, whose "C536391" cancels no order 536391). Only orders with a
// smaller id qualify, so an export restores parents first; the import
// stores its sales before its credit notes.
func (imp *OrderImport) linkCredits(ctx context.Context) error {
	_, err := imp.tx.ExecContext(ctx, `UPDATE orders SET credit_for = COALESCE(
  (SELECT s.id FROM orders s WHERE orders.external_id LIKE 'C%' AND s.external_id = substr(orders.external_id, 2)
    AND s.contact_id = orders.contact_id AND s.kind = 'order' AND s.id < orders.id),
  (SELECT s.id FROM orders s JOIN order_lines sl ON sl.order_id = s.id
    WHERE s.contact_id = orders.contact_id AND s.kind = 'order' AND s.id < orders.id AND s.placed_at <= orders.placed_at
      AND sl.sku = (SELECT l.sku FROM order_lines l WHERE l.order_id = orders.id ORDER BY l.position LIMIT 1)
    ORDER BY s.placed_at DESC, s.id DESC LIMIT 1))
WHERE id BETWEEN $1 AND $2 AND kind = 'credit' AND contact_id IS NOT NULL AND credit_for IS NULL`, imp.lo, imp.hi)
	if err != nil {
		return err
	}
	return imp.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE id BETWEEN $1 AND $2 AND kind = 'credit' AND credit_for IS NOT NULL`,
		imp.lo, imp.hi).Scan(&imp.res.CreditsLinked)
}

// recomputeFactsRange recomputes customer_facts for every contact with an
// order whose id is in [lo, hi], in one statement: the bulk twin of the
// per-contact recompute live orders use, with the same definition (orders
// that count as purchases, crm.Purchased; spend net of credit notes;
// amounts only in the shop currency). Contacts whose orders are none of
// them purchases get zeros.
func (tx *Tx) recomputeFactsRange(ctx context.Context, lo, hi int64, currency string) (int, error) {
	affected := `o.contact_id IN (SELECT contact_id FROM orders WHERE id BETWEEN $1 AND $2 AND contact_id IS NOT NULL)`
	res, err := tx.ExecContext(ctx, `INSERT INTO customer_facts (contact_id, orders, total_spent, currency, first_order_at, last_order_at, updated_at)
SELECT o.contact_id,
  SUM(CASE WHEN o.status IN ('paid', 'shipped', 'delivered') THEN 1 ELSE 0 END),
  SUM(CASE WHEN `+netSQL("o.")+` AND o.currency = $3 THEN o.total ELSE 0 END),
  $3,
  MIN(CASE WHEN o.status IN ('paid', 'shipped', 'delivered') THEN o.placed_at END),
  MAX(CASE WHEN o.status IN ('paid', 'shipped', 'delivered') THEN o.placed_at END),
  $4
FROM orders o
WHERE `+affected+`
GROUP BY o.contact_id
ON CONFLICT (contact_id) DO UPDATE SET orders = excluded.orders, total_spent = excluded.total_spent,
  currency = excluded.currency, first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
  updated_at = excluded.updated_at`, lo, hi, currency, ms(tx.now))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// rollupCustomers recomputes the purchase facts, day sums and first
// purchases of every customer the import touched: from the Go sums when
// every order is the import's (perCustomer), else in SQL, after locking
// the customers' facts rows in id order (the lock refreshFacts takes for
// a live order), so a concurrent order of one of them is either seen or
// waits for this import and then counts it.
func (imp *OrderImport) rollupCustomers(ctx context.Context) error {
	tx := imp.tx
	if imp.rollup.perCustomer {
		n, err := imp.rollup.writeFacts(ctx, tx, imp.currency)
		if err != nil {
			return err
		}
		imp.res.FactsUpdated = n
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+customerDaysCols+` `+customerDaysSelect(`true`)); err != nil {
			return err
		}
		return imp.rollup.writeFirsts(ctx, tx)
	}
	touched := `o.contact_id IN (SELECT contact_id FROM orders WHERE id BETWEEN $1 AND $2 AND contact_id IS NOT NULL)`
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_facts (contact_id, currency, updated_at)
SELECT DISTINCT contact_id, CAST($3 AS TEXT), CAST($4 AS BIGINT) FROM orders WHERE id BETWEEN $1 AND $2 AND contact_id IS NOT NULL ORDER BY contact_id
ON CONFLICT (contact_id) DO UPDATE SET updated_at = excluded.updated_at`, imp.lo, imp.hi, imp.currency, ms(tx.now)); err != nil {
		return err
	}
	// Only the locked customers: on PostgreSQL others may be buying now.
	n, err := tx.recomputeFactsRange(ctx, imp.lo, imp.hi, imp.currency)
	if err != nil {
		return err
	}
	imp.res.FactsUpdated = n
	for _, q := range []string{
		`DELETE FROM customer_days WHERE contact_id IN (SELECT contact_id FROM orders WHERE id BETWEEN $1 AND $2 AND contact_id IS NOT NULL)`,
		`INSERT INTO ` + customerDaysCols + ` ` + customerDaysSelect(touched),
		`DELETE FROM customer_firsts WHERE contact_id IN (SELECT contact_id FROM orders WHERE id BETWEEN $1 AND $2 AND contact_id IS NOT NULL)`,
		`INSERT INTO ` + firstsCols + ` ` + firstsSelect(touched),
	} {
		if _, err := tx.ExecContext(ctx, q, imp.lo, imp.hi); err != nil {
			return err
		}
	}
	return nil
}
