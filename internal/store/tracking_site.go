package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Tracking sites (0007_tracking.sql). The identify secret is only ever
// selected by SiteByKey, for the collect endpoint in this process, and
// returned by CreateSite and RotateSiteSecret: no read path hands it out.

// Key prefixes say what a string is when it turns up in a log or a ticket.
const (
	SiteKeyPrefix    = "pk_"
	SiteSecretPrefix = "ids_"
)

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

const siteCols = `id, name, public_key, origins, active, identify_secret <> '', banner, banner_color, banner_position, banner_language, privacy_url, created_at, updated_at`

func scanSite(row interface{ Scan(...any) error }) (*crm.Site, error) {
	var s crm.Site
	var origins string
	var created, updated int64
	if err := row.Scan(&s.ID, &s.Name, &s.PublicKey, &origins, &s.Active, &s.HasSecret, &s.Banner, &s.Color, &s.Position, &s.Language, &s.PrivacyURL, &created, &updated); err != nil {
		return nil, err
	}
	s.Origins = strings.Fields(origins)
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return &s, nil
}

// FindSites lists every site, by name.
func (db *DB) FindSites(ctx context.Context) ([]*crm.Site, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Read)); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+siteCols+` FROM sites ORDER BY name, id`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.Site{}
	for rows.Next() {
		s, err := scanSite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, db.mapErr(rows.Err())
}

// FindSiteByID returns one site.
func (db *DB) FindSiteByID(ctx context.Context, id int64) (*crm.Site, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Read)); err != nil {
		return nil, err
	}
	return db.findSite(ctx, db.read, id)
}

func (db *DB) findSite(ctx context.Context, q queryer, id int64) (*crm.Site, error) {
	s, err := scanSite(q.QueryRowContext(ctx, `SELECT `+siteCols+` FROM sites WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "site %d not found", id)
	}
	return s, db.mapErr(err)
}

func applySiteInput(s *crm.Site, in *crm.SiteInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&s.Name, in.Name)
	set(&s.Color, in.Color)
	set(&s.Position, in.Position)
	set(&s.Language, in.Language)
	set(&s.PrivacyURL, in.PrivacyURL)
	if in.Origins != nil {
		s.Origins = *in.Origins
	}
	if in.Active != nil {
		s.Active = *in.Active
	}
	if in.Banner != nil {
		s.Banner = *in.Banner
	}
}

// CreateSite stores a site with a new public key and identify secret; the
// secret is returned here and on rotation only.
func (db *DB) CreateSite(ctx context.Context, in crm.SiteInput) (*crm.Site, string, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Write)); err != nil {
		return nil, "", err
	}
	if err := in.Validate(true); err != nil {
		return nil, "", err
	}
	s := crm.Site{Active: true, HasSecret: true, PublicKey: randomToken(SiteKeyPrefix, 16), Origins: []string{},
		SiteBanner: crm.SiteBanner{Banner: true, Position: "bottom", Language: "en"}}
	applySiteInput(&s, &in)
	secret := randomToken(SiteSecretPrefix, 32)
	err := db.inTx(ctx, func(tx *Tx) error {
		s.CreatedAt, s.UpdatedAt = tx.now, tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO sites (name, public_key, origins, identify_secret, active, banner, banner_color, banner_position, banner_language, privacy_url, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			s.Name, s.PublicKey, strings.Join(s.Origins, " "), secret, s.Active, s.Banner, s.Color, s.Position, s.Language, s.PrivacyURL, ms(tx.now), ms(tx.now)).Scan(&s.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "site", s.ID, nil, &s)
	})
	if err != nil {
		return nil, "", err
	}
	return &s, secret, nil
}

// UpdateSite applies the set fields. The collect endpoint sees the change
// within siteCacheTTL.
func (db *DB) UpdateSite(ctx context.Context, id int64, in crm.SiteInput) (*crm.Site, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	var s crm.Site
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findSite(ctx, tx, id)
		if err != nil {
			return err
		}
		s = *before
		applySiteInput(&s, &in)
		s.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE sites SET name=$1, origins=$2, active=$3, banner=$4, banner_color=$5, banner_position=$6, banner_language=$7, privacy_url=$8, updated_at=$9 WHERE id=$10`,
			s.Name, strings.Join(s.Origins, " "), s.Active, s.Banner, s.Color, s.Position, s.Language, s.PrivacyURL, ms(tx.now), id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "site", id, before, &s)
	})
	if err != nil {
		return nil, err
	}
	db.sites.forget(s.PublicKey)
	return &s, nil
}

// DeleteSite removes a site with its events, visitors and counts.
func (db *DB) DeleteSite(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Write)); err != nil {
		return err
	}
	var key string
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findSite(ctx, tx, id)
		if err != nil {
			return err
		}
		key = before.PublicKey
		for _, q := range []string{`DELETE FROM events WHERE site_id = $1`, `DELETE FROM visitors WHERE site_id = $1`,
			`DELETE FROM page_counts WHERE site_id = $1`, `DELETE FROM sites WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "delete", "site", id, before, nil)
	})
	if err == nil {
		db.sites.forget(key)
	}
	return err
}

// RotateSiteSecret issues a new identify secret; the old one stops
// verifying at once (a shop rotates because the old one leaked).
func (db *DB) RotateSiteSecret(ctx context.Context, id int64) (*crm.Site, string, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Write)); err != nil {
		return nil, "", err
	}
	secret := randomToken(SiteSecretPrefix, 32)
	var s *crm.Site
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		if s, err = db.findSite(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sites SET identify_secret = $1, updated_at = $2 WHERE id = $3`, secret, ms(tx.now), id); err != nil {
			return err
		}
		s.HasSecret, s.UpdatedAt = true, tx.now
		// The audit entry says that it happened, never what the secret is.
		return tx.audit(ctx, "rotate_secret", "site", id, nil, nil)
	})
	if err != nil {
		return nil, "", err
	}
	db.sites.forget(s.PublicKey)
	return s, secret, nil
}

// siteCacheTTL is how long the collect endpoint trusts a looked-up site:
// a changed origin list or a disabled site reaches every server within it.
const siteCacheTTL = 2 * time.Second

type siteCache struct {
	mu sync.Mutex
	m  map[string]siteEntry
}

type siteEntry struct {
	s   *crm.TrackedSite // nil: no such key
	exp time.Time
}

func (c *siteCache) forget(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// SiteByKey returns the site of a public key, from a short cache: the
// collect endpoint asks on every request. Unknown keys are cached too (as
// nil), so a flood of made-up keys costs no queries; the cache is bounded.
func (db *DB) SiteByKey(ctx context.Context, key string) (*crm.TrackedSite, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSites, crm.Write)); err != nil {
		return nil, err
	}
	now := time.Now()
	c := &db.sites
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(e.exp) {
		if e.s == nil {
			return nil, crm.Errorf(crm.ENOTFOUND, "unknown site key")
		}
		return e.s, nil
	}
	var s crm.TrackedSite
	var origins string
	err := db.read.QueryRowContext(ctx, `SELECT id, public_key, active, origins, identify_secret, banner, banner_color, banner_position, banner_language, privacy_url FROM sites WHERE public_key = $1`, key).
		Scan(&s.ID, &s.Key, &s.Active, &origins, &s.IdentifySecret, &s.Banner, &s.Color, &s.Position, &s.Language, &s.PrivacyURL)
	var found *crm.TrackedSite
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return nil, db.mapErr(err)
	default:
		s.Origins = strings.Fields(origins)
		found = &s
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]siteEntry{}
	}
	c.m[key] = siteEntry{found, now.Add(siteCacheTTL)}
	c.mu.Unlock()
	if found == nil {
		return nil, crm.Errorf(crm.ENOTFOUND, "unknown site key")
	}
	return found, nil
}

func init() {
	DumpSchema = append(DumpSchema,
		// The identify secret is left out like every other secret.
		DumpTable{Name: "sites", Columns: cols("id:int name public_key origins active:bool banner:bool banner_color banner_position banner_language privacy_url created_at:int updated_at:int"), Sequence: "sites_id_seq"},
		DumpTable{Name: "visitors", Columns: cols("id site_id:int contact_id:int first_seen:int last_seen:int linked_at:int link_source")},
		DumpTable{Name: "events", Columns: cols("id:int site_id:int visitor_id session_id name url path title referrer utm_source utm_medium utm_campaign utm_term utm_content product_sku product_name value:int currency props occurred_at:int received_at:int"), Sequence: "events_id_seq"},
		DumpTable{Name: "page_counts", Columns: cols("id:int site_id:int day:int path count:int"), Sequence: "page_counts_id_seq"},
	)
}
