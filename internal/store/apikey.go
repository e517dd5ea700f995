package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// KeyPrefix starts every API key so leaked keys are easy to scan for.
const KeyPrefix = "ecrm_"

// CreateAPIKey makes a key with scopes; the secret is returned once.
func (db *DB) CreateAPIKey(ctx context.Context, name string, scopes []string) (*crm.APIKey, string, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResAPIKeys, crm.Write))
	if err != nil {
		return nil, "", err
	}
	var v crm.Validation
	name = strings.TrimSpace(name)
	if name == "" || len(name) > crm.MaxName {
		v.Add("name", "required")
	}
	if len(scopes) == 0 {
		v.Add("scopes", "required")
	}
	var clean []string
	for _, s := range scopes {
		if sc, ok := crm.ParseScope(strings.TrimSpace(s)); ok {
			if !slices.Contains(clean, sc) {
				clean = append(clean, sc)
			}
		} else {
			v.Add("scopes", "invalid_scope", s)
		}
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	secret := KeyPrefix + newToken(32)
	k := &crm.APIKey{Name: name, Prefix: secret[:len(KeyPrefix)+6], Scopes: clean}
	if a.UserID != 0 {
		k.CreatedBy = &a.UserID
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		k.CreatedAt = tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_keys (name, prefix, secret_hash, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			k.Name, k.Prefix, tokenHash(secret), strings.Join(clean, " "), nullID(k.CreatedBy), ms(tx.now)).Scan(&k.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "apikey", k.ID, nil, k)
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// FindAPIKeys lists keys without their secrets (admins only).
func (db *DB) FindAPIKeys(ctx context.Context) ([]*crm.APIKey, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAPIKeys, crm.Read)); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id DESC`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var out []*crm.APIKey
	for rows.Next() {
		var k crm.APIKey
		var scopes string
		var by, used, revoked sql.NullInt64
		var created int64
		if err := rows.Scan(&k.ID, &k.Name, &k.Prefix, &scopes, &by, &created, &used, &revoked); err != nil {
			return nil, err
		}
		k.Scopes = strings.Fields(scopes)
		k.CreatedBy, k.CreatedAt, k.LastUsedAt, k.RevokedAt = idPtr(by), fromMS(created), fromNullMS(used), fromNullMS(revoked)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// RevokeAPIKey disables a key at once on every server.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResAPIKeys, crm.Write)); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, ms(tx.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crm.Errorf(crm.ENOTFOUND, "API key not found or already revoked")
		}
		return tx.audit(ctx, "revoke", "apikey", id, nil, nil)
	})
	if err == nil {
		db.keys.forget(id)
	}
	return err
}

// keyCacheTTL bounds how long another server may still accept a revoked key.
const keyCacheTTL = 2 * time.Second

// keyCache remembers authenticated keys briefly. Failures are not cached,
// so it cannot be filled with garbage.
type keyCache struct {
	mu sync.Mutex
	m  map[string]keyEntry
}

type keyEntry struct {
	actor *crm.Actor
	until time.Time
}

func (c *keyCache) get(hash string, now time.Time) (*crm.Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || now.After(e.until) {
		return nil, false
	}
	return e.actor, true
}

func (c *keyCache) put(hash string, a *crm.Actor, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]keyEntry{}
	}
	c.m[hash] = keyEntry{a, now.Add(keyCacheTTL)}
}

func (c *keyCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.actor.APIKeyID == id {
			delete(c.m, h)
		}
	}
}

// ActorForAPIKey authenticates a bearer secret. Valid keys are cached for
// keyCacheTTL so a busy integration does not cost a query per request; a
// revocation takes effect at once on the server that made it and within
// keyCacheTTL on the others.
func (db *DB) ActorForAPIKey(ctx context.Context, secret string) (*crm.Actor, error) {
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) > 100 {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "invalid API key")
	}
	hash := tokenHash(secret)
	if a, ok := db.keys.get(hash, db.Now()); ok {
		return a, nil
	}
	a, err := db.lookupAPIKey(ctx, hash)
	if err != nil {
		return nil, err
	}
	db.keys.put(hash, a, db.Now())
	return a, nil
}

func (db *DB) lookupAPIKey(ctx context.Context, hash string) (*crm.Actor, error) {
	var a crm.Actor
	var scopes string
	var revoked, used sql.NullInt64
	err := db.readRow(ctx, `SELECT id, name, scopes, revoked_at, last_used_at FROM api_keys WHERE secret_hash = $1`, hash).
		Scan(&a.APIKeyID, &a.Name, &scopes, &revoked, &used)
	if err != nil || revoked.Valid {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "invalid API key")
	}
	a.Scopes = strings.Fields(scopes)
	// last_used_at is written at most once a minute per key: a write per
	// request would serialise every API read behind SQLite's one writer.
	now := db.Now()
	if !used.Valid || now.UnixMilli()-used.Int64 > 60_000 {
		db.write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, ms(now), a.APIKeyID)
	}
	return &a, nil
}
