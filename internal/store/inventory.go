package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// move is one ledger entry about to be booked.
type move struct {
	productID int64
	location  string
	kind      string
	qty       int64
	orderID   *int64
	note      string
	lowStock  int64 // the product's threshold (0: off), for the stock.low event on decreases
}

// errShort is returned by book when a reservation or adjustment would take
// more than is available; available is what there was.
type errShort struct{ available int64 }

func (e *errShort) Error() string { return fmt.Sprintf("only %d available", e.available) }

// book writes a movement and applies it to the running level in the same
// transaction. Decreases of available stock are guarded in the UPDATE's
// WHERE, so two transactions can never both take the last unit: on
// PostgreSQL the second waits for the row lock and re-checks the
// condition; on SQLite writers are serial. The CHECK constraint on
// stock_levels is the last line behind it. It returns the level after.
func (tx *Tx) book(ctx context.Context, a *crm.Actor, m move) (*crm.StockLevel, error) {
	onHand, reserved := crm.MovementEffect(m.kind, m.qty)
	// Available (on_hand − reserved) may only fall while it stays at or
	// above zero, and reserved never goes below zero.
	query := `UPDATE stock_levels SET on_hand = on_hand + $1, reserved = reserved + $2, updated_at = $3
		WHERE product_id = $4 AND location = $5 AND reserved + $2 >= 0`
	args := []any{onHand, reserved, ms(tx.now), m.productID, m.location}
	fall := reserved - onHand
	if fall > 0 {
		query += ` AND on_hand - reserved >= $6`
		args = append(args, fall)
	}
	lv := crm.StockLevel{ProductID: m.productID, Location: m.location}
	err := tx.QueryRowContext(ctx, query+` RETURNING on_hand, reserved`, args...).Scan(&lv.OnHand, &lv.Reserved)
	if err == sql.ErrNoRows {
		cur, err := tx.level(ctx, m.productID, m.location)
		if err != nil {
			return nil, err
		}
		if cur.Exists || fall > 0 || onHand < 0 || reserved < 0 {
			return nil, &errShort{available: cur.Available}
		}
		// The first movement at a location creates its level; only
		// increases get here, so a concurrent first booking just adds up.
		if err := tx.QueryRowContext(ctx, `INSERT INTO stock_levels (product_id, location, on_hand, reserved, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (product_id, location) DO UPDATE SET on_hand = stock_levels.on_hand + excluded.on_hand,
				reserved = stock_levels.reserved + excluded.reserved, updated_at = excluded.updated_at
			RETURNING on_hand, reserved`, m.productID, m.location, onHand, reserved, ms(tx.now)).Scan(&lv.OnHand, &lv.Reserved); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	lv.Available = lv.OnHand - lv.Reserved
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_movements (product_id, location, kind, quantity, order_id, note, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.productID, m.location, m.kind, m.qty, nullID(m.orderID), m.note, a.Label(), ms(tx.now)); err != nil {
		return nil, err
	}
	if fall <= 0 || m.lowStock == 0 {
		return &lv, nil
	}
	// stock.low fires when available crosses the threshold downwards.
	full, err := tx.level(ctx, m.productID, m.location)
	if err != nil {
		return nil, err
	}
	if full.LowStock > 0 && full.Available <= full.LowStock && full.Available+fall > full.LowStock {
		if err := tx.emit(ctx, crm.EventStockLow, &full.StockLevel); err != nil {
			return nil, err
		}
	}
	return &full.StockLevel, nil
}

type levelCursor struct {
	SKU      string `json:"s"`
	Location string `json:"l"`
}

func asShort(err error, target **errShort) bool { return errors.As(err, target) }

const levelCols = `s.product_id, p.sku, p.name, s.location, s.on_hand, s.reserved, p.low_stock, s.updated_at`

func scanLevel(row interface{ Scan(...any) error }) (*crm.StockLevel, error) {
	var l crm.StockLevel
	var updated int64
	if err := row.Scan(&l.ProductID, &l.SKU, &l.ProductName, &l.Location, &l.OnHand, &l.Reserved, &l.LowStock, &updated); err != nil {
		return nil, err
	}
	l.Available = l.OnHand - l.Reserved
	l.Low = l.LowStock > 0 && l.Available <= l.LowStock
	l.UpdatedAt = fromMS(updated)
	return &l, nil
}

// levelRow is a stock level read inside a transaction; Exists is false
// when nothing was ever booked at the location.
type levelRow struct {
	crm.StockLevel
	Exists bool
}

func (tx *Tx) level(ctx context.Context, productID int64, location string) (*levelRow, error) {
	l, err := scanLevel(tx.QueryRowContext(ctx, `SELECT `+levelCols+` FROM stock_levels s JOIN products p ON p.id = s.product_id
		WHERE s.product_id = $1 AND s.location = $2`, productID, location))
	if err == sql.ErrNoRows {
		return &levelRow{StockLevel: crm.StockLevel{ProductID: productID, Location: location}}, nil
	}
	if err != nil {
		return nil, err
	}
	return &levelRow{StockLevel: *l, Exists: true}, nil
}

// FindStockLevels lists stock per product and location by SKU.
func (db *DB) FindStockLevels(ctx context.Context, f crm.StockFilter) (crm.Page[*crm.StockLevel], error) {
	var page crm.Page[*crm.StockLevel]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResInventory, crm.Read)); err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	if f.ProductID != nil {
		q.add("s.product_id = " + q.arg(*f.ProductID))
	}
	if f.Location != "" {
		q.add("s.location = " + q.arg(f.Location))
	}
	if f.LowOnly {
		q.add("p.low_stock > 0 AND s.on_hand - s.reserved <= p.low_stock")
	}
	if f.After != "" {
		var c levelCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return page, err
		}
		q.add("(p.sku, s.location) > (" + q.arg(c.SKU) + ", " + q.arg(c.Location) + ")")
	}
	limit := clampLimit(f.Limit)
	rows, err := db.readRows(ctx, `SELECT `+levelCols+` FROM stock_levels s JOIN products p ON p.id = s.product_id WHERE `+q.sql()+
		` ORDER BY p.sku, s.location LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLevel(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, l)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(levelCursor{SKU: last.SKU, Location: last.Location})
	}
	return page, rows.Err()
}

const movementCols = `m.id, m.product_id, p.sku, m.location, m.kind, m.quantity, m.order_id, m.note, m.actor, m.created_at`

func scanMovement(row interface{ Scan(...any) error }) (*crm.StockMovement, error) {
	var m crm.StockMovement
	var order sql.NullInt64
	var created int64
	if err := row.Scan(&m.ID, &m.ProductID, &m.SKU, &m.Location, &m.Kind, &m.Quantity, &order, &m.Note, &m.Actor, &created); err != nil {
		return nil, err
	}
	m.OrderID = idPtr(order)
	m.CreatedAt = fromMS(created)
	return &m, nil
}

// FindMovements lists ledger entries, newest first.
func (db *DB) FindMovements(ctx context.Context, f crm.MovementFilter) (crm.Page[*crm.StockMovement], error) {
	var page crm.Page[*crm.StockMovement]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResInventory, crm.Read)); err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	if f.ProductID != nil {
		q.add("m.product_id = " + q.arg(*f.ProductID))
	}
	if f.OrderID != nil {
		q.add("m.order_id = " + q.arg(*f.OrderID))
	}
	if f.Kind != "" {
		q.add("m.kind = " + q.arg(f.Kind))
	}
	if f.After != "" {
		var c idCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return page, err
		}
		q.add("m.id < " + q.arg(c.ID))
	}
	limit := clampLimit(f.Limit)
	rows, err := db.readRows(ctx, `SELECT `+movementCols+` FROM stock_movements m JOIN products p ON p.id = m.product_id WHERE `+q.sql()+
		` ORDER BY m.id DESC LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	p, err := idPage(rows, limit, scanMovement, func(x *crm.StockMovement) int64 { return x.ID })
	return p, db.mapErr(err)
}

// CreateMovement books a receipt or a stock-count adjustment.
func (db *DB) CreateMovement(ctx context.Context, in crm.MovementInput) (*crm.StockMovement, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResInventory, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var p *crm.Product
	if in.ProductID != nil {
		p, err = db.findProduct(ctx, db.read, "p.id = $1", *in.ProductID)
	} else {
		p, err = db.findProduct(ctx, db.read, "p.sku = $1", strings.TrimSpace(*in.SKU))
	}
	if err != nil {
		var v crm.Validation
		v.Add("sku", "unknown_sku")
		return nil, v.Err()
	}
	note := ""
	if in.Note != nil {
		note = *in.Note
	}
	var id int64
	err = db.inTx(ctx, func(tx *Tx) error {
		lv, err := tx.book(ctx, a, move{productID: p.ID, location: *in.Location, kind: *in.Kind, qty: *in.Quantity, note: note, lowStock: p.LowStock})
		var short *errShort
		if asShort(err, &short) {
			return &crm.Error{Code: crm.ECONFLICT, Message: fmt.Sprintf("only %d of %s are available at %s", short.available, p.SKU, *in.Location),
				Fields: []crm.FieldError{{Field: "quantity", Key: "out_of_stock", Args: []any{short.available}}}}
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM stock_movements WHERE product_id = $1`, p.ID).Scan(&id); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "stock_movement", id, nil, map[string]any{"sku": p.SKU, "location": lv.Location,
			"kind": *in.Kind, "quantity": *in.Quantity, "on_hand": lv.OnHand, "reserved": lv.Reserved})
	})
	if err != nil {
		return nil, err
	}
	return scanMovement(db.write.QueryRowContext(ctx, `SELECT `+movementCols+` FROM stock_movements m JOIN products p ON p.id = m.product_id WHERE m.id = $1`, id))
}
