package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

const deliveryCols = `id, endpoint_id, msg_id, event, payload, status, attempts, next_attempt_at, last_code, last_error, created_at, delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (*crm.WebhookDelivery, error) {
	var d crm.WebhookDelivery
	var next, delivered sql.NullInt64
	var created int64
	if err := row.Scan(&d.ID, &d.EndpointID, &d.MessageID, &d.Event, &d.Payload, &d.Status, &d.Attempts, &next,
		&d.LastCode, &d.LastError, &created, &delivered); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = fromNullMS(next), fromMS(created), fromNullMS(delivered)
	return &d, nil
}

// FindWebhookDeliveries lists an endpoint's deliveries, newest first.
func (db *DB) FindWebhookDeliveries(ctx context.Context, f crm.WebhookDeliveryFilter) (crm.Page[*crm.WebhookDelivery], error) {
	var page crm.Page[*crm.WebhookDelivery]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Read)); err != nil {
		return page, err
	}
	if _, err := db.findWebhook(ctx, db.read, f.EndpointID); err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	q.add("endpoint_id = " + q.arg(f.EndpointID))
	if f.Status != "" {
		if !slices.Contains(crm.DeliveryStatuses, f.Status) {
			var v crm.Validation
			v.Add("status", "invalid_choice")
			return page, v.Err()
		}
		q.add("status = " + q.arg(f.Status))
	}
	if f.After != "" {
		var c idCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return page, err
		}
		q.add("id < " + q.arg(c.ID))
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE `+q.sql()+` ORDER BY id DESC LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	p, err := idPage(rows, limit, scanDelivery, func(x *crm.WebhookDelivery) int64 { return x.ID })
	return p, db.mapErr(err)
}

// FindWebhookDelivery returns one delivery with its attempts, newest first.
func (db *DB) FindWebhookDelivery(ctx context.Context, id int64) (*crm.WebhookDelivery, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Read)); err != nil {
		return nil, err
	}
	return db.findDelivery(ctx, db.read, id)
}

func (db *DB) findDelivery(ctx context.Context, q queryer, id int64) (*crm.WebhookDelivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "webhook delivery %d not found", id)
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, delivery_id, at, response_code, response_body, duration_ms, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id DESC`, id)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	d.AttemptLog = []*crm.WebhookAttempt{}
	for rows.Next() {
		var a crm.WebhookAttempt
		var at int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &at, &a.ResponseCode, &a.ResponseBody, &a.DurationMS, &a.Error); err != nil {
			return nil, err
		}
		a.At = fromMS(at)
		d.AttemptLog = append(d.AttemptLog, &a)
	}
	return d, db.mapErr(rows.Err())
}

// TestWebhook queues a ping to one endpoint, whatever it subscribes to.
func (db *DB) TestWebhook(ctx context.Context, id int64) (*crm.WebhookDelivery, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return nil, err
	}
	var d *crm.WebhookDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		e, err := db.findWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		if !e.Active || !e.HasSecret {
			return crm.Errorf(crm.ECONFLICT, "the endpoint is disabled or has no secret; enable it or rotate its secret first")
		}
		payload, err := webhookPayload(crm.WebhookPing, tx.now, map[string]any{"endpoint_id": id, "message": "Test event from ecrm"})
		if err != nil {
			return err
		}
		msgID := newMessageID()
		if err := tx.queueDelivery(ctx, id, msgID, crm.WebhookPing, payload); err != nil {
			return err
		}
		if d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE endpoint_id = $1 AND msg_id = $2`, id, msgID)); err != nil {
			return err
		}
		return tx.audit(ctx, "test", "webhook", id, nil, map[string]any{"delivery_id": d.ID})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// RetryWebhookDelivery makes a delivery due now. A final one (failed, or
// succeeded and sent again on request) gets exactly one more attempt; a
// pending one stops waiting for its back-off. The message id stays, so
// a receiver that already has it can tell.
func (db *DB) RetryWebhookDelivery(ctx context.Context, id int64) (*crm.WebhookDelivery, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return nil, err
	}
	var d *crm.WebhookDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findDelivery(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Status == crm.DeliveryPending {
			_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2`, ms(tx.now), id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, lease_until = NULL, max_attempts = attempts + 1 WHERE id = $3`,
				crm.DeliveryPending, ms(tx.now), id)
		}
		if err != nil {
			return err
		}
		if d, err = db.findDelivery(ctx, tx, id); err != nil {
			return err
		}
		return tx.audit(ctx, "retry", "webhook_delivery", id, map[string]any{"status": before.Status}, map[string]any{"status": d.Status})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
