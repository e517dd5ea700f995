package store

import (
	"context"
	"database/sql"
)

// OutboxRow is a queued message as the mail worker will read it.
type OutboxRow struct {
	Kind, To, Subject, Text, HTML string
	ContactID                     *int64
}

// Outbox lists the mail outbox oldest first, for the form tests.
func Outbox(ctx context.Context, db *DB) ([]OutboxRow, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT kind, to_addr, subject, text_body, html_body, contact_id FROM mail_outbox ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var c sql.NullInt64
		if err := rows.Scan(&r.Kind, &r.To, &r.Subject, &r.Text, &r.HTML, &c); err != nil {
			return nil, err
		}
		r.ContactID = idPtr(c)
		out = append(out, r)
	}
	return out, rows.Err()
}
