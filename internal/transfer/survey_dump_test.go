package transfer_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillSurveys) }

// fillSurveys fills the survey tables: a survey with a custom question,
// an invitation, the invited contact's answer changed once (so the
// history is not empty) and an anonymous answer.
func fillSurveys(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	s, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("dump-nps"), Name: ptr("NPS"), Status: ptr(crm.SurveyActive), Anonymous: ptr(true),
		Questions: &[]crm.SurveyQuestion{{Key: "why", Type: crm.QuestionMultiple, Label: "Why?", Options: []string{"Price", "Service"}}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Rita"), Email: ptr("rita.survey@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SendSurvey(ctx, s.ID, []int64{c.ID}); err != nil {
		t.Fatal(err)
	}
	signer, err := db.Signer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok := signer.Token(crm.TokenSurvey, strconv.FormatInt(s.ID, 10)+":"+strconv.FormatInt(c.ID, 10), time.Now().Add(time.Hour))
	for _, score := range []int{6, 9} {
		if _, err := db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &score, Comment: "ok", Answers: map[string][]string{"why": {"Price", "Service"}}}); err != nil {
			t.Fatal(err)
		}
	}
	ten := 10
	if _, err := db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Score: &ten, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
}
