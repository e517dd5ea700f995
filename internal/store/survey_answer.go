package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/sign"
)

// CheckSurveyToken verifies a personal link for the public page: the
// survey must be the one the token was made for, and the contact must
// still exist. A token only ever opens its own survey for its own
// contact; the subject is signed, so changing the ids breaks the MAC.
func (db *DB) CheckSurveyToken(ctx context.Context, slug, token string) (*crm.Survey, *crm.Contact, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read)); err != nil {
		return nil, nil, err
	}
	s, err := db.findSurveyBySlug(ctx, db.read, slug)
	if err != nil {
		return nil, nil, err
	}
	signer, err := db.Signer(ctx)
	if err != nil {
		return nil, nil, err
	}
	cid, err := db.surveyTokenContact(signer, s, token)
	if err != nil {
		return nil, nil, err
	}
	c, err := db.findContact(ctx, db.read, crm.SystemActor, cid)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return nil, nil, crm.ErrSurveyLinkInvalid
	}
	return s, c, err
}

// surveyTokenContact returns the contact id a token was made for, if it
// was made for s.
func (db *DB) surveyTokenContact(signer *sign.Signer, s *crm.Survey, token string) (int64, error) {
	subject, err := signer.Verify(crm.TokenSurvey, token, db.Now())
	if errors.Is(err, sign.ErrExpired) {
		return 0, crm.ErrSurveyLinkExpired
	}
	if err != nil {
		return 0, crm.ErrSurveyLinkInvalid
	}
	sid, cid, ok := strings.Cut(subject, ":")
	si, err1 := strconv.ParseInt(sid, 10, 64)
	ci, err2 := strconv.ParseInt(cid, 10, 64)
	if !ok || err1 != nil || err2 != nil || si != s.ID || ci <= 0 {
		return 0, crm.ErrSurveyLinkInvalid
	}
	return ci, nil
}

// AnswerSurvey records an answer from the public page. With a token the
// answer is the contact's: a second answer replaces the first and keeps
// it in the history, and either lands on the contact's timeline in the
// same transaction. Without a token the survey must allow anonymous
// answers.
func (db *DB) AnswerSurvey(ctx context.Context, in crm.SurveyAnswer) (*crm.SurveyResponse, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Write)); err != nil {
		return nil, err
	}
	s, err := db.findSurveyBySlug(ctx, db.read, in.Slug)
	if err != nil {
		return nil, err
	}
	var cid int64
	if in.Token != "" {
		signer, err := db.Signer(ctx)
		if err != nil {
			return nil, err
		}
		if cid, err = db.surveyTokenContact(signer, s, in.Token); err != nil {
			return nil, err
		}
	} else if !s.Anonymous {
		return nil, crm.ErrSurveyLinkInvalid
	}
	if s.Status != crm.SurveyActive {
		return nil, crm.ErrSurveyClosed
	}
	answers, err := s.CheckAnswer(&in)
	if err != nil {
		return nil, err
	}
	r := &crm.SurveyResponse{SurveyID: s.ID, Score: in.Score, Comment: in.Comment, Answers: answers, Channel: crm.ChannelEmbed,
		IP: in.IP, UserAgent: in.UserAgent, History: []crm.SurveyRevision{}}
	// Answers of one contact racing (a double click) meet at the unique
	// index or the revision check; the loser runs again on the winner's
	// version and replaces it.
	for attempt := 0; ; attempt++ {
		err = db.answerTx(ctx, s, cid, r)
		if attempt < maxAnswerAttempts && crm.ErrorCode(err) == crm.ECONFLICT {
			r.ID, r.Revisions, r.History = 0, 0, []crm.SurveyRevision{}
			continue
		}
		break
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// maxAnswerAttempts bounds the reruns of a racing answer.
const maxAnswerAttempts = 8

var errAnswerRaced = crm.Errorf(crm.ECONFLICT, "the answer was changed at the same time")

func (db *DB) answerTx(ctx context.Context, s *crm.Survey, cid int64, r *crm.SurveyResponse) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if cid == 0 {
			return tx.insertResponse(ctx, r)
		}
		c, err := db.findContact(ctx, tx, crm.SystemActor, cid)
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return crm.ErrSurveyLinkInvalid
		}
		if err != nil {
			return err
		}
		r.ContactID, r.ManagerID, r.Channel = &c.ID, c.OwnerID, crm.ChannelLink
		prev, err := db.findResponse(ctx, tx, `r.survey_id = $1 AND r.contact_id = $2`, s.ID, c.ID)
		switch {
		case crm.ErrorCode(err) == crm.ENOTFOUND:
			err = tx.insertResponse(ctx, r)
		case err == nil:
			err = tx.replaceResponse(ctx, prev, r)
		}
		if err != nil {
			return err
		}
		return tx.surveyTimeline(ctx, s, r, prev)
	})
}

func (tx *Tx) insertResponse(ctx context.Context, r *crm.SurveyResponse) error {
	r.CreatedAt, r.UpdatedAt = tx.now, tx.now
	answers, _ := json.Marshal(r.Answers)
	if err := tx.QueryRowContext(ctx, `INSERT INTO survey_responses (survey_id, contact_id, manager_id, score, comment, answers, channel, ip, user_agent, revisions, history, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, '[]', $10, $10) RETURNING id`,
		r.SurveyID, nullID(r.ContactID), nullID(r.ManagerID), nullInt(r.Score), r.Comment, string(answers), r.Channel, r.IP, r.UserAgent, ms(tx.now)).Scan(&r.ID); err != nil {
		return err
	}
	return tx.audit(ctx, "create", "survey_response", r.ID, nil, r)
}

// replaceResponse writes a changed answer over prev, keeping prev's
// version (with the manager it was credited to) in the history.
func (tx *Tx) replaceResponse(ctx context.Context, prev, r *crm.SurveyResponse) error {
	r.ID, r.CreatedAt, r.UpdatedAt = prev.ID, prev.CreatedAt, tx.now
	r.Revisions = prev.Revisions + 1
	r.History = append(prev.History, crm.SurveyRevision{Score: prev.Score, Comment: prev.Comment, Answers: prev.Answers, ManagerID: prev.ManagerID, At: prev.UpdatedAt})
	if len(r.History) > crm.MaxSurveyHistory {
		r.History = r.History[len(r.History)-crm.MaxSurveyHistory:]
	}
	answers, _ := json.Marshal(r.Answers)
	hist, _ := json.Marshal(r.History)
	// The revision number guards the history: two answers replacing the
	// same version at once (PostgreSQL runs them side by side) would
	// each keep only their own; the one that finds the row moved on
	// reports a conflict and is run again on the newer version.
	res, err := tx.ExecContext(ctx, `UPDATE survey_responses SET manager_id=$1, score=$2, comment=$3, answers=$4, channel=$5, ip=$6, user_agent=$7, revisions=$8, history=$9, updated_at=$10 WHERE id=$11 AND revisions=$12`,
		nullID(r.ManagerID), nullInt(r.Score), r.Comment, string(answers), r.Channel, r.IP, r.UserAgent, r.Revisions, string(hist), ms(tx.now), r.ID, prev.Revisions)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errAnswerRaced
	}
	return tx.audit(ctx, "update", "survey_response", r.ID, prev, r)
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// surveyTimeline puts the answer on the contact's timeline. The subject
// is the survey's name and the score (with the earlier score when the
// answer changed), the outcome its band (promoter, satisfied…) and the
// body the comment and custom answers, as the person wrote them.
func (tx *Tx) surveyTimeline(ctx context.Context, s *crm.Survey, r, prev *crm.SurveyResponse) error {
	subject := s.Name
	if r.Score != nil {
		_, hi := s.ScoreRange()
		score := fmt.Sprintf("%d/%d", *r.Score, hi)
		if prev != nil && prev.Score != nil && *prev.Score != *r.Score {
			score = fmt.Sprintf("%d/%d → %s", *prev.Score, hi, score)
		}
		subject += ": " + score
	}
	if rs := []rune(subject); len(rs) > crm.MaxText {
		subject = string(rs[:crm.MaxText-1]) + "…"
	}
	var body []string
	if r.Comment != "" {
		body = append(body, r.Comment)
	}
	for _, q := range s.Questions {
		a, ok := r.Answers[q.Key]
		if !ok {
			continue
		}
		body = append(body, q.Label+": "+crm.AnswerText(a))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO activities (kind, contact_id, subject, body, outcome, duration_sec, occurred_at, author_id, order_id, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, NULL, NULL, $6)`, crm.KindSurvey, *r.ContactID, subject, strings.Join(body, "\n"), s.Band(r.Score), ms(tx.now))
	return err
}

const responseCols = `r.id, r.survey_id, r.contact_id, r.manager_id, r.score, r.comment, r.answers, r.channel, r.ip, r.user_agent, r.revisions, r.history, r.created_at, r.updated_at,
	COALESCE(NULLIF(TRIM(c.first_name || ' ' || c.last_name), ''), c.email, ''), COALESCE(NULLIF(u.name, ''), u.email, '')`

const responseFrom = ` FROM survey_responses r LEFT JOIN contacts c ON c.id = r.contact_id LEFT JOIN users u ON u.id = r.manager_id`

func scanResponse(row interface{ Scan(...any) error }) (*crm.SurveyResponse, error) {
	var r crm.SurveyResponse
	var contact, manager, score sql.NullInt64
	var answers, hist string
	var created, updated int64
	if err := row.Scan(&r.ID, &r.SurveyID, &contact, &manager, &score, &r.Comment, &answers, &r.Channel, &r.IP, &r.UserAgent, &r.Revisions, &hist,
		&created, &updated, &r.ContactName, &r.ManagerName); err != nil {
		return nil, err
	}
	if contact.Valid {
		r.ContactID = &contact.Int64
	}
	if manager.Valid {
		r.ManagerID = &manager.Int64
	}
	if score.Valid {
		n := int(score.Int64)
		r.Score = &n
	}
	r.Answers, r.History = map[string]any{}, []crm.SurveyRevision{}
	if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(hist), &r.History); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

func (db *DB) findResponse(ctx context.Context, q queryer, where string, args ...any) (*crm.SurveyResponse, error) {
	r, err := scanResponse(q.QueryRowContext(ctx, `SELECT `+responseCols+responseFrom+` WHERE `+where, args...))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "survey response not found")
	}
	return r, db.mapErr(err)
}

// scopeResponses limits an own-only actor to the answers of contacts it
// owns: the comments are its customers' words, not everyone's.
func scopeResponses(q *listQuery, a *crm.Actor) {
	if a.Restricted() {
		q.add("r.contact_id IN (SELECT id FROM contacts WHERE owner_id = " + q.arg(a.UserID) + ")")
	}
}

// FindSurveyResponses lists a survey's answers, latest first.
func (db *DB) FindSurveyResponses(ctx context.Context, f crm.SurveyResponseFilter) (crm.Page[*crm.SurveyResponse], error) {
	var page crm.Page[*crm.SurveyResponse]
	a, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read))
	if err != nil {
		return page, err
	}
	if _, err := db.findSurvey(ctx, db.read, f.SurveyID); err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	q.add("r.survey_id = " + q.arg(f.SurveyID))
	scopeResponses(q, a)
	if f.ManagerID != nil {
		if *f.ManagerID == 0 {
			q.add("r.manager_id IS NULL")
		} else {
			q.add("r.manager_id = " + q.arg(*f.ManagerID))
		}
	}
	if f.After != "" {
		var c idCursor
		if err := decodeCursor(f.After, &c); err != nil {
			return page, err
		}
		q.add("r.id < " + q.arg(c.ID))
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+responseCols+responseFrom+` WHERE `+q.sql()+` ORDER BY r.id DESC LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	p, err := idPage(rows, limit, scanResponse, func(x *crm.SurveyResponse) int64 { return x.ID })
	return p, db.mapErr(err)
}

// FindContactSurveyResponses lists a contact's answers to every survey,
// latest first: the 360 page's surveys block.
func (db *DB) FindContactSurveyResponses(ctx context.Context, contactID int64) ([]*crm.SurveyResponse, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read))
	if err != nil {
		return nil, err
	}
	if _, err := db.findContact(ctx, db.read, a, contactID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+responseCols+responseFrom+` WHERE r.contact_id = $1 ORDER BY r.updated_at DESC, r.id DESC LIMIT 100`, contactID)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.SurveyResponse{}
	for rows.Next() {
		r, err := scanResponse(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, db.mapErr(rows.Err())
}

// mergeSurveys moves the merged-away contact's answers and invitations
// to the kept contact. Where both answered the same survey the kept
// contact's answer stays and the other goes (one answer per person);
// the timeline entries of both remain.
func (tx *Tx) mergeSurveys(ctx context.Context, keepID, otherID int64) error {
	for _, q := range []string{
		`DELETE FROM survey_responses WHERE contact_id = $2 AND survey_id IN (SELECT survey_id FROM survey_responses WHERE contact_id = $1)`,
		`UPDATE survey_responses SET contact_id = $1 WHERE contact_id = $2`,
		`UPDATE survey_sends SET contact_id = $1 WHERE contact_id = $2`,
	} {
		if _, err := tx.ExecContext(ctx, q, keepID, otherID); err != nil {
			return err
		}
	}
	return nil
}
