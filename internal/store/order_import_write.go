package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// resolveCustomers returns the contact of each order (0: a guest order,
// without email and customer id), and creates the contacts that do not
// exist yet, with their external ids.
func (imp *OrderImport) resolveCustomers(ctx context.Context, orders []*crm.HistoricalOrder) ([]int64, error) {
	tx := imp.tx
	out := make([]int64, len(orders))
	// Load each source's external ids once: an import names a few
	// thousand to a hundred thousand customers, one query beats as many.
	for _, o := range orders {
		if o.CustomerID == "" || imp.byExt[o.CustomerSource] != nil {
			continue
		}
		m := map[string]int64{}
		q := `SELECT x.external_id, x.contact_id FROM contact_external_ids x WHERE x.source = $1`
		args := []any{o.CustomerSource}
		if imp.actor.Restricted() {
			q = `SELECT x.external_id, x.contact_id FROM contact_external_ids x JOIN contacts c ON c.id = x.contact_id
WHERE x.source = $1 AND c.owner_id = $2`
			args = append(args, imp.actor.UserID)
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ext string
			var id int64
			if err := rows.Scan(&ext, &id); err != nil {
				rows.Close()
				return nil, err
			}
			m[ext] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		imp.byExt[o.CustomerSource] = m
	}
	if err := imp.lookupEmails(ctx, orders); err != nil {
		return nil, err
	}
	type extKey struct{ source, id string }
	type link struct {
		k  extKey
		id int64 // the contact, or 0 for fresh[j]
		j  int
	}
	var fresh []*crm.Contact
	var links []link
	pending := map[extKey]int{} // → index in fresh
	pendingEmail := map[string]int{}
	at := make([]int, len(orders)) // index in fresh + 1 for orders of new contacts
	for i, o := range orders {
		if o.CustomerID == "" && o.Email == "" {
			continue // a guest: no contact
		}
		if o.CustomerID != "" {
			k := extKey{o.CustomerSource, o.CustomerID}
			if id, ok := imp.byExt[k.source][k.id]; ok {
				out[i] = id
				imp.match(id)
				continue
			}
			if j, ok := pending[k]; ok {
				at[i] = j + 1
				continue
			}
			// A customer id not seen before, with an email a contact has:
			// link the id to that contact.
			if id := imp.byEmail[o.Email]; o.Email != "" && id > 0 {
				out[i] = id
				imp.byExt[k.source][k.id] = id
				links = append(links, link{k: k, id: id})
				imp.match(id)
				continue
			}
			if j, ok := pendingEmail[o.Email]; o.Email != "" && ok {
				pending[k] = j
				at[i] = j + 1
				links = append(links, link{k: k, j: j})
				continue
			}
			pending[k] = len(fresh)
			links = append(links, link{k: k, j: len(fresh)})
		} else {
			if id := imp.byEmail[o.Email]; id > 0 {
				out[i] = id
				imp.match(id)
				continue
			}
			if j, ok := pendingEmail[o.Email]; ok {
				at[i] = j + 1
				continue
			}
		}
		if o.Email != "" {
			pendingEmail[o.Email] = len(fresh)
		}
		at[i] = len(fresh) + 1
		fresh = append(fresh, imp.newContact(o))
	}
	if err := tx.insertContacts(ctx, fresh); err != nil {
		return nil, err
	}
	imp.res.ContactsCreated += len(fresh)
	for _, c := range fresh {
		imp.matched[c.ID] = true // created here: not "matched" when a later batch finds it
	}
	for email, j := range pendingEmail {
		imp.byEmail[email] = fresh[j].ID
	}
	for i := range links {
		if links[i].id == 0 {
			links[i].id = fresh[links[i].j].ID
			imp.byExt[links[i].k.source][links[i].k.id] = links[i].id
		}
	}
	err := tx.insertRows(ctx, "contact_external_ids", []string{"source", "external_id", "contact_id"}, len(links), func(i int, d []any) {
		d[0], d[1], d[2] = links[i].k.source, links[i].k.id, links[i].id
	})
	if err != nil {
		return nil, err
	}
	for i := range orders {
		if at[i] > 0 {
			out[i] = fresh[at[i]-1].ID
		}
	}
	return out, nil
}

// newContact is the contact an import creates for an unknown customer: a
// readable name ("CDNOW customer 00001"), source "import", stage customer.
func (imp *OrderImport) newContact(o *crm.HistoricalOrder) *crm.Contact {
	c := &crm.Contact{Source: "import", Stage: "customer", Custom: map[string]any{},
		CreatedAt: imp.tx.now, UpdatedAt: imp.tx.now}
	if o.CustomerName != "" {
		c.FirstName = o.CustomerName
		c.LastName = o.CustomerID
	}
	if o.Email != "" {
		c.Email, c.Emails = o.Email, []string{o.Email}
	}
	if c.FirstName == "" && c.Email == "" {
		c.FirstName, c.LastName = o.CustomerSource, o.CustomerID
	}
	if imp.actor.UserID != 0 {
		c.OwnerID = &imp.actor.UserID
	}
	return c
}

// lookupEmails finds the contacts of the emails not seen yet: the oldest
// contact with the email, as the contact import matches.
func (imp *OrderImport) lookupEmails(ctx context.Context, orders []*crm.HistoricalOrder) error {
	var todo []any
	for _, o := range orders {
		if o.Email == "" {
			continue
		}
		if _, ok := imp.byEmail[o.Email]; !ok {
			imp.byEmail[o.Email] = 0
			todo = append(todo, o.Email)
		}
	}
	for from := 0; from < len(todo); from += 500 {
		part := todo[from:min(from+500, len(todo))]
		q := `SELECT e.email, MIN(e.contact_id) FROM contact_emails e WHERE e.email IN (` + placeholders(1, len(part)) + `) GROUP BY e.email`
		args := part
		if imp.actor.Restricted() {
			q = `SELECT e.email, MIN(e.contact_id) FROM contact_emails e JOIN contacts c ON c.id = e.contact_id
WHERE e.email IN (` + placeholders(1, len(part)) + `) AND c.owner_id = ` + ph(len(part)+1) + ` GROUP BY e.email`
			args = append(append([]any{}, part...), imp.actor.UserID)
		}
		rows, err := imp.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e string
			var id int64
			if err := rows.Scan(&e, &id); err != nil {
				rows.Close()
				return err
			}
			imp.byEmail[e] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

var (
	orderImportCols = []string{"id", "contact_id", "status", "channel", "currency", "external_id", "subtotal", "discount", "tax",
		"total", "note", "placed_at", "created_at", "updated_at", "kind"}
	orderLineImportCols  = []string{"order_id", "position", "sku", "name", "quantity", "unit_price", "total"}
	orderEventImportCols = []string{"order_id", "status", "note", "actor", "at"}
	orderActivityCols    = []string{"kind", "contact_id", "subject", "outcome", "occurred_at", "order_id", "created_at"}
)

// insertOrders stores orders with their lines, one history event each
// (their status, at the time placed) and, unless switched off, one
// timeline activity each (guest orders have no timeline). No stock is
// touched and no product linked. A contact of 0 is a guest order.
func (imp *OrderImport) insertOrders(ctx context.Context, tx *bulkTx, orders []*crm.HistoricalOrder, contacts []int64) error {
	if len(orders) == 0 {
		return nil
	}
	ids, err := tx.allocIDs(ctx, "orders", len(orders))
	if err != nil {
		return err
	}
	totals := make([]int64, len(orders))
	type lineRef struct {
		order int
		pos   int
	}
	var lines []lineRef
	for i, o := range orders {
		for j, l := range o.Lines {
			totals[i] += l.Total
			lines = append(lines, lineRef{i, j})
		}
	}
	now := ms(tx.now)
	err = tx.insertRows(ctx, "orders", orderImportCols, len(orders), func(i int, d []any) {
		o := orders[i]
		var contact any
		if contacts[i] != 0 {
			contact = contacts[i]
		}
		d[0], d[1], d[2], d[3], d[4], d[5] = ids[i], contact, o.Status, o.Channel, o.Currency, o.ExternalID
		d[6], d[7], d[8], d[9], d[10] = totals[i], int64(0), int64(0), totals[i], ""
		// updated_at is when the order last changed, which for a
		// historical order is when it was placed.
		d[11], d[12], d[13], d[14] = ms(o.PlacedAt), now, ms(o.PlacedAt), o.Kind
	})
	if err != nil {
		return err
	}
	err = tx.insertRows(ctx, "order_lines", orderLineImportCols, len(lines), func(i int, d []any) {
		r := lines[i]
		l := orders[r.order].Lines[r.pos]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6] = ids[r.order], r.pos+1, l.SKU, l.Name, l.Quantity, l.UnitPrice, l.Total
	})
	if err != nil {
		return err
	}
	actor := imp.actor.Label()
	err = tx.insertRows(ctx, "order_events", orderEventImportCols, len(orders), func(i int, d []any) {
		d[0], d[1], d[2], d[3], d[4] = ids[i], orders[i].Status, "imported", actor, ms(orders[i].PlacedAt)
	})
	if err != nil {
		return err
	}
	if imp.activity {
		var withContact []int
		for i := range orders {
			if contacts[i] != 0 {
				withContact = append(withContact, i)
			}
		}
		err = tx.insertRows(ctx, "activities", orderActivityCols, len(withContact), func(j int, d []any) {
			i := withContact[j]
			o := orders[i]
			d[0], d[1], d[2], d[3], d[4], d[5], d[6] = "order", contacts[i], orderSubject(o), o.Status, ms(o.PlacedAt), ids[i], now
		})
		if err != nil {
			return err
		}
	}
	if imp.lo == 0 || ids[0] < imp.lo {
		imp.lo = ids[0]
	}
	imp.hi = max(imp.hi, ids[len(ids)-1])
	for i, o := range orders {
		imp.rollup.add(o, contacts[i], totals[i], imp.currency)
		if o.Kind == crm.OrderKindCredit {
			imp.res.Credits++
		}
		if contacts[i] == 0 {
			imp.res.Guests++
		}
		if o.Currency != imp.currency {
			if imp.res.OtherCurrencies == nil {
				imp.res.OtherCurrencies = map[string]int{}
			}
			imp.res.OtherCurrencies[o.Currency]++
		}
	}
	imp.res.Orders += len(orders)
	imp.res.Lines += len(lines)
	return nil
}

// orderSubject is the timeline's line for an imported order, worded as
// for live orders ("1 × CD purchase, 2 × …").
func orderSubject(o *crm.HistoricalOrder) string {
	var b strings.Builder
	for i, l := range o.Lines {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(l.Quantity, 10) + " × " + l.Name)
		if b.Len() > 1000 {
			b.WriteString(", …")
			break
		}
	}
	return b.String()
}

// match counts an existing contact an order was matched to, once.
func (imp *OrderImport) match(id int64) {
	if !imp.matched[id] {
		imp.matched[id] = true
		imp.res.ContactsMatched++
	}
}
