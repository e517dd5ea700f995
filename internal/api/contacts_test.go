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

func TestContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		all, read := e.key("*"), e.key("contacts:read")
		ctx := storetest.System()
		if _, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("vip"), Label: ptr("VIP"), Type: ptr("boolean")}); err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Email: ptr("ada@example.com"), Tags: &[]string{"math"}})
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(c.ID)
		e.run(t, []scenario{
			{name: "list", method: "GET", url: "/api/v1/contacts", key: read, wantStatus: 200, wantContains: []string{`"items":[`, `"ada@example.com"`}},
			{name: "list by tag", method: "GET", url: "/api/v1/contacts?tag=math&tag=MATH", key: read, wantStatus: 200, wantContains: []string{`"Lovelace"`}},
			{name: "list by missing tag", method: "GET", url: "/api/v1/contacts?tag=poetry", key: read, wantStatus: 200, wantContains: []string{`"items":[]`}, wantAbsent: []string{"Lovelace"}},
			{name: "list with total", method: "GET", url: "/api/v1/contacts?total=true", key: read, wantStatus: 200, wantContains: []string{`"total":1`}},
			{name: "list by custom", method: "GET", url: "/api/v1/contacts?custom.vip=false", key: read, wantStatus: 200, wantContains: []string{`"Lovelace"`}},
			{name: "list created_after", method: "GET", url: "/api/v1/contacts?created_after=2100-01-01T00:00:00Z", key: read, wantStatus: 200, wantContains: []string{`"items":[]`}},
			{name: "read", method: "GET", url: "/api/v1/contacts/" + id, key: read, wantStatus: 200, wantContains: []string{`"first_name":"Ada"`, `"tags":["math"]`}},
			{name: "read missing", method: "GET", url: "/api/v1/contacts/999999", key: read, wantStatus: 404, wantContains: []string{`"status":404`, `urn:ecrm:problem:not_found`}},
			{name: "create", method: "POST", url: "/api/v1/contacts", key: all, wantStatus: 201,
				body:         map[string]any{"first_name": "Grace", "last_name": "Hopper", "email": " Grace@Example.com ", "phone": "+44 20 7946 0958", "custom": map[string]any{"vip": true}},
				wantContains: []string{`"email":"grace@example.com"`, `"phone":"+442079460958"`, `"vip":true`}},
			{name: "read-only key cannot create", method: "POST", url: "/api/v1/contacts", key: read, body: map[string]any{"first_name": "X"}, wantStatus: 403, wantContains: []string{`urn:ecrm:problem:forbidden`}},
			{name: "partial update keeps other fields", method: "PATCH", url: "/api/v1/contacts/" + id, key: all, body: map[string]any{"title": "Countess"},
				wantStatus: 200, wantContains: []string{`"title":"Countess"`, `"first_name":"Ada"`, `"email":"ada@example.com"`, `"tags":["math"]`}},
			{name: "duplicates", method: "GET", url: "/api/v1/contacts/" + id + "/duplicates", key: read, wantStatus: 200, wantContains: []string{`"items":[`}},
			{name: "timeline needs activities scope", method: "GET", url: "/api/v1/contacts/" + id + "/activities", key: read, wantStatus: 403},
			{name: "timeline", method: "GET", url: "/api/v1/contacts/" + id + "/activities", key: all, wantStatus: 200, wantContains: []string{`"items":[]`}},
		})
		// The unknown endpoint has no operation to validate against, so it
		// is checked without the contract.
		r := e.send("GET", "/api/v1/nope", nil, all, false)
		if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("unknown endpoint: %d %s, want 404 problem", r.status, r.header.Get("Content-Type"))
		}
		// Delete, then it is gone.
		e.run(t, []scenario{
			{name: "delete", method: "DELETE", url: "/api/v1/contacts/" + id, key: all, wantStatus: 204},
			{name: "deleted is gone", method: "GET", url: "/api/v1/contacts/" + id, key: all, wantStatus: 404},
			{name: "delete again", method: "DELETE", url: "/api/v1/contacts/" + id, key: all, wantStatus: 404},
		})
	})
}

// TestMassAssignment: fields a client may not set are rejected with 422
// naming the field, and nothing is stored.
func TestMassAssignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		all := e.key("*")
		c, err := db.CreateContact(storetest.System(), crm.ContactInput{FirstName: ptr("Ada")})
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, db)
		for _, field := range []string{"id", "created_at", "updated_at", "role", "owner_name", "company_name", "password_hash"} {
			for _, m := range []struct{ method, url string }{{"POST", "/api/v1/contacts"}, {"PATCH", fmt.Sprintf("/api/v1/contacts/%d", c.ID)}} {
				r := e.do(m.method, m.url, map[string]any{"first_name": "Eve", field: "2020-01-01T00:00:00Z"}, all)
				if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"location":"body.`+field+`"`) {
					t.Errorf("%s %s with %q: %d %s, want 422 at body.%s", m.method, m.url, field, r.status, r.body, field)
				}
			}
		}
		for _, m := range []struct{ method, url string }{{"POST", "/api/v1/users"}, {"PATCH", "/api/v1/users/1"}} {
			r := e.do(m.method, m.url, map[string]any{"email": "x@example.com", "role": "admin", "password_hash": "x"}, all)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `body.password_hash`) {
				t.Errorf("%s users with password_hash: %d %s, want 422", m.method, r.status, r.body)
			}
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("rejected requests changed the database")
		}
	})
}
