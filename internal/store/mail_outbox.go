package store

import (
	"context"
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
	if m.Kind == "" {
		m.Kind = crm.MailNotification
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbox (kind, to_addr, to_name, subject, text_body, html_body, contact_id, status, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING id`,
		m.Kind, to, m.ToName, m.Subject, m.Text, m.HTML, nullID(m.ContactID), ms(tx.now)).Scan(&id)
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
