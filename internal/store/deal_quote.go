package store

import (
	"context"
	"fmt"

	"github.com/ecrm/ecrm/internal/crm"
)

// AcceptQuote turns an open deal's lines into an order for its contact,
// reserving the stock, and marks the deal won, in one transaction: when a
// line is out of stock the order's ECONFLICT (naming the line and what is
// available) comes back and the deal stays open. Discounts of the lines
// become the order's discount; the order prices lines from the products
// as they are now.
func (db *DB) AcceptQuote(ctx context.Context, id int64) (*crm.Order, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResDeals, crm.Write))
	if err != nil {
		return nil, err
	}
	if _, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Write)); err != nil {
		return nil, err
	}
	conflict := func(field, key, msg string) error {
		return &crm.Error{Code: crm.ECONFLICT, Message: msg, Fields: []crm.FieldError{{Field: field, Key: key}}}
	}
	var orderID int64
	err = db.inTx(ctx, func(tx *Tx) error {
		// Claim the open deal first: on PostgreSQL a second acceptance
		// waits on this row and then finds the deal won, so two clicks
		// can never make two orders. (SQLite has one writer anyway.)
		if _, err := tx.ExecContext(ctx, `UPDATE deals SET updated_at = $1 WHERE id = $2 AND status = 'open'`, ms(tx.now), id); err != nil {
			return err
		}
		d, err := db.findDeal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		switch {
		case d.Status != crm.DealOpen:
			return conflict("status", "deal_closed", "the deal is already "+d.Status)
		case len(d.Lines) == 0:
			return conflict("lines", "quote_without_lines", "the deal has no product lines to order")
		case d.ContactID == nil:
			return conflict("contact_id", "quote_without_contact", "the deal needs a contact to order for")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE deal_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return conflict("id", "quote_accepted", "an order was already made from this deal")
		}
		// Orders price lines from the products as they are now; a quote
		// whose price has moved since would be broken silently.
		for i, l := range d.Lines {
			p, err := db.findProduct(ctx, tx, "p.sku = $1", l.SKU)
			if err == nil && p.Price != l.UnitPrice {
				return conflict(fmt.Sprintf("lines[%d].sku", i), "price_changed", "the price of "+l.SKU+" changed since the quote")
			}
		}
		in := crm.OrderInput{ContactID: d.ContactID, Currency: &d.Currency, DealID: &d.ID}
		var discount int64
		for _, l := range d.Lines {
			in.Lines = append(in.Lines, crm.OrderLineInput{SKU: l.SKU, Quantity: l.Quantity})
			discount += l.Discount
		}
		if discount > 0 {
			in.Discount = &discount
		}
		if err := in.Validate(); err != nil {
			return err
		}
		// The order is written by the order store in this transaction, so
		// the order and the won deal commit together or not at all.
		if orderID, err = tx.createOrder(ctx, a, &in); err != nil {
			return err
		}
		won := crm.DealWon
		after := *d
		if err := tx.applyDeal(ctx, a, &after, d, &crm.DealInput{Status: &won}); err != nil {
			return err
		}
		after.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE deals SET stage_id = $1, status = $2, closed_at = $3, lost_reason = '', updated_at = $4 WHERE id = $5`,
			after.StageID, after.Status, nullMS(after.ClosedAt), ms(tx.now), id); err != nil {
			return err
		}
		if after.StageID != d.StageID {
			if err := tx.dealHistory(ctx, id, &d.StageID, after.StageID, d.StageName, after.StageName); err != nil {
				return err
			}
		}
		if err := tx.audit(ctx, "accept_quote", "deal", id, d, map[string]any{"deal": &after, "order_id": orderID}); err != nil {
			return err
		}
		return tx.dealEvents(ctx, d, &after)
	})
	if err != nil {
		return nil, err
	}
	return db.findOrder(ctx, db.write, crm.SystemActor, orderID)
}
