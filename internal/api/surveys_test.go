package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, surveyMatrix) }

// surveyMatrix adds every survey operation to the authorisation matrix;
// its snapshot is the surveys, their answers and their results (which
// count the invitations).
func surveyMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	s, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("matrix"), Name: ptr("Matrix"), Status: ptr(crm.SurveyActive)})
	must(t, err)
	gone, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("matrix-gone"), Name: ptr("Gone")})
	must(t, err)
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sue"), Email: ptr("sue@example.com")})
	must(t, err)
	id := fmt.Sprint(s.ID)
	routes := []matrixRoute{
		{"GET", "/surveys", nil, ps(surveysR)},
		{"POST", "/surveys", map[string]any{"slug": "matrix-new", "name": "New"}, ps(surveysW)},
		{"GET", "/surveys/" + id, nil, ps(surveysR)},
		{"PATCH", "/surveys/" + id, map[string]any{"name": "Renamed"}, ps(surveysW)},
		{"GET", "/surveys/" + id + "/responses", nil, ps(surveysR)},
		{"GET", "/surveys/" + id + "/results", nil, ps(surveysR)},
		{"POST", "/surveys/" + id + "/send", map[string]any{"contact_ids": []int64{c.ID}}, ps(surveysW, contactsR)},
		{"DELETE", fmt.Sprintf("/surveys/%d", gone.ID), nil, ps(surveysW)},
	}
	snap := func() any {
		list, err := db.FindSurveys(ctx)
		must(t, err)
		out := []any{list}
		for _, sv := range list {
			res, err := db.SurveyResults(ctx, sv.ID, crm.SurveyResultsFilter{})
			must(t, err)
			out = append(out, res)
		}
		return out
	}
	return routes, snap
}

// TestSurveysAPI: create with custom questions, bad input is a 422
// naming the field, send reports per reason, answers come back paged
// with a cursor and the results hold the NPS of a known set.
func TestSurveysAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("*")
		reader := e.key("surveys:read")
		r := e.do("POST", "/api/v1/surveys", map[string]any{"slug": "api-nps", "name": "API NPS", "kind": "nps", "status": "active",
			"questions": []map[string]any{{"key": "why", "type": "single", "label": "Why?", "options": []string{"Price", "Service"}}}}, key)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var s crm.Survey
		r.decode(t, &s)
		id := fmt.Sprint(s.ID)
		e.run(t, []scenario{
			{name: "bad slug", method: "POST", url: "/api/v1/surveys", key: key, body: map[string]any{"slug": "Not OK", "name": "x"}, wantStatus: 422, wantContains: []string{"body.slug"}},
			{name: "taken slug", method: "POST", url: "/api/v1/surveys", key: key, body: map[string]any{"slug": "api-nps", "name": "x"}, wantStatus: 409, wantContains: []string{"body.slug"}},
			{name: "choice without options", method: "POST", url: "/api/v1/surveys", key: key, body: map[string]any{"slug": "x1", "name": "x", "questions": []map[string]any{{"key": "a", "type": "single", "label": "A"}}}, wantStatus: 422, wantContains: []string{"body.questions.0.options"}},
			{name: "unknown kind", method: "POST", url: "/api/v1/surveys", key: key, body: map[string]any{"slug": "x2", "name": "x", "kind": "poll"}, wantStatus: 422},
			{name: "reader cannot send", method: "POST", url: "/api/v1/surveys/" + id + "/send", key: reader, body: map[string]any{"contact_ids": []int64{1}}, wantStatus: 403},
			{name: "send nobody", method: "POST", url: "/api/v1/surveys/" + id + "/send", key: key, body: map[string]any{"contact_ids": []int64{}}, wantStatus: 422},
			{name: "unknown parameter", method: "GET", url: "/api/v1/surveys/" + id + "/responses?managr=1", key: reader, wantStatus: 422},
			{name: "bad bucket", method: "GET", url: "/api/v1/surveys/" + id + "/results?bucket=year", key: reader, wantStatus: 422},
		})
		ctx := storetest.System()
		signer, err := db.Signer(ctx)
		must(t, err)
		// Scores 10, 9, 8, 3: two promoters, one passive, one detractor → NPS 25.
		var ids []int64
		for i, sc := range []int{10, 9, 8, 3} {
			c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("P"), Email: ptr(fmt.Sprintf("p%d@example.com", i))})
			must(t, err)
			ids = append(ids, c.ID)
			tok := signer.Token(crm.TokenSurvey, fmt.Sprintf("%d:%d", s.ID, c.ID), time.Now().Add(time.Hour))
			_, err = db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &sc, Comment: "c"})
			must(t, err)
		}
		noMail, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("N")})
		must(t, err)
		fresh, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("F"), Email: ptr("f@example.com")})
		must(t, err)
		e.run(t, []scenario{
			{name: "send", method: "POST", url: "/api/v1/surveys/" + id + "/send", key: key, body: map[string]any{"contact_ids": []int64{ids[0], noMail.ID, fresh.ID}}, wantStatus: 200,
				wantContains: []string{`"sent":1`, `"answered":1`, `"no_email":1`, `"matched":3`}},
			{name: "results", method: "GET", url: "/api/v1/surveys/" + id + "/results", key: reader, wantStatus: 200,
				wantContains: []string{`"nps":25`, `"promoters":2`, `"responses":4`, `"sent":1`, `"distribution":[0,0,0,1,0,0,0,0,1,1,1]`}},
			{name: "first page", method: "GET", url: "/api/v1/surveys/" + id + "/responses?limit=3", key: reader, wantStatus: 200, wantContains: []string{`"next_cursor"`}},
			{name: "kind fixed", method: "PATCH", url: "/api/v1/surveys/" + id, key: key, body: map[string]any{"kind": "csat"}, wantStatus: 422, wantContains: []string{"body.kind"}},
		})
		r = e.do("GET", "/api/v1/surveys/"+id+"/responses?limit=3", nil, reader)
		var p struct {
			Items []crm.SurveyResponse `json:"items"`
			Next  string               `json:"next_cursor"`
		}
		r.decode(t, &p)
		r = e.do("GET", "/api/v1/surveys/"+id+"/responses?limit=3&after="+p.Next, nil, reader)
		var p2 struct {
			Items []crm.SurveyResponse `json:"items"`
			Next  string               `json:"next_cursor"`
		}
		r.decode(t, &p2)
		if len(p.Items) != 3 || len(p2.Items) != 1 || p2.Next != "" || p2.Items[0].ID >= p.Items[2].ID {
			t.Errorf("pages = %d + %d (next %q)", len(p.Items), len(p2.Items), p2.Next)
		}
	})
}
