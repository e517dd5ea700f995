package store

import (
	"context"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// BulkContacts applies one change to many contacts in one transaction and
// writes one audit entry per contact, so a bulk edit can be traced record
// by record. Contacts the actor may not see are skipped, not errors.
func (db *DB) BulkContacts(ctx context.Context, op crm.BulkOp) (int, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return 0, err
	}
	var v crm.Validation
	if len(op.IDs) == 0 {
		v.Add("ids", "required")
	}
	if len(op.IDs) > 10000 {
		v.Add("ids", "too_many", 10000)
	}
	add := crm.NormalizeTags(&v, "tags", op.AddTags)
	remove := crm.NormalizeTags(&v, "tags", op.RemoveTags)
	if op.SetOwner != nil && a.Restricted() {
		v.Add("owner_id", "cannot_assign")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	n := 0
	err = db.inTx(ctx, func(tx *Tx) error {
		for _, id := range op.IDs {
			before, err := db.findContact(ctx, tx, a, id)
			if crm.ErrorCode(err) == crm.ENOTFOUND {
				continue
			}
			if err != nil {
				return err
			}
			if op.Delete {
				if err := tx.erasePersonalData(ctx, id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = $1`, id); err != nil {
					return err
				}
				if err := tx.audit(ctx, "bulk_delete", "contact", id, before, nil); err != nil {
					return err
				}
				if err := tx.emit(ctx, crm.EventContactDeleted, before); err != nil {
					return err
				}
				n++
				continue
			}
			c := *before
			c.Tags = slices.DeleteFunc(slices.Clone(c.Tags), func(t string) bool { return slices.Contains(remove, t) })
			for _, t := range add {
				if !slices.Contains(c.Tags, t) {
					c.Tags = append(c.Tags, t)
				}
			}
			if op.SetOwner != nil {
				o := *op.SetOwner
				c.OwnerID = &o
				if o == 0 {
					c.OwnerID = nil
				}
			}
			c.UpdatedAt = tx.now
			if err := tx.updateContactRow(ctx, &c); err != nil {
				return err
			}
			if err := tx.audit(ctx, "bulk_update", "contact", id, before, &c); err != nil {
				return err
			}
			// One event per contact, as for single edits: a bulk edit is
			// at most 10,000 contacts, and receivers need the ids.
			if err := tx.emit(ctx, crm.EventContactUpdated, func() (any, error) { return db.findContact(ctx, tx, crm.SystemActor, id) }); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// FindDuplicates returns contacts that share an email or phone with the
// contact, or whose name is the same or nearly so (same family name, given
// names within two edits), best matches first.
func (db *DB) FindDuplicates(ctx context.Context, id int64) ([]*crm.Contact, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Read))
	if err != nil {
		return nil, err
	}
	c, err := db.findContact(ctx, db.read, a, id)
	if err != nil {
		return nil, err
	}
	q := &listQuery{d: db.dialect}
	var or []string
	if len(c.Emails) > 0 {
		ph := make([]string, len(c.Emails))
		for i, e := range c.Emails {
			ph[i] = q.arg(e)
		}
		or = append(or, "c.id IN (SELECT contact_id FROM contact_emails WHERE email IN ("+strings.Join(ph, ",")+"))")
	}
	if len(c.Phones) > 0 {
		ph := make([]string, len(c.Phones))
		for i, p := range c.Phones {
			ph[i] = q.arg(p)
		}
		or = append(or, "c.id IN (SELECT contact_id FROM contact_phones WHERE phone IN ("+strings.Join(ph, ",")+"))")
	}
	if last := strings.ToLower(strings.TrimSpace(c.LastName)); last != "" {
		// Same family name: the sort name starts with it and a space.
		or = append(or, "(c.sort_name >= "+q.arg(last+" ")+" AND c.sort_name < "+q.arg(last+" \U0010FFFF")+")")
	}
	if len(or) == 0 {
		return []*crm.Contact{}, nil
	}
	q.add("c.id <> " + q.arg(id))
	q.add("(" + strings.Join(or, " OR ") + ")")
	if a.Restricted() {
		q.add("c.owner_id = " + q.arg(a.UserID))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+contactCols+contactFrom+` WHERE `+q.sql()+` ORDER BY c.id LIMIT 200`, q.args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var cands []*crm.Contact
	for rows.Next() {
		d, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		cands = append(cands, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []*crm.Contact{}
	for _, d := range cands {
		if nameDistance(c, d) <= 2 || db.sharesAddress(ctx, c, d.ID) {
			out = append(out, d)
		}
	}
	return out, nil
}

// sharesAddress reports whether contact id has one of c's emails or phones.
func (db *DB) sharesAddress(ctx context.Context, c *crm.Contact, id int64) bool {
	emails, _ := db.strings(ctx, db.read, `SELECT email FROM contact_emails WHERE contact_id = $1`, id)
	phones, _ := db.strings(ctx, db.read, `SELECT phone FROM contact_phones WHERE contact_id = $1`, id)
	for _, e := range emails {
		if slices.Contains(c.Emails, e) {
			return true
		}
	}
	for _, p := range phones {
		if slices.Contains(c.Phones, p) {
			return true
		}
	}
	return false
}

func nameDistance(a, b *crm.Contact) int {
	if !strings.EqualFold(a.LastName, b.LastName) {
		return 99
	}
	return levenshtein([]rune(strings.ToLower(a.FirstName)), []rune(strings.ToLower(b.FirstName)))
}

func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// MergeContacts folds other into keep: every activity, task and reference
// moves to keep, lists (emails, phones, tags) are united, keep's empty
// fields are filled from other, and other is deleted. One transaction.
func (db *DB) MergeContacts(ctx context.Context, keepID, otherID int64) (*crm.Contact, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Write))
	if err != nil {
		return nil, err
	}
	if keepID == otherID {
		var v crm.Validation
		v.Add("other_id", "same_contact")
		return nil, v.Err()
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		keep, err := db.findContact(ctx, tx, a, keepID)
		if err != nil {
			return err
		}
		other, err := db.findContact(ctx, tx, a, otherID)
		if err != nil {
			return err
		}
		before := *keep
		m := *keep
		m.Custom = maps(keep.Custom)
		fill := func(dst *string, src string) {
			if *dst == "" {
				*dst = src
			}
		}
		fill(&m.FirstName, other.FirstName)
		fill(&m.LastName, other.LastName)
		fill(&m.Email, other.Email)
		fill(&m.Phone, other.Phone)
		fill(&m.Title, other.Title)
		fill(&m.Street, other.Street)
		fill(&m.City, other.City)
		fill(&m.Region, other.Region)
		fill(&m.PostalCode, other.PostalCode)
		fill(&m.Country, other.Country)
		fill(&m.BirthDate, other.BirthDate)
		fill(&m.Language, other.Language)
		fill(&m.Stage, other.Stage)
		fill(&m.Source, other.Source)
		if m.CompanyID == nil {
			m.CompanyID = other.CompanyID
		}
		if m.OwnerID == nil {
			m.OwnerID = other.OwnerID
		}
		m.Emails = primaryFirst(m.Email, append(slices.Clone(keep.Emails), other.Emails...))
		m.Phones = primaryFirst(m.Phone, append(slices.Clone(keep.Phones), other.Phones...))
		for _, t := range other.Tags {
			if !slices.Contains(m.Tags, t) {
				m.Tags = append(m.Tags, t)
			}
		}
		for k, v := range other.Custom {
			if _, ok := m.Custom[k]; !ok {
				m.Custom[k] = v
			}
		}
		m.UpdatedAt = tx.now
		if m.CreatedAt.After(other.CreatedAt) {
			m.CreatedAt = other.CreatedAt
		}
		// The consent ledger, form submissions and messages are the
		// person's too: deleting them with the merged-away row would lose
		// the proof of consent.
		for _, t := range []string{"activities", "tasks", "orders", "contact_external_ids", "consents", "form_submissions", "mail_outbox"} {
			if _, err := tx.ExecContext(ctx, `UPDATE `+t+` SET contact_id = $1 WHERE contact_id = $2`, keepID, otherID); err != nil {
				return err
			}
		}
		// The merged-away contact's visitors, and so its web history, follow too (tracking*.go).
		if _, err := tx.ExecContext(ctx, `UPDATE visitors SET contact_id = $1 WHERE contact_id = $2`, keepID, otherID); err != nil {
			return err
		}
		// Survey answers and invitations follow too (survey*.go).
		if err := tx.mergeSurveys(ctx, keepID, otherID); err != nil {
			return err
		}
		// Deals (deal*.go) follow the person to the kept contact.
		if _, err := tx.ExecContext(ctx, `UPDATE deals SET contact_id = $1 WHERE contact_id = $2`, keepID, otherID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = $1`, otherID); err != nil {
			return err
		}
		// The orders moved: the kept customer's facts, first purchases and
		// day sums now count them (the merged-away contact's went with it).
		// After the delete, which waits for any transaction still adding
		// an order to the merged-away contact: locking the kept customer
		// before it could deadlock with an import holding both.
		if err := tx.refreshFacts(ctx, keepID); err != nil {
			return err
		}
		if err := tx.refreshCustomerDays(ctx, keepID); err != nil {
			return err
		}
		if err := tx.updateContactRow(ctx, &m); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET created_at = $1 WHERE id = $2`, ms(m.CreatedAt), keepID); err != nil {
			return err
		}
		if err := tx.audit(ctx, "merge", "contact", keepID, map[string]any{"kept": &before, "merged": other}, &m); err != nil {
			return err
		}
		if err := tx.audit(ctx, "delete", "contact", otherID, other, map[string]any{"merged_into": keepID}); err != nil {
			return err
		}
		kept := func() (any, error) { return db.findContact(ctx, tx, crm.SystemActor, keepID) }
		if err := tx.emit(ctx, crm.EventContactMerged, func() (any, error) {
			c, err := db.findContact(ctx, tx, crm.SystemActor, keepID)
			return &crm.ContactMerge{Contact: c, MergedID: otherID, Merged: other}, err
		}); err != nil {
			return err
		}
		if err := tx.emit(ctx, crm.EventContactUpdated, kept); err != nil {
			return err
		}
		return tx.emit(ctx, crm.EventContactDeleted, other)
	})
	if err != nil {
		return nil, err
	}
	return db.findContact(ctx, db.write, crm.SystemActor, keepID)
}
