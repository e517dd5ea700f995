package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// ClaimMail leases up to n due messages for lease and counts their
// attempt. A message whose lease runs out (its server died mid
// conversation) becomes due again, so every message goes out at least
// once and, while servers live, exactly once. On PostgreSQL the inner
// SELECT skips rows another server is claiming at that moment; SQLite
// has one writer.
func (db *DB) ClaimMail(ctx context.Context, lease time.Duration, n int) ([]*crm.MailJob, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return nil, err
	}
	var jobs []*crm.MailJob
	err := db.inTx(ctx, func(tx *Tx) error {
		jobs = jobs[:0]
		now := ms(tx.now)
		rows, err := tx.QueryContext(ctx, `UPDATE mail_outbox SET lease_until = $1, attempts = attempts + 1
			WHERE id IN (SELECT o.id FROM mail_outbox o
				WHERE o.status = $2 AND o.next_attempt_at <= $3 AND (o.lease_until IS NULL OR o.lease_until < $3)
				ORDER BY o.next_attempt_at, o.id LIMIT $4`+db.skipLocked("o")+`)
			RETURNING id, attempts, created_at, kind, to_addr, to_name, subject, text_body, html_body, contact_id, list_unsubscribe`,
			ms(tx.now.Add(lease)), crm.MailPending, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanMailJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, db.mapErr(err)
	}
	return jobs, nil
}

func scanMailJob(row interface{ Scan(...any) error }) (*crm.MailJob, error) {
	var j crm.MailJob
	var created int64
	var contact sql.NullInt64
	m := &j.Message
	if err := row.Scan(&j.ID, &j.Attempt, &created, &m.Kind, &m.To, &m.ToName, &m.Subject, &m.Text, &m.HTML, &contact, &m.ListUnsubscribe); err != nil {
		return nil, err
	}
	if contact.Valid {
		m.ContactID = &contact.Int64
	}
	j.CreatedAt = fromMS(created)
	return &j, nil
}

// RecordMailResult moves a message on after an attempt: sent; failed
// (a permanent refusal, the last attempt, or a test message, whose
// outcome the admin saw at once); or due again after the back-off. A
// result whose claim was overtaken (the lease ran out and another server
// claimed the message again) changes nothing. No audit entry: the outbox
// is the record of changes already audited.
func (db *DB) RecordMailResult(ctx context.Context, r crm.MailResult) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		var attempts int
		var kind, status string
		err := tx.QueryRowContext(ctx, `SELECT attempts, kind, status FROM mail_outbox WHERE id = $1`, r.ID).Scan(&attempts, &kind, &status)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if attempts != r.Attempt || status != crm.MailPending {
			return nil
		}
		if r.Error == "" {
			_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = $1, next_attempt_at = NULL, lease_until = NULL, last_error = '', message_id = $2, sent_at = $3 WHERE id = $4`,
				crm.MailSent, cleanLogText(r.MessageID, 250), ms(tx.now), r.ID)
			return err
		}
		status, next := crm.MailPending, any(nil)
		if r.Permanent || kind == crm.MailTest || attempts >= crm.MailMaxAttempts {
			status = crm.MailFailed
		} else {
			next = ms(tx.now.Add(crm.MailBackoff[min(attempts, len(crm.MailBackoff))-1]))
		}
		_, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET status = $1, next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $4`,
			status, next, cleanLogText(r.Error, 500), r.ID)
		return err
	})
}

// PendingMail counts the messages waiting to be sent.
func (db *DB) PendingMail(ctx context.Context) (int, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Read)); err != nil {
		return 0, err
	}
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE status = $1`, crm.MailPending).Scan(&n)
	return n, db.mapErr(err)
}

// testLease keeps the worker off a test message while the admin's
// request holds its SMTP conversation.
const testLease = 2 * time.Minute

// SendTestMail sends a test message now through the configured server
// and records it in the outbox as kind test, sent or failed (a failed
// test is not retried: the admin saw why). The message is queued and
// leased in one transaction, sent outside it, then recorded.
func (db *DB) SendTestMail(ctx context.Context, in crm.MailTestInput) (*crm.MailTestResult, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return nil, err
	}
	mailer := db.getMailer()
	if mailer == nil {
		return nil, crm.Errorf(crm.ECONFLICT, "this process does not send mail")
	}
	cfg, err := db.MailConfig(ctx)
	if err != nil {
		return nil, err
	}
	if !cfg.Configured {
		return nil, crm.Errorf(crm.ECONFLICT, "mail is not configured: set the SMTP host and the from address first")
	}
	subject, text := strings.TrimSpace(in.Subject), in.Text
	if subject == "" {
		subject = "ecrm test message"
	}
	if strings.TrimSpace(text) == "" {
		text = "This is a test message from ecrm. Mail from " + cfg.PublicURL + " reaches this address."
	}
	if len(text) > 5000 {
		var v crm.Validation
		v.Add("text", "too_long", 5000)
		return nil, v.Err()
	}
	var job *crm.MailJob
	err = db.inTx(ctx, func(tx *Tx) error {
		id, err := tx.enqueueMail(ctx, crm.MailMessage{To: in.To, Subject: subject, Text: text, Kind: crm.MailTest})
		if err != nil {
			return err
		}
		if job, err = scanMailJob(tx.QueryRowContext(ctx, `UPDATE mail_outbox SET attempts = 1, lease_until = $1 WHERE id = $2
			RETURNING id, attempts, created_at, kind, to_addr, to_name, subject, text_body, html_body, contact_id, list_unsubscribe`, ms(tx.now.Add(testLease)), id)); err != nil {
			return err
		}
		return tx.audit(ctx, "test", "mail_outbox", id, nil, map[string]any{"to": job.Message.To})
	})
	if err != nil {
		return nil, err
	}
	res := mailer.Send(ctx, cfg, job)
	if err := db.RecordMailResult(ctx, res); err != nil {
		return nil, err
	}
	m, err := db.findMail(ctx, db.write, job.ID)
	if err != nil {
		return nil, err
	}
	return &crm.MailTestResult{OK: res.Error == "", Error: res.Error, Message: m}, nil
}

// ClearMailBodies empties the bodies of finished messages created before
// the cutoff: the record of who was sent what subject when stays, the
// signed links in the bodies and the unsubscribe link go. Pending
// messages keep theirs.
func (db *DB) ClearMailBodies(ctx context.Context, before time.Time) (int64, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return 0, err
	}
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET text_body = '', html_body = '', list_unsubscribe = ''
			WHERE status <> $1 AND created_at < $2 AND (text_body <> '' OR html_body <> '' OR list_unsubscribe <> '')`, crm.MailPending, ms(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, db.mapErr(err)
}
