package store

import (
	"context"
	"database/sql"
	"strconv"
	"sync/atomic"

	"github.com/ecrm/ecrm/internal/crm"
)

// The SMTP settings live in the settings table under "mail.*" keys (and
// the public URL under "public_url", which links read); the password is
// a secrets row, which the export leaves out and no read returns.
const mailPasswordSecret = "mail.password"

// mailKeys maps settings keys to their fields, in a fixed order.
var mailKeys = []string{"mail.host", "mail.port", "mail.tls", "mail.username", "mail.from_address", "mail.from_name", "mail.reply_to", "public_url"}

// mailerSlot holds the sender a test send uses; the server sets it.
type mailerSlot struct{ p atomic.Pointer[crm.Mailer] }

// SetMailer gives the store the SMTP sender of SendTestMail. Without one
// (a process that does not send mail) a test send is refused.
func (db *DB) SetMailer(m crm.Mailer) { db.mailer.p.Store(&m) }

func (db *DB) getMailer() crm.Mailer {
	if p := db.mailer.p.Load(); p != nil {
		return *p
	}
	return nil
}

// MailSettings returns the SMTP settings without the password (admins).
func (db *DB) MailSettings(ctx context.Context) (*crm.MailSettings, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Read)); err != nil {
		return nil, err
	}
	s, _, err := db.mailSettings(ctx, db.read)
	return s, err
}

// MailConfig returns the settings with the password, for the sender
// (mail:write; the worker acts as the system actor).
func (db *DB) MailConfig(ctx context.Context) (*crm.MailConfig, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return nil, err
	}
	s, pw, err := db.mailSettings(ctx, db.read)
	if err != nil {
		return nil, err
	}
	return &crm.MailConfig{MailSettings: *s, Password: pw}, nil
}

// mailSettings reads the settings and the password.
func (db *DB) mailSettings(ctx context.Context, q queryer) (*crm.MailSettings, string, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM settings WHERE key LIKE 'mail.%' OR key = 'public_url'`)
	if err != nil {
		return nil, "", db.mapErr(err)
	}
	defer rows.Close()
	var s crm.MailSettings
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, "", db.mapErr(err)
		}
		switch k {
		case "mail.host":
			s.Host = v
		case "mail.port":
			s.Port, _ = strconv.Atoi(v)
		case "mail.tls":
			s.TLS = v
		case "mail.username":
			s.Username = v
		case "mail.from_address":
			s.FromAddress = v
		case "mail.from_name":
			s.FromName = v
		case "mail.reply_to":
			s.ReplyTo = v
		case "public_url":
			s.PublicURL = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.mapErr(err)
	}
	if s.TLS == "" {
		s.TLS = crm.MailTLSStartTLS
	}
	if s.Port == 0 {
		s.Port = crm.MailDefaultPort(s.TLS)
	}
	var pw string
	switch err := q.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, mailPasswordSecret).Scan(&pw); {
	case err == sql.ErrNoRows:
	case err != nil:
		return nil, "", db.mapErr(err)
	}
	s.HasPassword = pw != ""
	s.Configured = s.Host != "" && s.FromAddress != ""
	return &s, pw, nil
}

// mailValues are the settings rows of s, in mailKeys order.
func mailValues(s *crm.MailSettings) []string {
	return []string{s.Host, strconv.Itoa(s.Port), s.TLS, s.Username, s.FromAddress, s.FromName, s.ReplyTo, s.PublicURL}
}

// UpdateMailSettings changes the settings (admins). The password is
// stored in the secrets table; the audit entry says that it changed and
// nothing more.
func (db *DB) UpdateMailSettings(ctx context.Context, in crm.MailSettingsInput) (*crm.MailSettings, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResMail, crm.Write)); err != nil {
		return nil, err
	}
	var out *crm.MailSettings
	err := db.inTx(ctx, func(tx *Tx) error {
		cur, pw, err := db.mailSettings(ctx, tx)
		if err != nil {
			return err
		}
		next, err := in.Apply(*cur)
		if err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{}
		oldVals, newVals := mailValues(cur), mailValues(&next)
		for i, k := range mailKeys {
			if oldVals[i] == newVals[i] {
				continue
			}
			before[k], after[k] = oldVals[i], newVals[i]
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, newVals[i]); err != nil {
				return err
			}
		}
		if in.Password != nil && *in.Password != pw {
			if *in.Password == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM secrets WHERE name = $1`, mailPasswordSecret)
				after["password"] = "removed"
			} else {
				err = tx.setSecret(ctx, mailPasswordSecret, *in.Password)
				after["password"] = "changed"
			}
			if err != nil {
				return err
			}
			next.HasPassword = *in.Password != ""
		}
		out = &next
		if len(after) == 0 {
			return nil
		}
		return tx.audit(ctx, "update", "mail_settings", 0, before, after)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
