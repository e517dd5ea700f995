package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// stockStep is the ledger movement a status change books for each line:
// shipping turns the reservation into a sale, cancelling before shipping
// releases it, a return puts the goods back on hand.
func stockStep(from, to string) string {
	switch {
	case to == crm.OrderShipped:
		return crm.MoveSale
	case to == crm.OrderCancelled, to == crm.OrderRefunded && (from == crm.OrderPending || from == crm.OrderPaid):
		return crm.MoveCancellation
	case to == crm.OrderReturned:
		return crm.MoveReturn
	}
	return ""
}

// SetOrderStatus moves an order one step along its flow. The status is
// re-read inside the transaction and the UPDATE is conditional on it, so
// two concurrent cancellations restore stock once: the second finds the
// order already cancelled and gets a conflict.
func (db *DB) SetOrderStatus(ctx context.Context, id int64, in crm.OrderStatusInput) (*crm.Order, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResOrders, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findOrder(ctx, tx, a, id)
		if err != nil {
			return err
		}
		from := before.Status
		if !crm.CanTransition(from, in.Status) {
			return &crm.Error{Code: crm.ECONFLICT, Message: fmt.Sprintf("an order that is %s cannot become %s", from, in.Status),
				Fields: []crm.FieldError{{Field: "status", Key: "bad_transition", Args: []any{from, in.Status}}}}
		}
		o := *before
		o.Status, o.UpdatedAt = in.Status, tx.now
		if in.Status == crm.OrderShipped {
			o.Carrier, o.TrackingNumber = in.Carrier, in.TrackingNumber
		}
		// The customer as the update finds it: a merge committed since the
		// read above may have moved the order to another contact.
		var contact sql.NullInt64
		err = tx.QueryRowContext(ctx, `UPDATE orders SET status = $1, carrier = $2, tracking_number = $3, updated_at = $4 WHERE id = $5 AND status = $6
			RETURNING contact_id`, o.Status, o.Carrier, o.TrackingNumber, ms(tx.now), id, from).Scan(&contact)
		if err == sql.ErrNoRows {
			return crm.Errorf(crm.ECONFLICT, "order %d changed meanwhile; reload it", id)
		}
		if err != nil {
			return err
		}
		o.ContactID = idPtr(contact)
		if kind := stockStep(from, in.Status); kind != "" {
			for _, l := range o.Lines {
				if l.ProductID == nil || l.Location == "" {
					continue // historical lines never touched stock
				}
				if _, err := tx.book(ctx, a, move{productID: *l.ProductID, location: l.Location, kind: kind, qty: l.Quantity, orderID: &id}); err != nil {
					return err
				}
			}
		}
		ev := crm.OrderEvent{Status: in.Status, Note: in.Note, Carrier: in.Carrier, TrackingNumber: in.TrackingNumber}
		if err := tx.orderEvent(ctx, a, id, ev); err != nil {
			return err
		}
		summary := strings.TrimSpace(strings.Join([]string{in.Carrier, in.TrackingNumber, in.Note}, " "))
		if err := tx.orderTimeline(ctx, a, &o, in.Status, summary); err != nil {
			return err
		}
		if o.ContactID != nil {
			if err := tx.refreshFacts(ctx, *o.ContactID); err != nil {
				return err
			}
		}
		if err := tx.audit(ctx, "status", "order", id, map[string]string{"status": from}, map[string]string{"status": in.Status}); err != nil {
			return err
		}
		if err := tx.emit(ctx, crm.EventOrderStatusChanged, map[string]any{"order": &o, "from": from, "to": in.Status}); err != nil {
			return err
		}
		// Paying a pending order makes it a purchase; cancelling, refunding
		// or returning one unmakes it. Last, as in createOrder.
		if was, is := crm.Purchased(from), crm.Purchased(in.Status); was != is {
			sign := int64(1)
			if was {
				sign = -1
			}
			return tx.addOrderRollups(ctx, &o, contact.Int64, sign)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.findOrder(ctx, db.write, crm.SystemActor, id)
}
