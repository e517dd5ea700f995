package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

const submissionCols = `s.id, s.form_id, s.contact_id, s.answers, s.consents, s.ip, s.user_agent, s.visitor_id, s.status, s.created_at,
	s.confirmed_at, s.confirm_ip, COALESCE(c.first_name, ''), COALESCE(c.last_name, ''), COALESCE(c.email, ''), COALESCE(c.language, '')`

const submissionFrom = ` FROM form_submissions s LEFT JOIN contacts c ON c.id = s.contact_id`

func scanSubmission(row interface{ Scan(...any) error }) (*crm.FormSubmission, error) {
	var s crm.FormSubmission
	var contact, confirmed sql.NullInt64
	var answers, consents string
	var created int64
	var c crm.Contact
	if err := row.Scan(&s.ID, &s.FormID, &contact, &answers, &consents, &s.IP, &s.UserAgent, &s.VisitorID, &s.Status, &created,
		&confirmed, &s.ConfirmIP, &c.FirstName, &c.LastName, &c.Email, &c.Language); err != nil {
		return nil, err
	}
	s.Values, s.Consents = map[string]any{}, []crm.SubmissionConsent{}
	json.Unmarshal([]byte(answers), &s.Values)
	json.Unmarshal([]byte(consents), &s.Consents)
	s.ContactID, s.ConfirmedAt, s.CreatedAt = idPtr(contact), fromNullMS(confirmed), fromMS(created)
	if s.ContactName = c.Name(); s.ContactName == "" {
		s.ContactName = c.Email
	}
	return &s, nil
}

// FindFormSubmissions lists a form's submissions, newest first. An actor
// restricted to its own records sees the submissions of its contacts.
func (db *DB) FindFormSubmissions(ctx context.Context, f crm.FormSubmissionFilter) (crm.Page[*crm.FormSubmission], error) {
	var page crm.Page[*crm.FormSubmission]
	a, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Read))
	if err != nil {
		return page, err
	}
	if _, err := db.findForm(ctx, db.read, `f.id = $1`, f.FormID); err != nil {
		return page, err
	}
	if f.Status != "" && !slices.Contains(crm.SubmissionStatuses, f.Status) {
		var v crm.Validation
		v.Add("status", "invalid_choice")
		return page, v.Err()
	}
	limit := clampLimit(f.Limit)
	var cur idCursor
	if f.After != "" {
		if err := decodeCursor(f.After, &cur); err != nil {
			return page, err
		}
	}
	query := `SELECT ` + submissionCols + submissionFrom + ` WHERE s.form_id = $1 AND ($2 = '' OR s.status = $2) AND ($3 = 0 OR s.id < $3)`
	args := []any{f.FormID, f.Status, cur.ID}
	if a.Restricted() {
		query += ` AND c.owner_id = $5`
	}
	query += ` ORDER BY s.id DESC LIMIT $4`
	args = append(args, limit+1)
	if a.Restricted() {
		args = append(args, a.UserID)
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	p, err := idPage(rows, limit, scanSubmission, func(x *crm.FormSubmission) int64 { return x.ID })
	return p, db.mapErr(err)
}
