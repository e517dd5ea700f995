package store

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/sign"
)

// Survey invitations. A survey is a service message, not marketing: it
// asks a customer about the service they had, so it does not need a
// marketing consent (GDPR legitimate interest; CAN-SPAM "transactional
// or relationship" content carries no advertising). It is still not
// sent to
//   - contacts without an email address,
//   - contacts whose newest marketing-email entry in the consent ledger is
//     a withdrawal: someone who asked to get no more mail from us
//     (the preference centre's "leave everything") did not ask for this,
//   - contacts who already answered this survey, and
//   - contacts sent this survey in the last crm.SurveyResendAfter,
// and each of those is counted in the report under its reason.

// maxSendIDs bounds one request's list of contact ids.
const maxSendIDs = 500

// surveyMailer holds what every invitation of one send needs, read
// before the transaction: the signer reads its key from the writer.
type surveyMailer struct {
	signer *sign.Signer
	base   string
}

func (db *DB) surveyMailer(ctx context.Context) (*surveyMailer, error) {
	s, err := db.Signer(ctx)
	if err != nil {
		return nil, err
	}
	return &surveyMailer{signer: s, base: db.PublicURL(ctx)}, nil
}

// link is a contact's personal link to a survey.
func (m *surveyMailer) link(s *crm.Survey, contactID int64, exp time.Time) string {
	tok := m.signer.Token(crm.TokenSurvey, fmt.Sprintf("%d:%d", s.ID, contactID), exp)
	return m.base + "/s/" + url.PathEscape(s.Slug) + "?t=" + url.QueryEscape(tok)
}

// SendSurvey invites each contact by mail.
func (db *DB) SendSurvey(ctx context.Context, id int64, contactIDs []int64) (*crm.SurveySendReport, error) {
	a, err := authorizeSend(ctx)
	if err != nil {
		return nil, err
	}
	var v crm.Validation
	switch {
	case len(contactIDs) == 0:
		v.Add("contact_ids", "required")
	case len(contactIDs) > maxSendIDs:
		v.Add("contact_ids", "too_many", maxSendIDs)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ids := slices.Clone(contactIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	m, err := db.surveyMailer(ctx)
	if err != nil {
		return nil, err
	}
	rep := &crm.SurveySendReport{Matched: len(ids), Skipped: map[string]int{}}
	err = db.inTx(ctx, func(tx *Tx) error {
		s, err := db.sendableSurvey(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, cid := range ids {
			c, err := db.findContact(ctx, tx, a, cid)
			if err != nil {
				return invalidRef(err, true)
			}
			if err := tx.inviteToSurvey(ctx, a, m, s, c, rep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// SendSurveyToList invites the contacts a list filter matches, at most
// crm.MaxSurveySend of them; the rest are counted as capped. The list is
// read with the caller's own rights, so own-only roles reach only their
// contacts. Invitations are written in transactions of maxSendIDs.
func (db *DB) SendSurveyToList(ctx context.Context, id int64, f crm.ContactFilter) (*crm.SurveySendReport, error) {
	a, err := authorizeSend(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := db.sendableSurvey(ctx, db.read, id); err != nil {
		return nil, err
	}
	m, err := db.surveyMailer(ctx)
	if err != nil {
		return nil, err
	}
	f.After, f.Limit, f.WithTotal = "", maxSendIDs, true
	rep := &crm.SurveySendReport{Skipped: map[string]int{}}
	var todo []*crm.Contact
	for {
		page, err := db.FindContacts(ctx, f)
		if err != nil {
			return nil, err
		}
		if f.WithTotal {
			rep.Matched, f.WithTotal = page.Total, false
		}
		todo = append(todo, page.Items...)
		if page.Next == "" || len(todo) >= crm.MaxSurveySend {
			break
		}
		f.After = page.Next
	}
	if len(todo) > crm.MaxSurveySend {
		todo = todo[:crm.MaxSurveySend]
	}
	rep.Capped = max(0, rep.Matched-len(todo))
	for chunk := range slices.Chunk(todo, maxSendIDs) {
		err := db.inTx(ctx, func(tx *Tx) error {
			s, err := db.sendableSurvey(ctx, tx, id)
			if err != nil {
				return err
			}
			for _, c := range chunk {
				if err := tx.inviteToSurvey(ctx, a, m, s, c, rep); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func authorizeSend(ctx context.Context) (*crm.Actor, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Write)); err != nil {
		return nil, err
	}
	return crm.Authorize(ctx, crm.P(crm.ResContacts, crm.Read))
}

// sendableSurvey returns the survey if it can be sent: only an active
// survey accepts answers, so only an active one is sent.
func (db *DB) sendableSurvey(ctx context.Context, q queryer, id int64) (*crm.Survey, error) {
	s, err := db.findSurvey(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if s.Status != crm.SurveyActive {
		return nil, &crm.Error{Code: crm.ECONFLICT, Message: "only an active survey can be sent",
			Fields: []crm.FieldError{{Field: "status", Key: "survey_not_active"}}}
	}
	return s, nil
}

// inviteToSurvey queues one invitation, or counts why it was skipped.
func (tx *Tx) inviteToSurvey(ctx context.Context, a *crm.Actor, m *surveyMailer, s *crm.Survey, c *crm.Contact, rep *crm.SurveySendReport) error {
	reason, err := tx.surveySkip(ctx, s, c)
	if err != nil {
		return err
	}
	if reason != "" {
		rep.Skipped[reason]++
		return nil
	}
	exp := tx.now.Add(crm.SurveyLinkTTL)
	link := m.link(s, c.ID, exp)
	l := i18n.Get(c.Language)
	intro := s.Intro
	if intro == "" {
		intro = l.T("surveys.mail.intro")
	}
	greeting := l.T("surveys.mail.greeting_anon")
	if n := c.Name(); n != "" {
		greeting = l.T("surveys.mail.greeting", n)
	}
	until := l.T("surveys.mail.until", l.Date(exp))
	// The footer of every message to a contact: their preference centre.
	pl, err := readPrefsLink(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	prefs := m.base + "/p/" + m.signer.Token(crm.TokenPreferences, prefsSubject(c.ID, pl.version), time.Time{})
	prefsText := l.T("surveys.mail.preferences")
	text := greeting + "\n\n" + intro + "\n\n" + link + "\n\n" + until + "\n\n-- \n" + prefsText + " " + prefs + "\n"
	htm := `<p>` + html.EscapeString(greeting) + `</p><p>` + strings.ReplaceAll(html.EscapeString(intro), "\n", "<br>") +
		`</p><p><a href="` + html.EscapeString(link) + `">` + html.EscapeString(l.T("surveys.mail.button")) + `</a></p><p>` + html.EscapeString(until) +
		`</p><hr><p><small><a href="` + html.EscapeString(prefs) + `">` + html.EscapeString(prefsText) + `</a></small></p>`
	subject := l.T("surveys.mail.subject", strings.NewReplacer("\r", " ", "\n", " ").Replace(s.Name))
	cid := c.ID
	mailID, err := tx.enqueueMail(ctx, crm.MailMessage{To: c.Email, ToName: strings.NewReplacer("\r", " ", "\n", " ").Replace(c.Name()),
		Subject: subject, Text: text, HTML: htm, Kind: crm.MailSurvey, ContactID: &cid})
	if err != nil {
		if crm.ErrorCode(err) == crm.EINVALID {
			rep.Skipped[crm.SkipNoEmail]++ // an address the outbox refuses
			return nil
		}
		return err
	}
	var sendID int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO survey_sends (survey_id, contact_id, mail_id, actor, sent_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		s.ID, c.ID, mailID, a.Label(), ms(tx.now)).Scan(&sendID); err != nil {
		return err
	}
	rep.Sent++
	return tx.audit(ctx, "send", "survey", s.ID, nil, map[string]any{"contact_id": c.ID, "mail_id": mailID})
}

// surveySkip returns why c is not to be invited to s, or "".
func (tx *Tx) surveySkip(ctx context.Context, s *crm.Survey, c *crm.Contact) (string, error) {
	if c.Email == "" {
		return crm.SkipNoEmail, nil
	}
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM consents WHERE contact_id = $1 AND purpose = $2 AND channel = $3 ORDER BY id DESC LIMIT 1`,
		c.ID, crm.PurposeMarketing, crm.ChannelEmail).Scan(&status)
	switch {
	case err == nil && status == crm.ConsentWithdrawn:
		return crm.SkipOptedOut, nil
	case err != nil && err != sql.ErrNoRows:
		return "", err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND contact_id = $2`, s.ID, c.ID).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return crm.SkipAnswered, nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_sends WHERE survey_id = $1 AND contact_id = $2 AND sent_at > $3`,
		s.ID, c.ID, ms(tx.now.Add(-crm.SurveyResendAfter))).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return crm.SkipRecent, nil
	}
	return "", nil
}
