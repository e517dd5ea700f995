package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// A preference link's token signs the contact id and, once the link was
// revoked, its version ("42:3"). Revoking bumps the version in
// preference_links, so every older token — still correctly signed — is
// refused by every server at once; links sent before versions existed
// carry no version and are version 0, valid until the first revocation.

func prefsSubject(contactID int64, version int) string {
	s := strconv.FormatInt(contactID, 10)
	if version > 0 {
		s += ":" + strconv.Itoa(version)
	}
	return s
}

func parsePrefsSubject(sub string) (id int64, version int, ok bool) {
	idText, vText, hasV := strings.Cut(sub, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, false
	}
	if hasV {
		if version, err = strconv.Atoi(vText); err != nil || version <= 0 {
			return 0, 0, false
		}
	}
	return id, version, true
}

// prefsLinkRow is a contact's preference_links row; a contact without one
// has version 0 and no dates.
type prefsLinkRow struct {
	version   int
	revokedAt sql.NullInt64
	revokedBy string
	usedAt    sql.NullInt64
}

func readPrefsLink(ctx context.Context, q queryer, contactID int64) (prefsLinkRow, error) {
	var r prefsLinkRow
	err := q.QueryRowContext(ctx, `SELECT version, revoked_at, revoked_by, last_used_at FROM preference_links WHERE contact_id = $1`, contactID).
		Scan(&r.version, &r.revokedAt, &r.revokedBy, &r.usedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return prefsLinkRow{}, nil
	}
	return r, err
}

// preferencesURL is the link in effect, read in q (a write transaction
// that sends mail reads its own view).
func (db *DB) preferencesURL(ctx context.Context, q queryer, contactID int64) (string, error) {
	s, err := db.Signer(ctx)
	if err != nil {
		return "", err
	}
	r, err := readPrefsLink(ctx, q, contactID)
	if err != nil {
		return "", db.mapErr(err)
	}
	return db.PublicURL(ctx) + "/p/" + s.Token(crm.TokenPreferences, prefsSubject(contactID, r.version), time.Time{}), nil
}

// PreferencesURL is the person's preference-centre link in effect, for
// the footer of every message to a contact.
func (db *DB) PreferencesURL(ctx context.Context, contactID int64) (string, error) {
	return db.preferencesURL(ctx, db.read, contactID)
}

func (db *DB) prefsLinkOut(ctx context.Context, a *crm.Actor, contactID int64, r prefsLinkRow) (*crm.PreferenceLink, error) {
	out := &crm.PreferenceLink{ContactID: contactID, Version: r.version, RevokedAt: fromNullMS(r.revokedAt), RevokedBy: r.revokedBy, LastUsedAt: fromNullMS(r.usedAt)}
	if a.Can(crm.P(crm.ResConsents, crm.Write)) {
		s, err := db.Signer(ctx)
		if err != nil {
			return nil, err
		}
		out.URL = db.PublicURL(ctx) + "/p/" + s.Token(crm.TokenPreferences, prefsSubject(contactID, r.version), time.Time{})
	}
	return out, nil
}

// PreferenceLink is a contact's link state (crm.PreferenceLinkService).
func (db *DB) PreferenceLink(ctx context.Context, contactID int64) (*crm.PreferenceLink, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResConsents, crm.Read))
	if err != nil {
		return nil, err
	}
	if _, err := db.findContact(ctx, db.read, a, contactID); err != nil {
		return nil, err
	}
	r, err := readPrefsLink(ctx, db.read, contactID)
	if err != nil {
		return nil, db.mapErr(err)
	}
	return db.prefsLinkOut(ctx, a, contactID, r)
}

// RevokePreferenceLink bumps the link's version: every link sent so far
// answers "no longer valid", the next message carries the new one.
func (db *DB) RevokePreferenceLink(ctx context.Context, contactID int64) (*crm.PreferenceLink, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResConsents, crm.Write))
	if err != nil {
		return nil, err
	}
	var r prefsLinkRow
	err = db.inTx(ctx, func(tx *Tx) error {
		if _, err := db.findContact(ctx, tx, a, contactID); err != nil {
			return err
		}
		before, err := readPrefsLink(ctx, tx, contactID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO preference_links (contact_id, version, revoked_at, revoked_by, last_used_at) VALUES ($1, 1, $2, $3, NULL)
			ON CONFLICT (contact_id) DO UPDATE SET version = preference_links.version + 1, revoked_at = excluded.revoked_at,
				revoked_by = excluded.revoked_by, last_used_at = NULL
			RETURNING version, revoked_at, revoked_by, last_used_at`, contactID, ms(tx.now), a.Label()).
			Scan(&r.version, &r.revokedAt, &r.revokedBy, &r.usedAt); err != nil {
			return err
		}
		// The audit entry names versions and dates, never a link: a link
		// in the log would be a working key to the person's choices.
		return tx.audit(ctx, "revoke_preference_link", "contact", contactID, prefsAudit(before), prefsAudit(r))
	})
	if err != nil {
		return nil, db.mapErr(err)
	}
	return db.prefsLinkOut(ctx, a, contactID, r)
}

func prefsAudit(r prefsLinkRow) map[string]any {
	m := map[string]any{"version": r.version}
	if r.usedAt.Valid {
		m["last_used_at"] = fromMS(r.usedAt.Int64)
	}
	return m
}

// OpenPreferenceLink resolves a token and records its use. Any token that
// is not a preference link of an existing contact is the same ENOTFOUND,
// so a forged one learns nothing; a genuine one of an older version is
// crm.ErrLinkRevoked.
func (db *DB) OpenPreferenceLink(ctx context.Context, token string) (int64, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResConsents, crm.Write))
	if err != nil {
		return 0, err
	}
	invalid := crm.Errorf(crm.ENOTFOUND, "invalid link")
	s, err := db.Signer(ctx)
	if err != nil {
		return 0, err
	}
	sub, err := s.Verify(crm.TokenPreferences, token, db.Now())
	if err != nil {
		return 0, invalid
	}
	id, version, ok := parsePrefsSubject(sub)
	if !ok {
		return 0, invalid
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if _, err := db.findContact(ctx, tx, a, id); err != nil {
			return err
		}
		cur, err := readPrefsLink(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case version < cur.version:
			return crm.ErrLinkRevoked
		case version > cur.version: // made before a restore to an older state
			return invalid
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO preference_links (contact_id, version, last_used_at) VALUES ($1, $2, $3)
			ON CONFLICT (contact_id) DO UPDATE SET last_used_at = excluded.last_used_at`, id, version, ms(tx.now))
		return err
	})
	if crm.ErrorCode(err) == crm.ENOTFOUND && !errors.Is(err, crm.ErrLinkRevoked) {
		return 0, invalid
	}
	if err != nil {
		return 0, db.mapErr(err)
	}
	return id, nil
}

// The link versions round-trip, so a revoked link stays revoked after a
// restore.
func init() {
	DumpSchema = append(DumpSchema, DumpTable{Name: "preference_links", Columns: cols("contact_id:int version:int revoked_at:int revoked_by last_used_at:int")})
}
