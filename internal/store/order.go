package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

const orderCols = `o.id, o.contact_id, o.status, o.channel, o.currency, o.external_id, o.subtotal, o.discount, o.tax, o.total,
	o.note, o.carrier, o.tracking_number, o.deal_id, o.placed_at, o.created_at, o.updated_at, o.kind, o.credit_for,
	COALESCE(k.first_name, ''), COALESCE(k.last_name, ''), COALESCE(k.language, ''), COALESCE(k.email, '')`

const orderFrom = ` FROM orders o LEFT JOIN contacts k ON k.id = o.contact_id`

func scanOrder(row interface{ Scan(...any) error }) (*crm.Order, error) {
	var o crm.Order
	var contact, deal, creditFor sql.NullInt64
	var placed, created, updated int64
	var k crm.Contact
	if err := row.Scan(&o.ID, &contact, &o.Status, &o.Channel, &o.Currency, &o.ExternalID, &o.Subtotal, &o.Discount, &o.Tax, &o.Total,
		&o.Note, &o.Carrier, &o.TrackingNumber, &deal, &placed, &created, &updated, &o.Kind, &creditFor,
		&k.FirstName, &k.LastName, &k.Language, &o.ContactEmail); err != nil {
		return nil, err
	}
	o.ContactID, o.DealID, o.CreditFor = idPtr(contact), idPtr(deal), idPtr(creditFor)
	o.ContactName = k.Name()
	o.PlacedAt, o.CreatedAt, o.UpdatedAt = fromMS(placed), fromMS(created), fromMS(updated)
	o.Lines, o.History = []crm.OrderLine{}, []crm.OrderEvent{}
	return &o, nil
}

// ownOrderCond limits own-only actors to orders of the customers they manage.
func ownOrderCond(q *listQuery, a *crm.Actor) {
	if a.Restricted() {
		q.add("o.contact_id IN (SELECT id FROM contacts WHERE owner_id = " + q.arg(a.UserID) + ")")
	}
}

// FindOrderByID returns an order with its lines and history.
func (db *DB) FindOrderByID(ctx context.Context, id int64) (*crm.Order, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Read))
	if err != nil {
		return nil, err
	}
	return db.findOrder(ctx, db.read, a, id)
}

func (db *DB) findOrder(ctx context.Context, q queryer, a *crm.Actor, id int64) (*crm.Order, error) {
	lq := &listQuery{d: db.dialect}
	lq.add("o.id = " + lq.arg(id))
	ownOrderCond(lq, a)
	query := `SELECT ` + orderCols + orderFrom + ` WHERE ` + lq.sql()
	var row *sql.Row
	if q == db.read {
		row = db.readRow(ctx, query, lq.args...)
	} else {
		row = q.QueryRowContext(ctx, query, lq.args...)
	}
	o, err := scanOrder(row)
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "order %d not found", id)
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	if err := db.orderDetails(ctx, q, []*crm.Order{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// orderDetails loads lines and history for the orders in two queries.
func (db *DB) orderDetails(ctx context.Context, q queryer, orders []*crm.Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*crm.Order, len(orders))
	marks := make([]string, len(orders))
	args := make([]any, len(orders))
	for i, o := range orders {
		byID[o.ID] = o
		marks[i], args[i] = ph(i+1), o.ID
	}
	in := strings.Join(marks, ", ")
	query := func(q queryer, text string) (*sql.Rows, error) {
		if q == db.read {
			return db.readRows(ctx, text, args...)
		}
		return q.QueryContext(ctx, text, args...)
	}
	rows, err := query(q, `SELECT order_id, id, product_id, sku, name, quantity, unit_price, discount, tax_rate_bp, tax, total, options, location
		FROM order_lines WHERE order_id IN (`+in+`) ORDER BY order_id, position`)
	if err != nil {
		return db.mapErr(err)
	}
	for rows.Next() {
		var oid int64
		var l crm.OrderLine
		var product sql.NullInt64
		var opts string
		if err := rows.Scan(&oid, &l.ID, &product, &l.SKU, &l.Name, &l.Quantity, &l.UnitPrice, &l.Discount, &l.TaxRateBP, &l.Tax, &l.Total, &opts, &l.Location); err != nil {
			rows.Close()
			return err
		}
		l.ProductID = idPtr(product)
		l.Options = map[string]string{}
		json.Unmarshal([]byte(opts), &l.Options)
		byID[oid].Lines = append(byID[oid].Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = query(q, `SELECT order_id, status, note, carrier, tracking_number, actor, at FROM order_events WHERE order_id IN (`+in+`) ORDER BY order_id, id`)
	if err != nil {
		return db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid, at int64
		var e crm.OrderEvent
		if err := rows.Scan(&oid, &e.Status, &e.Note, &e.Carrier, &e.TrackingNumber, &e.Actor, &at); err != nil {
			return err
		}
		e.At = fromMS(at)
		byID[oid].History = append(byID[oid].History, e)
	}
	return rows.Err()
}

var orderSortSpecs = map[string]sortSpec{
	"placed_at": {col: "o.placed_at", numeric: true}, "total": {col: "o.total", numeric: true}, "status": {col: "o.status"},
}

// FindOrders lists orders, newest first by default. Lines and history are
// loaded for the page only.
func (db *DB) FindOrders(ctx context.Context, f crm.OrderFilter) (crm.Page[*crm.Order], error) {
	var page crm.Page[*crm.Order]
	a, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Read))
	if err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	ownOrderCond(q, a)
	if f.ContactID != nil {
		q.add("o.contact_id = " + q.arg(*f.ContactID))
	}
	if f.DealID != nil {
		q.add("o.deal_id = " + q.arg(*f.DealID))
	}
	if f.Status != "" {
		q.add("o.status = " + q.arg(f.Status))
	}
	if f.Channel != "" {
		q.add("o.channel = " + q.arg(f.Channel))
	}
	q.createdRange("o.placed_at", f.PlacedAfter, f.PlacedBefore)
	if err := checkQuery(f.Query); err != nil {
		return page, err
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		s = strings.TrimPrefix(s, "#")
		cond := "o.external_id = " + q.arg(s) + " OR o.contact_id IN (SELECT contact_id FROM contact_emails WHERE email = " + q.arg(strings.ToLower(s)) + ")"
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			cond += " OR o.id = " + q.arg(n)
		}
		q.add("(" + cond + ")")
	}
	sort := f.Sort
	if sort == "" {
		sort = "-placed_at"
	}
	spec, desc, err := parseSort(sort, orderSortSpecs, "placed_at")
	if err != nil {
		return page, err
	}
	order, err := q.keyset("o", spec, desc, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.readRows(ctx, `SELECT `+orderCols+orderFrom+` WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return page, err
		}
		page.Items = append(page.Items, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		k := keyCursor{ID: last.ID}
		switch strings.TrimPrefix(sort, "-") {
		case "total":
			k.Num = last.Total
		case "status":
			k.Key = last.Status
		default:
			k.Num = ms(last.PlacedAt)
		}
		page.Next = encodeCursor(k)
	}
	return page, db.orderDetails(ctx, db.read, page.Items)
}
