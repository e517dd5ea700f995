package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// maxOrderTotal bounds an order's sums: 500 lines of 10⁶ units at 10¹²
// would overflow int64, and no real order is worth 10¹⁵ minor units.
const maxOrderTotal = 1_000_000_000_000_000

// pricedLine is an order line with its product and computed amounts.
type pricedLine struct {
	crm.OrderLine
	index    int // position in the request, for error fields
	gross    int64
	lowStock int64 // the product's threshold, for the stock.low event
}

// CreateOrder places an order: the customer is found or created, every
// line is priced from its product, stock is reserved line by line and the
// order, its history, its timeline entry and the customer's facts are
// written, all in one transaction. A line that cannot be served rolls
// everything back and the error names it.
func (db *DB) CreateOrder(ctx context.Context, in crm.OrderInput) (*crm.Order, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err = db.inTx(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.createOrder(ctx, a, &in)
		return err
	})
	if err != nil {
		return nil, err
	}
	// A read after the commit sees it, on the read pool's prepared statements.
	return db.findOrder(ctx, db.read, crm.SystemActor, id)
}

func (tx *Tx) createOrder(ctx context.Context, a *crm.Actor, in *crm.OrderInput) (int64, error) {
	if ext := deref(in.ExternalID); ext != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE external_id = $1`, ext).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, &crm.Error{Code: crm.ECONFLICT, Message: fmt.Sprintf("an order with external id %q already exists", ext),
				Fields: []crm.FieldError{{Field: "external_id", Key: "duplicate"}}}
		}
	}
	lines, err := tx.priceLines(ctx, in)
	if err != nil {
		return 0, err
	}
	o := crm.Order{Kind: crm.OrderKindOrder, Status: *in.Status, Channel: *in.Channel, Currency: *in.Currency, ExternalID: deref(in.ExternalID),
		Note: deref(in.Note), DealID: in.DealID, PlacedAt: tx.now, CreatedAt: tx.now, UpdatedAt: tx.now}
	if err := totalOrder(&o, lines, deref(in.Discount)); err != nil {
		return 0, err
	}
	contactID, err := tx.orderCustomer(ctx, a, in)
	if err != nil {
		return 0, err
	}
	o.ContactID = &contactID
	if err := tx.chooseLocations(ctx, lines); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO orders (contact_id, status, channel, currency, external_id, subtotal, discount, tax, total,
		note, deal_id, placed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		contactID, o.Status, o.Channel, o.Currency, o.ExternalID, o.Subtotal, o.Discount, o.Tax, o.Total,
		o.Note, nullID(o.DealID), ms(o.PlacedAt), ms(tx.now), ms(tx.now)).Scan(&o.ID); err != nil {
		return 0, err
	}
	for i, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, position, product_id, sku, name, quantity, unit_price, discount,
			tax_rate_bp, tax, total, options, location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			o.ID, i, nullID(l.ProductID), l.SKU, l.Name, l.Quantity, l.UnitPrice, l.Discount, l.TaxRateBP, l.Tax, l.Total, jsonText(l.Options), l.Location); err != nil {
			return 0, err
		}
		o.Lines = append(o.Lines, l.OrderLine)
	}
	if err := tx.reserve(ctx, a, o.ID, lines); err != nil {
		return 0, err
	}
	if err := tx.orderEvent(ctx, a, o.ID, crm.OrderEvent{Status: o.Status}); err != nil {
		return 0, err
	}
	if err := tx.orderTimeline(ctx, a, &o, o.Status, lineSummary(lines)); err != nil {
		return 0, err
	}
	if err := tx.refreshFacts(ctx, contactID); err != nil {
		return 0, err
	}
	if err := tx.audit(ctx, "create", "order", o.ID, nil, &o); err != nil {
		return 0, err
	}
	if err := tx.emit(ctx, crm.EventOrderCreated, &o); err != nil {
		return 0, err
	}
	if !crm.Purchased(o.Status) {
		return o.ID, nil
	}
	// Last: the day rows of the rollups are shared by every order of the day.
	return o.ID, tx.addOrderRollups(ctx, &o, contactID, 1)
}

// priceLines looks up every line's product and prices it with its options.
func (tx *Tx) priceLines(ctx context.Context, in *crm.OrderInput) ([]pricedLine, error) {
	var v crm.Validation
	out := make([]pricedLine, 0, len(in.Lines))
	for i, li := range in.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		p, err := tx.db.findProduct(ctx, tx, "p.sku = $1", li.SKU)
		if crm.ErrorCode(err) == crm.ENOTFOUND || (err == nil && !p.Active) {
			v.Add(f+".sku", "unknown_sku")
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.Currency != *in.Currency {
			v.Add(f+".sku", "currency_mismatch", p.Currency)
			continue
		}
		attrs, delta := p.OptionLine(&v, f, li.Options)
		unit := max(p.Price+delta, 0)
		if unit > crm.MaxAmount {
			// Bounded unit prices keep unit × quantity inside int64.
			v.Add(f+".options", "amount_too_large")
			continue
		}
		pid := p.ID
		l := pricedLine{index: i, gross: unit * li.Quantity, lowStock: p.LowStock, OrderLine: crm.OrderLine{ProductID: &pid, SKU: p.SKU, Name: p.Name,
			Quantity: li.Quantity, UnitPrice: unit, TaxRateBP: p.TaxRateBP, Options: attrs, Location: li.Location}}
		out = append(out, l)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// totalOrder spreads the order discount over the lines in proportion to
// their amounts (the remainder to the largest line, so the parts add up
// exactly), then taxes each line on its discounted amount.
func totalOrder(o *crm.Order, lines []pricedLine, discount int64) error {
	var sub int64
	for _, l := range lines {
		sub += l.gross
		if sub > maxOrderTotal {
			return amountTooLarge()
		}
	}
	if discount > sub {
		var v crm.Validation
		v.Add("discount", "out_of_range")
		return v.Err()
	}
	o.Subtotal, o.Discount, o.Tax, o.Total = sub, discount, 0, 0
	if sub > 0 && discount > 0 {
		var given int64
		largest := 0
		for i := range lines {
			share := mulDiv(lines[i].gross, discount, sub)
			lines[i].Discount = share
			given += share
			if lines[i].gross > lines[largest].gross {
				largest = i
			}
		}
		lines[largest].Discount += discount - given
	}
	for i := range lines {
		net := lines[i].gross - lines[i].Discount
		lines[i].Tax = mulDivRound(net, int64(lines[i].TaxRateBP), 10000)
		lines[i].Total = net + lines[i].Tax
		o.Tax += lines[i].Tax
	}
	o.Total = sub - discount + o.Tax
	return nil
}

// mulDiv returns a*b/c rounded down. The product of two amounts up to
// 10¹⁵ overflows int64, so it is formed in 128 bits; the quotient fits
// because a ≤ c.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// mulDivRound returns a*b/c rounded half up (tax: b ≤ 10,000 = c).
func mulDivRound(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	lo, carry := bits.Add64(lo, uint64(c/2), 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(c))
	return int64(q)
}

func amountTooLarge() error {
	return &crm.Error{Code: crm.EINVALID, Message: "order amounts too large",
		Fields: []crm.FieldError{{Field: "lines", Key: "amount_too_large"}}}
}

// orderCustomer finds the order's contact, or creates one from the email.
func (tx *Tx) orderCustomer(ctx context.Context, a *crm.Actor, in *crm.OrderInput) (int64, error) {
	if in.ContactID != nil {
		if err := tx.visibleContact(ctx, a, *in.ContactID); err != nil {
			return 0, err
		}
		return *in.ContactID, nil
	}
	email := *in.Email
	var id int64
	var err error
	if a.Restricted() {
		// An own-records-only user looks among their own customers
		// only: another owner's customer with this address gets a new
		// contact of theirs, exactly as an unknown address does. Refusing
		// it instead would tell them the address is someone's customer
		// (and refusing unknown addresses too would stop them taking a new
		// customer's order by phone). Someone who sees both can merge them.
		err = tx.QueryRowContext(ctx, `SELECT e.contact_id FROM contact_emails e JOIN contacts c ON c.id = e.contact_id
			WHERE e.email = $1 AND c.owner_id = $2 ORDER BY e.contact_id LIMIT 1`, email, a.UserID).Scan(&id)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT contact_id FROM contact_emails WHERE email = $1 ORDER BY contact_id LIMIT 1`, email).Scan(&id)
	}
	if err == nil {
		return id, tx.visibleContact(ctx, a, id)
	}
	if err != sql.ErrNoRows {
		return 0, err
	}
	// A new customer: the order is how the shop tells us about them.
	c := crm.Contact{FirstName: deref(in.FirstName), LastName: deref(in.LastName), Email: email, Emails: []string{email},
		Stage: "customer", Source: *in.Channel, Tags: []string{}, Custom: map[string]any{}, CreatedAt: tx.now, UpdatedAt: tx.now}
	if a.UserID != 0 {
		c.OwnerID = &a.UserID
	}
	if err := tx.insertContact(ctx, &c); err != nil {
		return 0, err
	}
	if err := tx.audit(ctx, "create", "contact", c.ID, nil, &c); err != nil {
		return 0, err
	}
	return c.ID, tx.emit(ctx, crm.EventContactCreated, &c)
}

// chooseLocations gives a line without a location the location with the
// most available (one read per line; most shops have one location).
func (tx *Tx) chooseLocations(ctx context.Context, lines []pricedLine) error {
	for i := range lines {
		if lines[i].Location != "" {
			continue
		}
		loc := crm.DefaultLocation
		err := tx.QueryRowContext(ctx, `SELECT location FROM stock_levels WHERE product_id = $1 ORDER BY on_hand - reserved DESC, location LIMIT 1`,
			*lines[i].ProductID).Scan(&loc)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		lines[i].Location = loc
	}
	return nil
}

// visibleContact checks the order's customer exists and, for own-only
// actors, is theirs: one primary-key read instead of the whole contact.
func (tx *Tx) visibleContact(ctx context.Context, a *crm.Actor, id int64) error {
	var owner sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT owner_id FROM contacts WHERE id = $1`, id).Scan(&owner)
	if err == sql.ErrNoRows || (err == nil && a.Restricted() && (!owner.Valid || owner.Int64 != a.UserID)) {
		return invalidRef(crm.Errorf(crm.ENOTFOUND, "contact %d not found", id), true)
	}
	return err
}

// reserve books a reservation per line, in product order so that two
// orders for the same products lock rows in the same order (no deadlock
// on PostgreSQL).
func (tx *Tx) reserve(ctx context.Context, a *crm.Actor, orderID int64, lines []pricedLine) error {
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return int(*lines[x].ProductID - *lines[y].ProductID) })
	for _, i := range order {
		l := &lines[i]
		_, err := tx.book(ctx, a, move{productID: *l.ProductID, location: l.Location, kind: crm.MoveReservation, qty: l.Quantity,
			orderID: &orderID, lowStock: l.lowStock})
		var short *errShort
		if asShort(err, &short) {
			return &crm.Error{Code: crm.ECONFLICT,
				Message: fmt.Sprintf("line %d (%s): %d ordered, only %d available", l.index+1, l.SKU, l.Quantity, max(short.available, 0)),
				Fields:  []crm.FieldError{{Field: fmt.Sprintf("lines[%d].quantity", l.index), Key: "out_of_stock", Args: []any{max(short.available, 0)}}}}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) orderEvent(ctx context.Context, a *crm.Actor, orderID int64, e crm.OrderEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, status, note, carrier, tracking_number, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		orderID, e.Status, e.Note, e.Carrier, e.TrackingNumber, a.Label(), ms(tx.now))
	return err
}

// orderTimeline puts a step of the order on the customer's timeline.
func (tx *Tx) orderTimeline(ctx context.Context, a *crm.Actor, o *crm.Order, status, subject string) error {
	if o.ContactID == nil {
		return nil
	}
	var author any
	if a.UserID != 0 {
		author = a.UserID
	}
	if r := []rune(subject); len(r) > crm.MaxText {
		subject = string(r[:crm.MaxText-1]) + "…"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO activities (kind, contact_id, subject, body, outcome, duration_sec, occurred_at, author_id, order_id, created_at)
		VALUES ($1, $2, $3, '', $4, 0, $5, $6, $7, $8)`, crm.KindOrder, *o.ContactID, subject, status, ms(tx.now), author, o.ID, ms(tx.now))
	return err
}

func lineSummary(lines []pricedLine) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = fmt.Sprintf("%d × %s", l.Quantity, l.Name)
	}
	return strings.Join(parts, ", ")
}
