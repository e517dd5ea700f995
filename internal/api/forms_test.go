package api

import (
	"fmt"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, formMatrix) }

type apiMailer struct{}

func (apiMailer) Notification(n crm.FormNotice) crm.MailMessage {
	return crm.MailMessage{Subject: "New submission", Text: n.ContactURL}
}
func (apiMailer) OptIn(o crm.FormOptInMail) crm.MailMessage {
	return crm.MailMessage{Subject: "Please confirm", Text: o.ConfirmURL}
}

var formFields = []map[string]any{{"name": "email", "label": "Email", "maps": "email", "required": true}}

// formMatrix adds every form operation to the authorisation matrix; its
// snapshot is the forms with their submissions.
func formMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	f, err := db.CreateForm(ctx, crm.FormInput{Name: ptr("Matrix"), Slug: ptr("matrix")})
	must(t, err)
	gone, err := db.CreateForm(ctx, crm.FormInput{Name: ptr("Gone"), Slug: ptr("gone")})
	must(t, err)
	_, err = db.SubmitForm(ctx, crm.FormSubmitInput{Slug: "matrix", Values: map[string][]string{"email": {"matrix@example.com"}}}, apiMailer{})
	must(t, err)
	id := fmt.Sprint(f.ID)
	routes := []matrixRoute{
		{"GET", "/forms", nil, ps(formsR)},
		{"POST", "/forms", map[string]any{"name": "New form", "fields": formFields}, ps(formsW)},
		{"GET", "/forms/" + id, nil, ps(formsR)},
		{"PATCH", "/forms/" + id, map[string]any{"title": "Renamed"}, ps(formsW)},
		{"GET", "/forms/" + id + "/consent-versions", nil, ps(formsR)},
		{"GET", "/forms/" + id + "/submissions", nil, ps(formsR)},
		{"DELETE", fmt.Sprintf("/forms/%d", gone.ID), nil, ps(formsW)},
	}
	snap := func() any {
		list, err := db.FindForms(ctx, "")
		must(t, err)
		out := []any{}
		for _, f := range list {
			// updated_at moves with every PATCH; the title is what changes.
			out = append(out, f.ID, f.Title, f.Slug, f.Status, f.Consents)
			p, err := db.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: f.ID, Limit: 500})
			must(t, err)
			out = append(out, p.Items)
		}
		return out
	}
	return routes, snap
}

// TestFormsAPI: create with fields and consent wording, version bumps on
// a wording change, 422 naming the field, submissions with the consents
// as they were asked, 409 on deleting a form with submissions.
func TestFormsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("forms:write")
		reader := e.key("forms:read")
		body := map[string]any{"name": "Newsletter", "slug": "news", "double_opt_in": true,
			"fields":   append(formFields, map[string]any{"name": "plan", "label": "Plan", "type": "select", "options": []string{"basic", "pro"}}),
			"consents": []map[string]any{{"purpose": "marketing", "channel": "email", "wording": "Email me the newsletter."}}}
		r := e.do("POST", "/api/v1/forms", body, key)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var f crm.Form
		r.decode(t, &f)
		id := fmt.Sprint(f.ID)
		e.run(t, []scenario{
			{name: "get", method: "GET", url: "/api/v1/forms/" + id, key: reader, wantStatus: 200, wantContains: []string{`"slug":"news"`, `"version":1`, `"double_opt_in":true`}},
			{name: "list", method: "GET", url: "/api/v1/forms?status=active", key: reader, wantStatus: 200, wantContains: []string{`"name":"Newsletter"`}},
			{name: "list bad status", method: "GET", url: "/api/v1/forms?status=gone", key: reader, wantStatus: 422},
			{name: "no email field", method: "POST", url: "/api/v1/forms", key: key, body: map[string]any{"name": "X", "fields": []map[string]any{{"name": "n", "label": "N", "type": "text"}}}, wantStatus: 422, wantContains: []string{`body.fields`}},
			{name: "bad slug", method: "POST", url: "/api/v1/forms", key: key, body: map[string]any{"name": "X", "slug": "Not A Slug"}, wantStatus: 422, wantContains: []string{`slug`}},
			{name: "taken slug", method: "POST", url: "/api/v1/forms", key: key, body: map[string]any{"name": "X", "slug": "news"}, wantStatus: 409},
			{name: "bad topic", method: "PATCH", url: "/api/v1/forms/" + id, key: key, body: map[string]any{"consents": []map[string]any{{"purpose": "marketing", "channel": "web", "wording": "x"}}}, wantStatus: 422, wantContains: []string{`body.consents[0].purpose`}},
			{name: "new wording", method: "PATCH", url: "/api/v1/forms/" + id, key: key, body: map[string]any{"consents": []map[string]any{{"purpose": "marketing", "channel": "email", "wording": "Email me news and offers."}}}, wantStatus: 200, wantContains: []string{`"version":2`}},
			{name: "versions", method: "GET", url: "/api/v1/forms/" + id + "/consent-versions", key: reader, wantStatus: 200, wantContains: []string{`"wording":"Email me the newsletter."`, `"wording":"Email me news and offers."`}},
			{name: "reader cannot write", method: "PATCH", url: "/api/v1/forms/" + id, key: reader, body: map[string]any{"title": "x"}, wantStatus: 403},
		})
		if _, err := db.SubmitForm(storetest.System(), crm.FormSubmitInput{Slug: "news", Values: map[string][]string{"email": {"ada@example.com"}, "plan": {"pro"}},
			Ticked: []crm.ConsentTopic{{Purpose: "marketing", Channel: "email"}}, IP: "198.51.100.3"}, apiMailer{}); err != nil {
			t.Fatal(err)
		}
		e.run(t, []scenario{
			{name: "submissions", method: "GET", url: "/api/v1/forms/" + id + "/submissions?status=pending", key: reader, wantStatus: 200,
				wantContains: []string{`"plan":"pro"`, `"status":"pending"`, `"ticked":true`, `"wording_version":"form-` + id + `/marketing.email/v2"`}},
			{name: "submissions unknown parameter", method: "GET", url: "/api/v1/forms/" + id + "/submissions?state=x", key: reader, wantStatus: 422},
			{name: "submissions of a missing form", method: "GET", url: "/api/v1/forms/999999/submissions", key: reader, wantStatus: 404},
			{name: "delete with submissions", method: "DELETE", url: "/api/v1/forms/" + id, key: key, wantStatus: 409},
			{name: "archive", method: "PATCH", url: "/api/v1/forms/" + id, key: key, body: map[string]any{"status": "archived"}, wantStatus: 200, wantContains: []string{`"status":"archived"`}},
		})
	})
}
