package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestBadInput: every kind of bad request gets a 4xx problem naming what
// was wrong, and none of them changes anything.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		all := e.key("*")
		ctx := storetest.System()
		if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("score"), Label: ptr("Score"), Type: ptr("number")}); err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada")})
		if err != nil {
			t.Fatal(err)
		}
		one := fmt.Sprintf("/api/v1/contacts/%d", c.ID)
		big := `{"first_name":"` + strings.Repeat("a", 2<<20) + `"}`
		before := snapshot(t, db)
		e.run(t, []scenario{
			{name: "malformed JSON", method: "POST", url: "/api/v1/contacts", key: all, body: `{"first_name":`, wantStatus: 400, wantContains: []string{`"location":"body"`}},
			{name: "malformed JSON on update", method: "PATCH", url: one, key: all, body: `{not json}`, wantStatus: 400},
			{name: "wrong type", method: "POST", url: "/api/v1/contacts", key: all, body: `{"first_name": 42}`, wantStatus: 422, wantContains: []string{`"location":"body.first_name"`}},
			{name: "wrong type in list", method: "POST", url: "/api/v1/contacts", key: all, body: `{"tags": "vip"}`, wantStatus: 422, wantContains: []string{`"location":"body.tags"`}},
			{name: "over-long name", method: "POST", url: "/api/v1/contacts", key: all, body: map[string]any{"first_name": strings.Repeat("x", crm.MaxName+1)},
				wantStatus: 422, wantContains: []string{`"location":"body.first_name"`, "Use at most 200 characters."}},
			{name: "invalid email", method: "POST", url: "/api/v1/contacts", key: all, body: map[string]any{"email": "not-an-email"},
				wantStatus: 422, wantContains: []string{`"location":"body.email"`, "Enter a valid email address."}},
			{name: "invalid email in list", method: "POST", url: "/api/v1/contacts", key: all, body: map[string]any{"first_name": "A", "emails": []string{"a@example.com", "nope"}},
				wantStatus: 422, wantContains: []string{`"location":"body.emails[1]"`}},
			{name: "invalid phone", method: "POST", url: "/api/v1/contacts", key: all, body: map[string]any{"first_name": "A", "phone": "12"},
				wantStatus: 422, wantContains: []string{`"location":"body.phone"`, "Enter a valid phone number."}},
			{name: "unknown custom field", method: "POST", url: "/api/v1/contacts", key: all, body: map[string]any{"first_name": "A", "custom": map[string]any{"nope": 1}},
				wantStatus: 422, wantContains: []string{`"location":"body.custom.nope"`, "There is no such field."}},
			{name: "custom value of wrong type", method: "PATCH", url: one, key: all, body: map[string]any{"custom": map[string]any{"score": "high"}},
				wantStatus: 422, wantContains: []string{`"location":"body.custom.score"`}},
			{name: "2 MiB body", method: "POST", url: "/api/v1/contacts", key: all, body: big, wantStatus: 413, wantContains: []string{`urn:ecrm:problem:too_large`}},
			{name: "2 MiB body with idempotency key", method: "POST", url: "/api/v1/contacts", key: all, body: big, headers: []string{"Idempotency-Key", "big"}, wantStatus: 413},
			{name: "bad sort", method: "GET", url: "/api/v1/contacts?sort=password", key: all, wantStatus: 422, wantContains: []string{`"location":"query.sort"`}},
			{name: "sort injection", method: "GET", url: "/api/v1/contacts?sort=name;DROP%20TABLE%20contacts", key: all, wantStatus: 422},
			{name: "descending sort", method: "GET", url: "/api/v1/contacts?sort=-created_at", key: all, wantStatus: 200},
			{name: "unknown filter", method: "GET", url: "/api/v1/contacts?colour=red", key: all, wantStatus: 422, wantContains: []string{`"location":"query.colour"`}},
			{name: "unknown custom filter", method: "GET", url: "/api/v1/contacts?custom.nope=1", key: all, wantStatus: 422, wantContains: []string{`"location":"query.custom.nope"`}},
			{name: "bad custom operator", method: "GET", url: "/api/v1/contacts?custom.score%5Bxx%5D=1", key: all, wantStatus: 422, wantContains: []string{`"location":"query.custom.score[xx]"`}},
			{name: "custom gt", method: "GET", url: "/api/v1/contacts?custom.score%5Bgt%5D=3", key: all, wantStatus: 200},
			{name: "bad stage", method: "GET", url: "/api/v1/contacts?stage=martian", key: all, wantStatus: 422, wantContains: []string{`"location":"query.stage"`}},
			{name: "bad date", method: "GET", url: "/api/v1/contacts?created_after=yesterday", key: all, wantStatus: 422, wantContains: []string{`query.created_after`}},
			{name: "limit too big", method: "GET", url: "/api/v1/contacts?limit=501", key: all, wantStatus: 422, wantContains: []string{`query.limit`}},
			{name: "limit zero", method: "GET", url: "/api/v1/contacts?limit=0", key: all, wantStatus: 422},
			{name: "bad cursor", method: "GET", url: "/api/v1/contacts?after=!!!", key: all, wantStatus: 422, wantContains: []string{`"location":"query.after"`}},
			{name: "bad id", method: "GET", url: "/api/v1/contacts/abc", key: all, wantStatus: 422, wantContains: []string{`path.id`}},
			{name: "idempotency key too long", method: "POST", url: "/api/v1/contacts", key: all, body: map[string]any{"first_name": "A"},
				headers: []string{"Idempotency-Key", strings.Repeat("k", 256)}, wantStatus: 400, wantContains: []string{`header.Idempotency-Key`}},
			{name: "bulk without ids", method: "POST", url: "/api/v1/contacts/bulk", key: all, body: map[string]any{"add_tags": []string{"x"}}, wantStatus: 422, wantContains: []string{`property ids`}},
			{name: "bad scope", method: "POST", url: "/api/v1/api-keys", key: all, body: map[string]any{"name": "k", "scopes": []string{"root"}}, wantStatus: 422, wantContains: []string{`"location":"body.scopes"`, "root"}},
		})
		if after := snapshot(t, db); after != before {
			t.Errorf("bad requests changed the database")
		}
	})
}

// TestUnauthenticated: no key, a malformed header and an unknown key all
// get 401 with a Bearer challenge.
func TestUnauthenticated(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	for _, h := range []string{"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ecrm_nope", "Bearer " + strings.Repeat("x", 5000)} {
		r := e.send("GET", "/api/v1/contacts", nil, "", true, "Authorization", h)
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization %.20q: %d, WWW-Authenticate %q; want 401 Bearer", h, r.status, r.header.Get("WWW-Authenticate"))
		}
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type = %q, want application/problem+json", ct)
		}
	}
}

// TestInternalErrorsAreNotLeaked: a failing store gives a generic 500.
func TestInternalErrorsAreNotLeaked(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	e := newEnv(t, db)
	key := e.key("*")
	db.Close() // every query now fails with a driver error
	r := e.send("GET", "/api/v1/contacts", nil, key, false)
	if r.status != http.StatusUnauthorized && r.status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500 (or 401 when the key cannot be checked)", r.status)
	}
	for _, leak := range []string{"sql", "database", "closed"} {
		if strings.Contains(strings.ToLower(string(r.body)), leak) {
			t.Errorf("response leaks %q: %s", leak, r.body)
		}
	}
}
