package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// WebhookSecretPrefix starts every signing secret (Standard Webhooks).
const WebhookSecretPrefix = "whsec_"

// newWebhookSecret returns whsec_ and the standard base64 of 32 bytes
// from crypto/rand: the HMAC-SHA256 key size, above the spec's minimum of 24.
func newWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// The secret columns are never selected here: only the queue reads them,
// for signing, so no read path can hand one out.
const webhookCols = `id, url, description, events, active, secret <> '', failing_since, disabled_reason, created_at, updated_at`

func scanWebhook(row interface{ Scan(...any) error }) (*crm.WebhookEndpoint, error) {
	var e crm.WebhookEndpoint
	var events string
	var failing sql.NullInt64
	var created, updated int64
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &events, &e.Active, &e.HasSecret, &failing, &e.DisabledReason, &created, &updated); err != nil {
		return nil, err
	}
	e.Events = strings.Fields(events)
	e.FailingSince, e.CreatedAt, e.UpdatedAt = fromNullMS(failing), fromMS(created), fromMS(updated)
	return &e, nil
}

// FindWebhooks lists every endpoint, newest first (admins only).
func (db *DB) FindWebhooks(ctx context.Context) ([]*crm.WebhookEndpoint, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Read)); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints ORDER BY id DESC`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.WebhookEndpoint{}
	for rows.Next() {
		e, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, db.mapErr(rows.Err())
}

// FindWebhookByID returns one endpoint.
func (db *DB) FindWebhookByID(ctx context.Context, id int64) (*crm.WebhookEndpoint, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Read)); err != nil {
		return nil, err
	}
	return db.findWebhook(ctx, db.read, id)
}

func (db *DB) findWebhook(ctx context.Context, q queryer, id int64) (*crm.WebhookEndpoint, error) {
	e, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "webhook endpoint %d not found", id)
	}
	return e, db.mapErr(err)
}

// CreateWebhook stores an endpoint with a new signing secret, which is
// returned here and on rotation only.
func (db *DB) CreateWebhook(ctx context.Context, in crm.WebhookInput) (*crm.WebhookEndpoint, string, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return nil, "", err
	}
	if err := in.Validate(true); err != nil {
		return nil, "", err
	}
	e := crm.WebhookEndpoint{Active: true, HasSecret: true}
	applyWebhookInput(&e, &in)
	secret := newWebhookSecret()
	err := db.inTx(ctx, func(tx *Tx) error {
		e.CreatedAt, e.UpdatedAt = tx.now, tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (url, description, events, active, secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			e.URL, e.Description, strings.Join(e.Events, " "), e.Active, secret, ms(tx.now), ms(tx.now)).Scan(&e.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "webhook", e.ID, nil, &e)
	})
	if err != nil {
		return nil, "", err
	}
	return &e, secret, nil
}

func applyWebhookInput(e *crm.WebhookEndpoint, in *crm.WebhookInput) {
	if in.URL != nil {
		e.URL = *in.URL
	}
	if in.Description != nil {
		e.Description = *in.Description
	}
	if in.Events != nil {
		e.Events = *in.Events
	}
	if in.Active != nil {
		e.Active = *in.Active
	}
}

// UpdateWebhook applies the set fields. Switching an endpoint on again
// forgets why it was disabled and how long it had been failing, so it
// gets the full five days before it can be disabled again.
func (db *DB) UpdateWebhook(ctx context.Context, id int64, in crm.WebhookInput) (*crm.WebhookEndpoint, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	var e crm.WebhookEndpoint
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		e = *before
		applyWebhookInput(&e, &in)
		if e.Active && !before.Active {
			e.FailingSince, e.DisabledReason = nil, ""
		}
		e.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url=$1, description=$2, events=$3, active=$4, failing_since=$5, disabled_reason=$6, updated_at=$7 WHERE id=$8`,
			e.URL, e.Description, strings.Join(e.Events, " "), e.Active, nullMS(e.FailingSince), e.DisabledReason, ms(tx.now), id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "webhook", id, before, &e)
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// DeleteWebhook removes an endpoint with its queue and delivery log.
func (db *DB) DeleteWebhook(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		// Children first: SQLite enforces the cascade only when the
		// connection has foreign keys on, and an explicit delete does
		// not depend on it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "webhook", id, before, nil)
	})
}

// RotateWebhookSecret issues a new secret. The previous one keeps signing
// alongside it for crm.WebhookSecretOverlap (Standard Webhooks allows
// several signatures in one header), so a receiver can switch over
// without rejecting a single message.
func (db *DB) RotateWebhookSecret(ctx context.Context, id int64) (*crm.WebhookEndpoint, string, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResWebhooks, crm.Write)); err != nil {
		return nil, "", err
	}
	secret := newWebhookSecret()
	var e *crm.WebhookEndpoint
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		if e, err = db.findWebhook(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET prev_secret = secret, prev_secret_until = $1, secret = $2, updated_at = $3 WHERE id = $4`,
			ms(tx.now.Add(crm.WebhookSecretOverlap)), secret, ms(tx.now), id); err != nil {
			return err
		}
		e.HasSecret, e.UpdatedAt = true, tx.now
		// The audit entry says that it happened, never what the secret is.
		return tx.audit(ctx, "rotate_secret", "webhook", id, nil, nil)
	})
	if err != nil {
		return nil, "", err
	}
	return e, secret, nil
}
