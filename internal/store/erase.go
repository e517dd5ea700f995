package store

import "context"

// erasePersonalData removes, before a contact row is deleted, what would
// otherwise outlive it while still describing the person: the browsing
// history of their linked visitors, their form submissions (the values
// they typed) and their messages (address, subject and body). Rows with
// ON DELETE CASCADE (consents, survey answers, activities) go with the
// contact; these have SET NULL so that a contact's deletion by a merge
// never takes them, and the merge moves them first. The ids of the
// visitors stay behind in erased_visitors, so a browser that still holds
// one is refused rather than tracked again (tracking_consent.go).
func (tx *Tx) erasePersonalData(ctx context.Context, contactID int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO erased_visitors (id, erased_at) SELECT id, $2 FROM visitors WHERE contact_id = $1
		ON CONFLICT (id) DO NOTHING`, contactID, ms(tx.now)); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM events WHERE visitor_id IN (SELECT id FROM visitors WHERE contact_id = $1)`,
		`DELETE FROM visitors WHERE contact_id = $1`,
		`DELETE FROM form_submissions WHERE contact_id = $1`,
		`DELETE FROM mail_outbox WHERE contact_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, contactID); err != nil {
			return err
		}
	}
	return nil
}
