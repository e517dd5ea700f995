package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/ecrm/ecrm/internal/crm"
)

// Surveys (survey*.go): definitions here, invitations in survey_send.go,
// answers in survey_answer.go, results in survey_results.go.

const surveyCols = `id, slug, name, kind, question, questions, intro, thank_you, status, anonymous, created_at, updated_at`

func scanSurvey(row interface{ Scan(...any) error }) (*crm.Survey, error) {
	var s crm.Survey
	var qs string
	var created, updated int64
	if err := row.Scan(&s.ID, &s.Slug, &s.Name, &s.Kind, &s.Question, &qs, &s.Intro, &s.ThankYou, &s.Status, &s.Anonymous, &created, &updated); err != nil {
		return nil, err
	}
	s.Questions = []crm.SurveyQuestion{}
	if err := json.Unmarshal([]byte(qs), &s.Questions); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return &s, nil
}

// FindSurveys lists every survey, newest first.
func (db *DB) FindSurveys(ctx context.Context) ([]*crm.Survey, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read)); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+surveyCols+` FROM surveys ORDER BY id DESC`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := []*crm.Survey{}
	for rows.Next() {
		s, err := scanSurvey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, db.mapErr(rows.Err())
}

// FindSurveyByID returns one survey.
func (db *DB) FindSurveyByID(ctx context.Context, id int64) (*crm.Survey, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read)); err != nil {
		return nil, err
	}
	return db.findSurvey(ctx, db.read, id)
}

func (db *DB) findSurvey(ctx context.Context, q queryer, id int64) (*crm.Survey, error) {
	s, err := scanSurvey(q.QueryRowContext(ctx, `SELECT `+surveyCols+` FROM surveys WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "survey %d not found", id)
	}
	return s, db.mapErr(err)
}

// FindSurveyBySlug returns a survey that respondents may see: a draft
// does not exist for them.
func (db *DB) FindSurveyBySlug(ctx context.Context, slug string) (*crm.Survey, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read)); err != nil {
		return nil, err
	}
	return db.findSurveyBySlug(ctx, db.read, slug)
}

func (db *DB) findSurveyBySlug(ctx context.Context, q queryer, slug string) (*crm.Survey, error) {
	if len(slug) > crm.MaxSlug {
		return nil, crm.Errorf(crm.ENOTFOUND, "survey not found")
	}
	s, err := scanSurvey(q.QueryRowContext(ctx, `SELECT `+surveyCols+` FROM surveys WHERE slug = $1 AND status <> 'draft'`, slug))
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "survey not found")
	}
	return s, db.mapErr(err)
}

func applySurveyInput(s *crm.Survey, in *crm.SurveyInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&s.Slug, in.Slug)
	set(&s.Name, in.Name)
	set(&s.Kind, in.Kind)
	set(&s.Question, in.Question)
	set(&s.Intro, in.Intro)
	set(&s.ThankYou, in.ThankYou)
	set(&s.Status, in.Status)
	if in.Questions != nil {
		s.Questions = *in.Questions
	}
	if in.Anonymous != nil {
		s.Anonymous = *in.Anonymous
	}
	if s.Questions == nil {
		s.Questions = []crm.SurveyQuestion{}
	}
}

// CreateSurvey stores a new survey.
func (db *DB) CreateSurvey(ctx context.Context, in crm.SurveyInput) (*crm.Survey, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	var s crm.Survey
	applySurveyInput(&s, &in)
	if err := s.CheckComplete(); err != nil {
		return nil, err
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		s.CreatedAt, s.UpdatedAt = tx.now, tx.now
		qs, _ := json.Marshal(s.Questions)
		if err := tx.QueryRowContext(ctx, `INSERT INTO surveys (slug, name, kind, question, questions, intro, thank_you, status, anonymous, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			s.Slug, s.Name, s.Kind, s.Question, string(qs), s.Intro, s.ThankYou, s.Status, s.Anonymous, ms(tx.now)).Scan(&s.ID); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "survey", s.ID, nil, &s)
	})
	if err != nil {
		return nil, surveySlugConflict(err)
	}
	return &s, nil
}

// surveySlugConflict names the field of a unique violation: the slug is the
// only unique column a survey has.
func surveySlugConflict(err error) error {
	if crm.ErrorCode(err) != crm.ECONFLICT {
		return err
	}
	return &crm.Error{Code: crm.ECONFLICT, Message: "a survey with this address already exists",
		Fields: []crm.FieldError{{Field: "slug", Key: "survey_slug_taken"}}}
}

// UpdateSurvey applies the set fields. The kind is fixed once answers
// exist: an NPS score read as a CSAT score would be nonsense.
func (db *DB) UpdateSurvey(ctx context.Context, id int64, in crm.SurveyInput) (*crm.Survey, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	var s crm.Survey
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findSurvey(ctx, tx, id)
		if err != nil {
			return err
		}
		s = *before
		applySurveyInput(&s, &in)
		if err := s.CheckComplete(); err != nil {
			return err
		}
		if s.Kind != before.Kind {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1`, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				var v crm.Validation
				v.Add("kind", "survey_kind_fixed")
				return v.Err()
			}
		}
		s.UpdatedAt = tx.now
		qs, _ := json.Marshal(s.Questions)
		if _, err := tx.ExecContext(ctx, `UPDATE surveys SET slug=$1, name=$2, kind=$3, question=$4, questions=$5, intro=$6, thank_you=$7, status=$8, anonymous=$9, updated_at=$10 WHERE id=$11`,
			s.Slug, s.Name, s.Kind, s.Question, string(qs), s.Intro, s.ThankYou, s.Status, s.Anonymous, ms(tx.now), id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "survey", id, before, &s)
	})
	if err != nil {
		return nil, surveySlugConflict(err)
	}
	return &s, nil
}

// DeleteSurvey removes a survey with its answers and invitations. The
// timeline entries of the answers stay: they are the customer's words.
func (db *DB) DeleteSurvey(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findSurvey(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM survey_responses WHERE survey_id = $1`, `DELETE FROM survey_sends WHERE survey_id = $1`, `DELETE FROM surveys WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "delete", "survey", id, before, nil)
	})
}

// Surveys, their answers and the record of invitations travel with the
// export: answers are the customers' words, and the sends are what the
// response rate is computed from.
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{Name: "surveys", Columns: cols("id:int slug name kind question questions intro thank_you status anonymous:bool created_at:int updated_at:int"), Sequence: "surveys_id_seq"},
		DumpTable{Name: "survey_responses", Columns: cols("id:int survey_id:int contact_id:int manager_id:int score:int comment answers channel ip user_agent revisions:int history created_at:int updated_at:int"), Sequence: "survey_responses_id_seq"},
		DumpTable{Name: "survey_sends", Columns: cols("id:int survey_id:int contact_id:int mail_id:int actor sent_at:int"), Sequence: "survey_sends_id_seq"},
	)
}
