package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecrm/ecrm/internal/crm"
)

// skipLocked is the row-locking clause of the claim's inner SELECT. Only
// PostgreSQL needs (and has) it: its concurrent transactions could
// otherwise pick the same due rows; SQLite runs one writer at a time.
// It lives here rather than in the dialect interface because the queue
// is its only user.
type lockingDialect interface{ skipLocked(alias string) string }

func (postgresDialect) skipLocked(alias string) string {
	return " FOR UPDATE OF " + alias + " SKIP LOCKED"
}

func (db *DB) skipLocked(alias string) string {
	if d, ok := db.dialect.(lockingDialect); ok {
		return d.skipLocked(alias)
	}
	return ""
}

// ClaimWebhookJobs leases up to n due deliveries for lease and counts
// their attempt. A delivery whose lease runs out (its server died mid
// request) becomes due again, so every message is sent at least once and,
// while servers live, exactly once. Deliveries of disabled endpoints, and
// of endpoints without a secret, wait.
func (db *DB) ClaimWebhookJobs(ctx context.Context, lease time.Duration, n int) ([]*crm.WebhookJob, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return nil, err
	}
	var jobs []*crm.WebhookJob
	err := db.inTx(ctx, func(tx *Tx) error {
		now := ms(tx.now)
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET lease_until = $1, attempts = attempts + 1
			WHERE id IN (SELECT d.id FROM webhook_deliveries d
				WHERE d.status = $2 AND d.next_attempt_at <= $3 AND (d.lease_until IS NULL OR d.lease_until < $3)
				AND d.endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.active = $4 AND e.secret <> '')
				ORDER BY d.next_attempt_at, d.id LIMIT $5`+db.skipLocked("d")+`)
			RETURNING id, endpoint_id, msg_id, payload, attempts`,
			ms(tx.now.Add(lease)), crm.DeliveryPending, now, true, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var j crm.WebhookJob
			var payload string
			if err := rows.Scan(&j.DeliveryID, &j.EndpointID, &j.MessageID, &payload, &j.Attempt); err != nil {
				rows.Close()
				return err
			}
			j.Payload = []byte(payload)
			jobs = append(jobs, &j)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(jobs) == 0 {
			return err
		}
		return tx.fillJobEndpoints(ctx, jobs)
	})
	slices.SortFunc(jobs, func(a, b *crm.WebhookJob) int { return int(a.DeliveryID - b.DeliveryID) })
	return jobs, err
}

// fillJobEndpoints adds each job's URL and signing secrets: the current
// one, and the previous one while its overlap after a rotation lasts.
func (tx *Tx) fillJobEndpoints(ctx context.Context, jobs []*crm.WebhookJob) error {
	ids := map[int64]bool{}
	var args []any
	var marks []string
	for _, j := range jobs {
		if !ids[j.EndpointID] {
			ids[j.EndpointID] = true
			args = append(args, j.EndpointID)
			marks = append(marks, ph(len(args)))
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, url, secret, prev_secret, prev_secret_until FROM webhook_endpoints WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type ep struct {
		url     string
		secrets []string
	}
	eps := map[int64]ep{}
	for rows.Next() {
		var id int64
		var url, secret, prev string
		var until sql.NullInt64
		if err := rows.Scan(&id, &url, &secret, &prev, &until); err != nil {
			return err
		}
		e := ep{url: url, secrets: []string{secret}}
		if prev != "" && until.Valid && until.Int64 > ms(tx.now) {
			e.secrets = append(e.secrets, prev)
		}
		eps[id] = e
	}
	for _, j := range jobs {
		j.URL, j.Secrets = eps[j.EndpointID].url, eps[j.EndpointID].secrets
	}
	return rows.Err()
}

// MaxResponseBody is how much of an answer the delivery log keeps.
const MaxResponseBody = 2048

// RecordWebhookResult logs an attempt and moves its delivery on:
// succeeded, due again after the back-off, or failed after the last try.
// A result whose claim was overtaken (its lease ran out and another
// server claimed the delivery again) is logged but changes nothing else.
// No audit entry: deliveries are the outbox of changes already audited.
func (db *DB) RecordWebhookResult(ctx context.Context, r crm.WebhookResult) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		var attempts, maxAttempts int
		var endpointID int64
		err := tx.QueryRowContext(ctx, `SELECT attempts, max_attempts, endpoint_id FROM webhook_deliveries WHERE id = $1`, r.DeliveryID).Scan(&attempts, &maxAttempts, &endpointID)
		if err == sql.ErrNoRows {
			return nil // the endpoint was deleted while the request ran
		}
		if err != nil {
			return err
		}
		body, msg := cleanLogText(r.ResponseBody, MaxResponseBody), cleanLogText(r.Error, 500)
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, at, response_code, response_body, duration_ms, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.DeliveryID, r.Attempt, ms(r.At), r.ResponseCode, body, r.Duration.Milliseconds(), msg); err != nil {
			return err
		}
		if attempts != r.Attempt {
			return nil
		}
		if r.OK() {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = NULL, lease_until = NULL, last_code = $2, last_error = '', delivered_at = $3 WHERE id = $4`,
				crm.DeliverySucceeded, r.ResponseCode, ms(tx.now), r.DeliveryID); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, endpointID)
			return err
		}
		if msg == "" {
			msg = "HTTP " + itoa(int64(r.ResponseCode))
		}
		status, next := crm.DeliveryPending, any(nil)
		if attempts >= maxAttempts {
			status = crm.DeliveryFailed
		} else {
			next = ms(tx.now.Add(crm.WebhookBackoff[min(attempts, len(crm.WebhookBackoff))-1]))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, lease_until = NULL, last_code = $3, last_error = $4 WHERE id = $5`,
			status, next, r.ResponseCode, msg, r.DeliveryID); err != nil {
			return err
		}
		return tx.noteEndpointFailure(ctx, endpointID)
	})
}

// noteEndpointFailure starts the endpoint's failure clock and disables it
// once it has failed without a success for crm.WebhookDisableAfter.
func (tx *Tx) noteEndpointFailure(ctx context.Context, id int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL`, ms(tx.now), id); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET active = $1, disabled_reason = $2, updated_at = $3 WHERE id = $4 AND active = $5 AND failing_since <= $6`,
		false, "failing", ms(tx.now), id, true, ms(tx.now.Add(-crm.WebhookDisableAfter)))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return tx.audit(ctx, "disable", "webhook", id, nil, map[string]string{"reason": "failing"})
	}
	return nil
}

// PruneWebhookDeliveries deletes finished deliveries created before the
// cutoff with their attempts. Pending ones stay, however old, so the
// log never loses a message that may still go out.
func (db *DB) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int64, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return 0, err
	}
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		const old = `SELECT id FROM webhook_deliveries WHERE status <> $1 AND created_at < $2`
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (`+old+`)`, crm.DeliveryPending, ms(before)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (`+old+`)`, crm.DeliveryPending, ms(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// cleanLogText makes an answer storable: valid UTF-8 without NUL (which
// PostgreSQL text refuses), cut to max bytes on a character boundary.
func cleanLogText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
