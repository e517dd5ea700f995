package store

import (
	"context"
	"database/sql"

	"github.com/ecrm/ecrm/internal/crm"
)

// IdempotencyTTL is how long a completed key is remembered.
const IdempotencyTTL = 24 * 60 * 60 * 1000 // ms

func actorKeyOf(ctx context.Context) string {
	a := crm.ActorFrom(ctx)
	switch {
	case a == nil:
		return "anonymous"
	case a.APIKeyID != 0:
		return "k" + itoa(a.APIKeyID)
	default:
		return "u" + itoa(a.UserID)
	}
}

// BeginIdempotent reserves a key; see crm.IdempotencyService.
func (db *DB) BeginIdempotent(ctx context.Context, key, hash string) (*crm.IdempotentResponse, error) {
	actor := actorKeyOf(ctx)
	var resp *crm.IdempotentResponse
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, ms(tx.now)-IdempotencyTTL); err != nil {
			return err
		}
		var gotHash string
		var status int
		var body []byte
		err := tx.QueryRowContext(ctx, `SELECT request_hash, status, body FROM idempotency_keys WHERE actor = $1 AND key = $2`, actor, key).Scan(&gotHash, &status, &body)
		switch {
		case err == sql.ErrNoRows:
			_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (actor, key, request_hash, status, created_at) VALUES ($1, $2, $3, 0, $4)`, actor, key, hash, ms(tx.now))
			return err
		case err != nil:
			return err
		case gotHash != hash:
			return crm.Errorf(crm.EINVALID, "this Idempotency-Key was used with a different request")
		case status == 0:
			return crm.Errorf(crm.ECONFLICT, "a request with this Idempotency-Key is still being processed")
		}
		resp = &crm.IdempotentResponse{Status: status, Body: body}
		return nil
	})
	return resp, err
}

// CompleteIdempotent stores the response of a reserved key.
func (db *DB) CompleteIdempotent(ctx context.Context, key string, r crm.IdempotentResponse) error {
	_, err := db.write.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, body = $2 WHERE actor = $3 AND key = $4`, r.Status, r.Body, actorKeyOf(ctx), key)
	return db.mapErr(err)
}

// AbandonIdempotent frees a reservation.
func (db *DB) AbandonIdempotent(ctx context.Context, key string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE actor = $1 AND key = $2 AND status = 0`, actorKeyOf(ctx), key)
	return db.mapErr(err)
}
