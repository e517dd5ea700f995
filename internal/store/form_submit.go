package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/sign"
)

// SubmitForm stores a checked submission of a public form in one
// transaction with everything it causes: the contact created or filled
// in, the timeline entry, the owner's notification and either the
// consent ledger entries (no double opt-in) or the confirmation mail.
//
// Submissions are not authenticated: anyone can type anyone's address.
// So a submission never overwrites what is known about an existing
// contact (it fills empty fields only; the values are on the timeline),
// and an unticked consent box records nothing, not even a withdrawal:
// silence on a form is no statement, and a stranger must not be able to
// withdraw someone's consent by submitting their address. Withdrawing is
// the preference centre's job, behind a signed link.
func (db *DB) SubmitForm(ctx context.Context, in crm.FormSubmitInput, m crm.FormMailer) (*crm.FormSubmission, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write))
	if err != nil {
		return nil, err
	}
	f, err := db.FindPublicForm(ctx, in.Slug)
	if err != nil {
		return nil, err
	}
	values, err := f.Check(in.Values)
	if err != nil {
		return nil, err
	}
	email := f.Email(values)
	defs, err := db.customFields(ctx, db.read, "contact")
	if err != nil {
		return nil, err
	}
	sub := &crm.FormSubmission{FormID: f.ID, Values: values, IP: clip(in.IP, 64), UserAgent: clip(in.UserAgent, 500),
		Status: crm.SubmissionAccepted}
	if crm.VisitorIDRe.MatchString(in.VisitorID) {
		sub.VisitorID = in.VisitorID
	}
	for _, c := range f.Consents {
		sub.Consents = append(sub.Consents, crm.SubmissionConsent{Purpose: c.Purpose, Channel: c.Channel,
			WordingVersion: f.WordingVersion(c), Wording: c.Wording, Ticked: slices.Contains(in.Ticked, crm.ConsentTopic{Purpose: c.Purpose, Channel: c.Channel})})
	}
	ticked := slices.ContainsFunc(sub.Consents, func(c crm.SubmissionConsent) bool { return c.Ticked })
	// Double opt-in applies to what needs consent: a submission that
	// ticks no box has nothing to confirm.
	var signer *sign.Signer
	if f.DoubleOptIn && ticked {
		sub.Status = crm.SubmissionPending
		if signer, err = db.Signer(ctx); err != nil {
			return nil, err
		}
	}
	base := db.PublicURL(ctx)
	err = db.inTx(ctx, func(tx *Tx) error {
		c, created, err := tx.formContact(ctx, f, values, defs, email)
		if err != nil {
			return err
		}
		sub.ContactID, sub.ContactName, sub.CreatedAt = &c.ID, c.Name(), tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO form_submissions (form_id, contact_id, answers, consents, ip, user_agent, visitor_id, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			f.ID, c.ID, jsonText(sub.Values), jsonText(sub.Consents), sub.IP, sub.UserAgent, sub.VisitorID, sub.Status, ms(tx.now)).Scan(&sub.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE forms SET submissions = submissions + 1 WHERE id = $1`, f.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO activities (kind, contact_id, subject, body, outcome, duration_sec, occurred_at, author_id, order_id, created_at)
			VALUES ($1, $2, $3, $4, '', 0, $5, NULL, NULL, $5)`, crm.KindForm, c.ID, clip(f.Name, crm.MaxText), submissionBody(f, sub), ms(tx.now)); err != nil {
			return err
		}
		if sub.Status == crm.SubmissionAccepted {
			if err := tx.grantSubmission(ctx, f, sub, crm.SourceForm, sub.IP, sub.UserAgent); err != nil {
				return err
			}
		} else if err := tx.optInMail(ctx, f, sub, c, email, in.Lang, signer, base, m); err != nil {
			return err
		}
		if err := tx.notifyOwner(ctx, f, sub, c, created, base, m); err != nil {
			return err
		}
		// The embed passed the tracking snippet's visitor id (present only
		// after the visitor agreed to tracking): the form is the proof that
		// visitor is this person, so its visit history joins the contact.
		if sub.VisitorID != "" {
			if err := tx.linkVisitor(ctx, sub.VisitorID, c.ID, crm.LinkForm); err != nil {
				return err
			}
		}
		return tx.audit(crm.WithActor(ctx, a), "create", "form_submission", sub.ID, nil, sub)
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// submissionBody is the timeline entry's text: each answer under its
// label, then the consent boxes ticked.
func submissionBody(f *crm.Form, s *crm.FormSubmission) string {
	var b strings.Builder
	for _, fd := range f.Fields {
		v, ok := s.Values[fd.Name]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", fd.Label, answerText(v))
	}
	for _, c := range s.Consents {
		if c.Ticked {
			fmt.Fprintf(&b, "✓ %s\n", c.Wording)
		}
	}
	return clip(strings.TrimSpace(b.String()), crm.MaxBody)
}

// answerText writes one cleaned value as text.
func answerText(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "✓"
		}
		return "—"
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// formContact finds the contact with the submitted address (addresses
// are stored lowercased, so the match is case-insensitive) and fills
// its empty fields, or creates it owned by the form's owner with source
// "form".
func (tx *Tx) formContact(ctx context.Context, f *crm.Form, values map[string]any, defs []*crm.CustomField, email string) (*crm.Contact, bool, error) {
	std, custom := map[string]string{}, map[string]any{}
	for _, fd := range f.Fields {
		v, ok := values[fd.Name]
		if !ok || fd.Maps == "" {
			continue
		}
		if key, ok := strings.CutPrefix(fd.Maps, "custom."); ok {
			if slices.ContainsFunc(defs, func(d *crm.CustomField) bool { return d.Key == key }) {
				custom[key] = v
			}
			continue
		}
		if s, ok := v.(string); ok {
			std[fd.Maps] = s
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT contact_id FROM contact_emails WHERE email = $1 ORDER BY contact_id LIMIT 1`, email).Scan(&id)
	if err != nil && err != sql.ErrNoRows {
		return nil, false, err
	}
	if err == sql.ErrNoRows {
		c := &crm.Contact{Email: email, Emails: []string{email}, Source: crm.SourceForm, Stage: "lead", Tags: []string{}, Custom: custom,
			OwnerID: f.OwnerID, Language: f.Language, CreatedAt: tx.now, UpdatedAt: tx.now}
		fillContact(c, std)
		if err := tx.formCompany(ctx, f, c, std["company"]); err != nil {
			return nil, false, err
		}
		if err := tx.insertContact(ctx, c); err != nil {
			return nil, false, err
		}
		if err := tx.audit(ctx, "create", "contact", c.ID, nil, c); err != nil {
			return nil, false, err
		}
		if err := tx.emit(ctx, crm.EventContactCreated, func() (any, error) { return tx.db.findContact(ctx, tx, crm.SystemActor, c.ID) }); err != nil {
			return nil, false, err
		}
		return c, true, nil
	}
	before, err := tx.db.findContact(ctx, tx, crm.SystemActor, id)
	if err != nil {
		return nil, false, err
	}
	c := *before
	c.Custom = maps(before.Custom)
	c.Emails, c.Phones = slices.Clone(before.Emails), slices.Clone(before.Phones)
	changed := fillContact(&c, std)
	for k, v := range custom {
		if _, set := c.Custom[k]; !set {
			c.Custom[k] = v
			changed = true
		}
	}
	if c.CompanyID == nil && std["company"] != "" {
		if err := tx.formCompany(ctx, f, &c, std["company"]); err != nil {
			return nil, false, err
		}
		changed = true
	}
	if !changed {
		return before, false, nil
	}
	c.UpdatedAt = tx.now
	if err := tx.updateContactRow(ctx, &c); err != nil {
		return nil, false, err
	}
	if err := tx.audit(ctx, "update", "contact", c.ID, before, &c); err != nil {
		return nil, false, err
	}
	return &c, false, tx.emit(ctx, crm.EventContactUpdated, func() (any, error) { return tx.db.findContact(ctx, tx, crm.SystemActor, c.ID) })
}

// fillContact sets the contact's empty fields from the submission and
// adds a new phone number beside the known ones; it reports a change.
func fillContact(c *crm.Contact, std map[string]string) bool {
	changed := false
	for k, v := range std {
		var dst *string
		switch k {
		case "first_name":
			dst = &c.FirstName
		case "last_name":
			dst = &c.LastName
		case "title":
			dst = &c.Title
		case "city":
			dst = &c.City
		case "country":
			dst = &c.Country
		case "language":
			dst = &c.Language
		case "phone":
			if !slices.Contains(c.Phones, v) {
				c.Phones = append(c.Phones, v)
				changed = true
			}
			dst = &c.Phone
		}
		if dst != nil && *dst == "" && v != "" {
			*dst = v
			changed = true
		}
	}
	return changed
}

// formCompany links the contact to the company of the submitted name,
// creating it (owned by the form's owner) when there is none.
func (tx *Tx) formCompany(ctx context.Context, f *crm.Form, c *crm.Contact, name string) error {
	if name == "" {
		return nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM companies WHERE sort_name = $1 ORDER BY id LIMIT 1`, strings.ToLower(name)).Scan(&id)
	if err == sql.ErrNoRows {
		co := &crm.Company{Name: name, OwnerID: f.OwnerID, Tags: []string{}, Custom: map[string]any{}, CreatedAt: tx.now, UpdatedAt: tx.now}
		if err := tx.insertCompany(ctx, co); err != nil {
			return err
		}
		if err := tx.audit(ctx, "create", "company", co.ID, nil, co); err != nil {
			return err
		}
		id, err = co.ID, nil
	}
	if err != nil {
		return err
	}
	c.CompanyID = &id
	return nil
}

// grantSubmission writes a ledger entry for each ticked box.
func (tx *Tx) grantSubmission(ctx context.Context, f *crm.Form, s *crm.FormSubmission, source, ip, ua string) error {
	if s.ContactID == nil {
		return nil
	}
	for _, c := range s.Consents {
		if !c.Ticked {
			continue
		}
		if _, err := tx.appendConsent(ctx, crm.SystemActor, crm.ConsentInput{ContactID: *s.ContactID, Purpose: c.Purpose, Channel: c.Channel,
			Status: crm.ConsentGranted, LegalBasis: crm.BasisConsent, Source: source, SourceRef: f.Slug,
			WordingVersion: c.WordingVersion, Wording: c.Wording, IP: ip, UserAgent: ua}); err != nil {
			return err
		}
	}
	return nil
}

// optInMail queues the confirmation link, unless the address already got
// crm.MaxOptInMails of them in the last day (list bombing).
func (tx *Tx) optInMail(ctx context.Context, f *crm.Form, s *crm.FormSubmission, c *crm.Contact, email, lang string, signer *sign.Signer, base string, m crm.FormMailer) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_outbox WHERE kind = $1 AND to_addr = $2 AND created_at > $3`,
		crm.MailOptIn, email, ms(tx.now.Add(-24*time.Hour))).Scan(&n); err != nil {
		return err
	}
	if n >= crm.MaxOptInMails || m == nil {
		return nil
	}
	exp := tx.now.Add(crm.OptInExpiry)
	link := base + "/f/confirm/" + signer.Token(crm.TokenOptIn, strconv.FormatInt(s.ID, 10), exp)
	if slices.Contains(crm.Languages, lang) {
		// The confirmation page speaks the language the form was filled in.
		link += "?lang=" + lang
	}
	prefs, err := tx.db.preferencesURL(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	msg := m.OptIn(crm.FormOptInMail{Form: f, Submission: s, Contact: c, Lang: lang, ConfirmURL: link, Expires: exp, PrefURL: prefs})
	msg.To, msg.Kind, msg.ContactID = email, crm.MailOptIn, &c.ID
	_, err = tx.enqueueMail(ctx, msg)
	return err
}

// notifyOwner mails the form's owner, when it has an active one.
func (tx *Tx) notifyOwner(ctx context.Context, f *crm.Form, s *crm.FormSubmission, c *crm.Contact, created bool, base string, m crm.FormMailer) error {
	if f.OwnerID == nil || m == nil {
		return nil
	}
	owner, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, *f.OwnerID))
	if err == sql.ErrNoRows || (err == nil && !owner.Active) {
		return nil
	}
	if err != nil {
		return err
	}
	msg := m.Notification(crm.FormNotice{Form: f, Submission: s, Contact: c, Created: created, Owner: owner,
		ContactURL: base + "/contacts/" + strconv.FormatInt(c.ID, 10)})
	msg.To, msg.ToName, msg.Kind, msg.ContactID = owner.Email, owner.Name, crm.MailNotification, &c.ID
	_, err = tx.enqueueMail(ctx, msg)
	return err
}

// optInError is the answer to a confirmation link that cannot be used.
func optInError(expired bool) error {
	key, msg := "token_invalid", "this confirmation link is not valid"
	if expired {
		key, msg = "token_expired", "this confirmation link has expired"
	}
	return &crm.Error{Code: crm.EINVALID, Message: msg, Fields: []crm.FieldError{{Field: "token", Key: key}}}
}

// optInSubmission checks a confirmation token and reads its submission
// and form from q.
func (db *DB) optInSubmission(ctx context.Context, q queryer, token string) (*crm.Form, *crm.FormSubmission, error) {
	signer, err := db.Signer(ctx)
	if err != nil {
		return nil, nil, err
	}
	subject, err := signer.Verify(crm.TokenOptIn, token, db.Now())
	if err != nil {
		return nil, nil, optInError(errors.Is(err, sign.ErrExpired))
	}
	id, err := strconv.ParseInt(subject, 10, 64)
	if err != nil {
		return nil, nil, optInError(false)
	}
	s, err := scanSubmission(q.QueryRowContext(ctx, `SELECT `+submissionCols+submissionFrom+` WHERE s.id = $1`, id))
	if err == sql.ErrNoRows || (err == nil && s.ContactID == nil) {
		// A signed link to a submission that is gone (its contact was
		// erased): nothing left to confirm.
		return nil, nil, optInError(false)
	}
	if err != nil {
		return nil, nil, db.mapErr(err)
	}
	f, err := db.findForm(ctx, q, `f.id = $1`, s.FormID)
	if err != nil {
		return nil, nil, err
	}
	return f, s, nil
}

// FindOptIn returns the submission a confirmation link is for.
func (db *DB) FindOptIn(ctx context.Context, token string) (*crm.Form, *crm.FormSubmission, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write)); err != nil {
		return nil, nil, err
	}
	return db.optInSubmission(ctx, db.read, token)
}

// ConfirmOptIn grants the consents of a pending submission with source
// double_opt_in and the confirmation's time, IP and user agent. The
// status change is a conditional update, so two confirmations racing
// grant once; a confirmed submission is reported as already confirmed.
func (db *DB) ConfirmOptIn(ctx context.Context, token, ip, ua string) (*crm.Form, *crm.FormSubmission, bool, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResForms, crm.Write))
	if err != nil {
		return nil, nil, false, err
	}
	var f *crm.Form
	var s *crm.FormSubmission
	already := false
	err = db.inTx(ctx, func(tx *Tx) error {
		var err error
		if f, s, err = db.optInSubmission(ctx, tx, token); err != nil {
			return err
		}
		ip, ua = clip(ip, 64), clip(ua, 500)
		res, err := tx.ExecContext(ctx, `UPDATE form_submissions SET status = $1, confirmed_at = $2, confirm_ip = $3, confirm_user_agent = $4 WHERE id = $5 AND status = $6`,
			crm.SubmissionConfirmed, ms(tx.now), ip, ua, s.ID, crm.SubmissionPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			already = true
			return nil
		}
		now := tx.now
		s.Status, s.ConfirmedAt, s.ConfirmIP = crm.SubmissionConfirmed, &now, ip
		if err := tx.grantSubmission(ctx, f, s, crm.SourceDoubleOptIn, ip, ua); err != nil {
			return err
		}
		return tx.audit(crm.WithActor(ctx, a), "confirm", "form_submission", s.ID, nil, s)
	})
	if err != nil {
		return nil, nil, false, err
	}
	return f, s, already, nil
}
