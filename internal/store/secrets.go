package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"github.com/ecrm/ecrm/internal/crm"

	"github.com/ecrm/ecrm/internal/sign"
)

// signingKeyName is the secrets row of the link-signing key.
const signingKeyName = "signing_key"

// signerCache keeps the signer once loaded: the key never changes, so one
// read per process is enough.
type signerCache struct {
	mu sync.Mutex
	s  *sign.Signer
}

// Signer returns the signer of links that act without a login (double
// opt-in, preference centre, surveys). The key is made on first use and
// kept in the secrets table, so every server of a cluster shares it; two
// servers making it at once both read back the one that was inserted.
func (db *DB) Signer(ctx context.Context) (*sign.Signer, error) {
	db.signer.mu.Lock()
	defer db.signer.mu.Unlock()
	if db.signer.s != nil {
		return db.signer.s, nil
	}
	key, err := db.secret(ctx, signingKeyName)
	if err != nil {
		return nil, err
	}
	if key == "" {
		b := make([]byte, 32)
		rand.Read(b)
		if _, err := db.write.ExecContext(ctx, `INSERT INTO secrets (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
			signingKeyName, hex.EncodeToString(b), ms(db.Now())); err != nil {
			return nil, db.mapErr(err)
		}
		if key, err = db.secret(ctx, signingKeyName); err != nil {
			return nil, err
		}
	}
	raw, err := hex.DecodeString(key)
	if err != nil || len(raw) < 32 {
		raw = []byte(key) // a key set by hand; still a key
	}
	db.signer.s = sign.New(raw)
	return db.signer.s, nil
}

// secret reads a secrets row from the writer (a key just inserted must be
// seen at once); "" when absent.
func (db *DB) secret(ctx context.Context, name string) (string, error) {
	var v string
	err := db.write.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", db.mapErr(err)
	}
	return v, nil
}

// setSecret writes a secrets row inside tx.
func (tx *Tx) setSecret(ctx context.Context, name, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, ms(tx.now))
	return err
}

// PublicURL is the base of links sent by mail: the "public_url" setting
// an admin sets with the mail settings, else crm.DefaultPublicURL.
func (db *DB) PublicURL(ctx context.Context) string {
	var v string
	if err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'public_url'`).Scan(&v); err != nil || v == "" {
		return crm.DefaultPublicURL
	}
	return strings.TrimRight(v, "/")
}
