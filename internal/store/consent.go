package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

const consentCols = `id, contact_id, purpose, channel, status, legal_basis, source, source_ref, wording_version, wording, ip, user_agent, actor, at, expires_at`

func scanConsent(row interface{ Scan(...any) error }) (*crm.Consent, error) {
	var c crm.Consent
	var at int64
	var exp sql.NullInt64
	if err := row.Scan(&c.ID, &c.ContactID, &c.Purpose, &c.Channel, &c.Status, &c.LegalBasis, &c.Source, &c.SourceRef,
		&c.WordingVersion, &c.Wording, &c.IP, &c.UserAgent, &c.Actor, &at, &exp); err != nil {
		return nil, err
	}
	c.At, c.ExpiresAt = fromMS(at), fromNullMS(exp)
	return &c, nil
}

// RecordConsent appends one entry to the ledger.
func (db *DB) RecordConsent(ctx context.Context, in crm.ConsentInput) (*crm.Consent, error) {
	var out *crm.Consent
	err := db.recordConsents(ctx, []crm.ConsentInput{in}, func(c *crm.Consent) { out = c })
	return out, err
}

// RecordConsents appends entries in one transaction: a preference centre
// save is all of its choices or none.
func (db *DB) RecordConsents(ctx context.Context, in []crm.ConsentInput) error {
	return db.recordConsents(ctx, in, nil)
}

func (db *DB) recordConsents(ctx context.Context, in []crm.ConsentInput, each func(*crm.Consent)) error {
	a, err := crm.Authorize(ctx, crm.P(crm.ResConsents, crm.Write))
	if err != nil {
		return err
	}
	for i := range in {
		if err := in[i].Validate(); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(tx *Tx) error {
		for i := range in {
			if _, err := db.findContact(ctx, tx, a, in[i].ContactID); err != nil {
				return invalidRef(err, true)
			}
			c, err := tx.appendConsent(ctx, a, in[i])
			if err != nil {
				return err
			}
			if each != nil {
				each(c)
			}
		}
		return nil
	})
}

// appendConsent writes one ledger entry. Who recorded it comes from the
// actor, never from the input, for everyone but the system actor: a staff
// user or API key cannot claim a record came from the person's own form.
// Feature code in a transaction (form confirmation) calls it directly.
func (tx *Tx) appendConsent(ctx context.Context, a *crm.Actor, in crm.ConsentInput) (*crm.Consent, error) {
	c := &crm.Consent{ContactID: in.ContactID, Purpose: in.Purpose, Channel: in.Channel, Status: in.Status, LegalBasis: in.LegalBasis,
		Source: in.Source, SourceRef: in.SourceRef, WordingVersion: in.WordingVersion, Wording: in.Wording,
		IP: in.IP, UserAgent: in.UserAgent, Actor: a.Label(), At: tx.now, ExpiresAt: in.ExpiresAt}
	switch {
	case a.APIKeyID != 0:
		c.Source, c.SourceRef = crm.SourceAPI, a.Name
	case !a.System:
		c.Source, c.SourceRef = crm.SourceStaff, a.Name
	case c.Source == "":
		c.Source = crm.SourceStaff
	}
	if c.LegalBasis == "" {
		c.LegalBasis = crm.BasisConsent
	}
	if in.At != nil && a.System && in.At.Before(tx.now) {
		c.At = in.At.UTC()
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO consents (contact_id, purpose, channel, status, legal_basis, source, source_ref, wording_version, wording, ip, user_agent, actor, at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		c.ContactID, c.Purpose, c.Channel, c.Status, c.LegalBasis, c.Source, c.SourceRef, c.WordingVersion, c.Wording,
		c.IP, c.UserAgent, c.Actor, ms(c.At), nullMS(c.ExpiresAt)).Scan(&c.ID); err != nil {
		return nil, err
	}
	if err := tx.emit(ctx, crm.EventConsentChanged, c); err != nil {
		return nil, err
	}
	return c, tx.audit(ctx, "create", "consent", c.ID, nil, c)
}

// ConsentHistory lists a contact's ledger, newest first: by when the
// person gave the answer (imports are back-dated), then by entry.
func (db *DB) ConsentHistory(ctx context.Context, contactID int64, limit int) ([]*crm.Consent, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResConsents, crm.Read))
	if err != nil {
		return nil, err
	}
	if _, err := db.findContact(ctx, db.read, a, contactID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+consentCols+` FROM consents WHERE contact_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, contactID, limit)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var out []*crm.Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, db.mapErr(err)
		}
		out = append(out, c)
	}
	return out, db.mapErr(rows.Err())
}

// ConsentStates derives every topic's current state from the newest entry
// of each; a topic never asked about is not granted.
func (db *DB) ConsentStates(ctx context.Context, contactID int64) ([]crm.ConsentState, error) {
	hist, err := db.ConsentHistory(ctx, contactID, 1000)
	if err != nil {
		return nil, err
	}
	return consentStates(hist, db.Now()), nil
}

func consentStates(newestFirst []*crm.Consent, now time.Time) []crm.ConsentState {
	out := make([]crm.ConsentState, len(crm.ConsentTopics))
	for i, t := range crm.ConsentTopics {
		out[i] = crm.ConsentState{Purpose: t.Purpose, Channel: t.Channel}
		for _, c := range newestFirst {
			if c.Purpose == t.Purpose && c.Channel == t.Channel {
				out[i].Latest = c
				out[i].Granted = c.Current(now)
				break
			}
		}
	}
	return out
}

// consentGranted reports, inside a transaction, whether contactID's topic
// is granted now: the check campaigns and forms make before marketing.
func (tx *Tx) consentGranted(ctx context.Context, contactID int64, purpose, channel string) (bool, error) {
	c, err := scanConsent(tx.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE contact_id = $1 AND purpose = $2 AND channel = $3 ORDER BY at DESC, id DESC LIMIT 1`,
		contactID, purpose, channel))
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c.Current(tx.now), nil
}

// The ledger is the proof of consent: it travels with the export whole.
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{Name: "consents", Columns: cols("id:int contact_id:int purpose channel status legal_basis source source_ref wording_version wording ip user_agent actor at:int expires_at:int"), Sequence: "consents_id_seq"})
}
