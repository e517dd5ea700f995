package store

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// emit records that event happened to data, inside the caller's
// transaction, so subscribers hear of a change exactly when it commits.
// The webhook outbox (webhook*.go) fans it out to subscribed endpoints:
// one delivery row per active endpoint that subscribes to the event,
// sharing one message id. A rolled-back change leaves no row behind, and
// a committed one cannot lose its webhook to a crash before sending.
//
// data may be a func() (any, error): it is then called only when some
// endpoint listens, so a change nobody subscribes to pays one small
// query and no read-back of the record.
func (tx *Tx) emit(ctx context.Context, event string, data any) error {
	ids, err := tx.subscribers(ctx, event)
	if err != nil || len(ids) == 0 {
		return err
	}
	if lazy, ok := data.(func() (any, error)); ok {
		if data, err = lazy(); err != nil {
			return err
		}
	}
	payload, err := webhookPayload(event, tx.now, data)
	if err != nil {
		return err
	}
	msgID := newMessageID()
	for _, id := range ids {
		if err := tx.queueDelivery(ctx, id, msgID, event, payload); err != nil {
			return err
		}
	}
	return nil
}

// subscribers returns the ids of the active endpoints that receive event.
// Endpoints are few; filtering their event lists in Go keeps the SQL free
// of LIKE patterns over names that contain '_'.
func (tx *Tx) subscribers(ctx context.Context, event string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhook_endpoints WHERE active = $1 AND secret <> ''`, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var e crm.WebhookEndpoint
		var events string
		if err := rows.Scan(&e.ID, &events); err != nil {
			return nil, err
		}
		e.Events = strings.Fields(events)
		if e.Subscribed(event) {
			ids = append(ids, e.ID)
		}
	}
	return ids, rows.Err()
}

func (tx *Tx) queueDelivery(ctx context.Context, endpointID int64, msgID, event string, payload []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, msg_id, event, payload, status, attempts, max_attempts, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)`,
		endpointID, msgID, event, string(payload), crm.DeliveryPending, crm.WebhookMaxAttempts, ms(tx.now), ms(tx.now))
	return err
}

// webhookPayload is the Standard Webhooks body: type, timestamp, data.
// HTML is not escaped (no \u003c for <): receivers get the text as it
// is, and the console escapes it where it shows a payload.
func webhookPayload(event string, at time.Time, data any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{event, at.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano), data})
	return bytes.TrimRight(buf.Bytes(), "\n"), err
}

// newMessageID is the webhook-id of a message: random, and without the
// '.' that would make "id.timestamp.body" ambiguous.
func newMessageID() string { return "msg_" + newToken(18) }
