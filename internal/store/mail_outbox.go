package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// EnqueueMail queues one message in the outbox.
func (db *DB) EnqueueMail(ctx context.Context, m crm.MailMessage) (int64, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return 0, err
	}
	var id int64
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.enqueueMail(ctx, m)
		return err
	})
	return id, err
}

// enqueueMail writes a message to the outbox inside the transaction that
// causes it (a form submission and its confirmation mail commit together,
// or neither does). The mail worker sends it after the commit.
func (tx *Tx) enqueueMail(ctx context.Context, m crm.MailMessage) (int64, error) {
	var v crm.Validation
	to, ok := crm.NormalizeEmail(m.To)
	if !ok {
		v.Add("to", "invalid_email")
	}
	// Header injection: a subject or name with a line break could add
	// headers; mail libraries refuse them too, but refusing here keeps the
	// bad message out of the outbox.
	if strings.ContainsAny(m.Subject+m.ToName, "\r\n") {
		v.Add("subject", "invalid_value")
	}
	if strings.TrimSpace(m.Subject) == "" {
		v.Add("subject", "required")
	}
	if u := m.ListUnsubscribe; u != "" && (len(u) > 2000 || !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, "\r\n\t <>,")) {
		v.Add("list_unsubscribe", "invalid_url")
	}
	if m.Kind == "" {
		m.Kind = crm.MailNotification
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbox (kind, to_addr, to_name, subject, text_body, html_body, contact_id, status, next_attempt_at, created_at, list_unsubscribe)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $9) RETURNING id`,
		m.Kind, to, m.ToName, m.Subject, m.Text, m.HTML, nullID(m.ContactID), ms(tx.now), m.ListUnsubscribe).Scan(&id)
	return id, err
}

// The outbox is exported as a record of what was sent to whom, without the
// bodies: they hold signed links (a confirmation, a preference centre) that
// must not work for whoever reads an export. A restored message is never
// sent again (next_attempt_at is not exported).
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{Name: "mail_outbox", Columns: cols("id:int kind to_addr to_name subject contact_id:int status attempts:int last_error message_id created_at:int sent_at:int"), Sequence: "mail_outbox_id_seq"})
}

const outboxCols = `id, kind, to_addr, to_name, subject, contact_id, status, attempts, next_attempt_at, last_error, message_id, created_at, sent_at`

func scanOutbox(row interface{ Scan(...any) error }) (*crm.MailOutboxEntry, error) {
	var m crm.MailOutboxEntry
	var contact, next, sent sql.NullInt64
	var created int64
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.ToName, &m.Subject, &contact, &m.Status, &m.Attempts, &next,
		&m.LastError, &m.MessageID, &created, &sent); err != nil {
		return nil, err
	}
	if contact.Valid {
		m.ContactID = &contact.Int64
	}
	m.NextAttemptAt, m.CreatedAt, m.SentAt = fromNullMS(next), fromMS(created), fromNullMS(sent)
	return &m, nil
}

// FindMailOutbox lists outbox messages, newest first (admins).
func (db *DB) FindMailOutbox(ctx context.Context, f crm.MailOutboxFilter) (crm.Page[*crm.MailOutboxEntry], error) {
	var page crm.Page[*crm.MailOutboxEntry]
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Read)); err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	var v crm.Validation
	if f.Status != "" {
		if !slices.Contains(crm.MailStatuses, f.Status) {
			v.Add("status", "invalid_choice")
		}
		q.add("status = " + q.arg(f.Status))
	}
	if f.Kind != "" {
		if !slices.Contains(crm.MailKinds, f.Kind) {
			v.Add("kind", "invalid_choice")
		}
		q.add("kind = " + q.arg(f.Kind))
	}
	if err := v.Err(); err != nil {
		return page, err
	}
	if f.After != "" {
		var c idCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return page, err
		}
		q.add("id < " + q.arg(c.ID))
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE `+q.sql()+` ORDER BY id DESC LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	p, err := idPage(rows, limit, scanOutbox, func(x *crm.MailOutboxEntry) int64 { return x.ID })
	return p, db.mapErr(err)
}

// FindMailByID returns one outbox message (admins).
func (db *DB) FindMailByID(ctx context.Context, id int64) (*crm.MailOutboxEntry, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Read)); err != nil {
		return nil, err
	}
	return db.findMail(ctx, db.read, id)
}

func (db *DB) findMail(ctx context.Context, q queryer, id int64) (*crm.MailOutboxEntry, error) {
	m, err := scanOutbox(q.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "mail message %d not found", id)
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	return m, nil
}

// RetryMail makes a message due now. A failed one gets exactly one more
// attempt (the worker fails a message once its attempts reach
// crm.MailMaxAttempts, which a retried one already has, unless a 4xx
// answer leaves back-off steps); a pending one stops waiting. A sent
// message is not sent again: that would be a new message.
func (db *DB) RetryMail(ctx context.Context, id int64) (*crm.MailOutboxEntry, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return nil, err
	}
	var m *crm.MailOutboxEntry
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findMail(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Status == crm.MailSent {
			return crm.Errorf(crm.ECONFLICT, "mail message %d was sent already", id)
		}
		var kept bool
		if err := tx.QueryRowContext(ctx, `SELECT text_body <> '' OR html_body <> '' FROM mail_outbox WHERE id = $1`, id).Scan(&kept); err != nil {
			return err
		}
		if !kept {
			return crm.Errorf(crm.ECONFLICT, "mail message %d has no body any more (bodies of finished messages are kept for 30 days)", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = $1, next_attempt_at = $2 WHERE id = $3`, crm.MailPending, ms(tx.now), id); err != nil {
			return err
		}
		if m, err = db.findMail(ctx, tx, id); err != nil {
			return err
		}
		return tx.audit(ctx, "retry", "mail_outbox", id, map[string]any{"status": before.Status}, map[string]any{"status": m.Status})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RetryFailedMail makes every failed message that still has a body due
// now, with one more attempt each: what an admin does after fixing the
// settings that made them fail. One audit entry says how many.
func (db *DB) RetryFailedMail(ctx context.Context) (int, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return 0, err
	}
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = $1, next_attempt_at = $2
			WHERE status = $3 AND (text_body <> '' OR html_body <> '')`, crm.MailPending, ms(tx.now), crm.MailFailed)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.audit(ctx, "retry", "mail_outbox", 0, nil, map[string]any{"failed": n})
	})
	return int(n), err
}
