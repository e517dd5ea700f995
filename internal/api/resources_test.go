package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestResources runs the create/read/update/list/delete cycle of the
// other resources and the contact extras through HTTP.
func TestResources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		all := e.key("*")
		created := func(path string, body any) string {
			t.Helper()
			r := e.do("POST", path, body, all)
			if r.status != 201 {
				t.Fatalf("POST %s: %d %s", path, r.status, r.body)
			}
			var v struct{ ID int64 }
			r.decode(t, &v)
			return fmt.Sprint(v.ID)
		}
		co := created("/api/v1/companies", map[string]any{"name": "Acme", "domain": "ACME.example", "tags": []string{"b2b"}})
		c1 := created("/api/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com", "company_id": must64(co)})
		c2 := created("/api/v1/contacts", map[string]any{"first_name": "Ada", "email": "ada@example.com"})
		act := created("/api/v1/activities", map[string]any{"kind": "call", "contact_id": must64(c1), "subject": "Intro", "outcome": "connected", "duration_sec": 60})
		task := created("/api/v1/tasks", map[string]any{"title": "Send offer", "contact_id": must64(c1), "due_at": "2030-01-02T03:04:05Z"})
		cf := created("/api/v1/custom-fields", map[string]any{"entity": "company", "key": "tier", "label": "Tier", "type": "select", "options": []string{"gold", "silver"}})
		e.run(t, []scenario{
			{name: "company list", method: "GET", url: "/api/v1/companies?q=acme&tag=b2b", key: all, wantStatus: 200, wantContains: []string{`"domain":"acme.example"`}},
			{name: "company bad sort", method: "GET", url: "/api/v1/companies?sort=size", key: all, wantStatus: 422},
			{name: "company update", method: "PATCH", url: "/api/v1/companies/" + co, key: all, body: map[string]any{"custom": map[string]any{"tier": "gold"}}, wantStatus: 200, wantContains: []string{`"tier":"gold"`, `"name":"Acme"`}},
			{name: "company bad option", method: "PATCH", url: "/api/v1/companies/" + co, key: all, body: map[string]any{"custom": map[string]any{"tier": "bronze"}}, wantStatus: 422, wantContains: []string{`body.custom.tier`}},
			{name: "company filter by custom", method: "GET", url: "/api/v1/companies?custom.tier=gold", key: all, wantStatus: 200, wantContains: []string{`"Acme"`}},
			{name: "timeline", method: "GET", url: "/api/v1/contacts/" + c1 + "/activities?kind=call", key: all, wantStatus: 200, wantContains: []string{`"subject":"Intro"`}},
			{name: "timeline bad kind", method: "GET", url: "/api/v1/contacts/" + c1 + "/activities?kind=fax", key: all, wantStatus: 422, wantContains: []string{`query.kind`}},
			{name: "activity list", method: "GET", url: "/api/v1/activities?contact_id=" + c1, key: all, wantStatus: 200, wantContains: []string{`"outcome":"connected"`}},
			{name: "activity update", method: "PATCH", url: "/api/v1/activities/" + act, key: all, body: map[string]any{"body": "Went well"}, wantStatus: 200, wantContains: []string{`"body":"Went well"`, `"subject":"Intro"`}},
			{name: "activity bad outcome", method: "PATCH", url: "/api/v1/activities/" + act, key: all, body: map[string]any{"outcome": "maybe"}, wantStatus: 422, wantContains: []string{`body.outcome`}},
			{name: "task list", method: "GET", url: "/api/v1/tasks?status=open", key: all, wantStatus: 200, wantContains: []string{`"title":"Send offer"`}},
			{name: "tasks of a company's people", method: "GET", url: "/api/v1/tasks?company_id=" + co, key: all, wantStatus: 200, wantContains: []string{`"title":"Send offer"`}},
			{name: "contact unlinked from its company", method: "PATCH", url: "/api/v1/contacts/" + c2, key: all, body: map[string]any{"company_id": 0}, wantStatus: 200, wantContains: []string{`"company_id":null`}},
			{name: "task bad status filter", method: "GET", url: "/api/v1/tasks?status=later", key: all, wantStatus: 422},
			{name: "task done", method: "PATCH", url: "/api/v1/tasks/" + task, key: all, body: map[string]any{"status": "done"}, wantStatus: 200, wantContains: []string{`"status":"done"`, `"title":"Send offer"`}},
			{name: "custom fields of companies", method: "GET", url: "/api/v1/custom-fields?entity=company", key: all, wantStatus: 200, wantContains: []string{`"key":"tier"`}},
			{name: "custom field relabel", method: "PATCH", url: "/api/v1/custom-fields/" + cf, key: all, body: map[string]any{"label": "Level"}, wantStatus: 200, wantContains: []string{`"label":"Level"`, `"key":"tier"`}},
			{name: "duplicates", method: "GET", url: "/api/v1/contacts/" + c1 + "/duplicates", key: all, wantStatus: 200, wantContains: []string{`"id":` + c2}},
			{name: "bulk tag", method: "POST", url: "/api/v1/contacts/bulk", key: all, body: map[string]any{"ids": []any{must64(c1), must64(c2), 999999}, "add_tags": []string{"Promo"}}, wantStatus: 200, wantContains: []string{`"affected":2`}},
			{name: "tagged", method: "GET", url: "/api/v1/contacts?tag=promo&total=true", key: all, wantStatus: 200, wantContains: []string{`"total":2`}},
			{name: "merge", method: "POST", url: "/api/v1/contacts/" + c1 + "/merge", key: all, body: map[string]any{"other_id": must64(c2)}, wantStatus: 200, wantContains: []string{`"id":` + c1}},
			{name: "merged is gone", method: "GET", url: "/api/v1/contacts/" + c2, key: all, wantStatus: 404},
			{name: "delete task", method: "DELETE", url: "/api/v1/tasks/" + task, key: all, wantStatus: 204},
			{name: "delete activity", method: "DELETE", url: "/api/v1/activities/" + act, key: all, wantStatus: 204},
			{name: "delete custom field", method: "DELETE", url: "/api/v1/custom-fields/" + cf, key: all, wantStatus: 204},
			{name: "delete company", method: "DELETE", url: "/api/v1/companies/" + co, key: all, wantStatus: 204},
		})
	})
}

func must64(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

// TestAdmin: users and API keys never show secrets; a key's secret is
// shown once, works, and stops working when revoked; the audit log
// records what the API did.
func TestAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.key("users:write", "apikeys:write", "audit:read")
		r := e.do("POST", "/api/v1/users", map[string]any{"email": "Kim@Example.com", "name": "Kim", "role": "sales", "password": "a long password"}, admin)
		if r.status != 201 || strings.Contains(string(r.body), "password") || !strings.Contains(string(r.body), `"email":"kim@example.com"`) {
			t.Errorf("create user: %d %s", r.status, r.body)
		}
		var u crm.User
		r.decode(t, &u)
		e.run(t, []scenario{
			{name: "duplicate user", method: "POST", url: "/api/v1/users", key: admin, body: map[string]any{"email": "kim@example.com", "role": "sales"}, wantStatus: 409},
			{name: "bad role", method: "POST", url: "/api/v1/users", key: admin, body: map[string]any{"email": "x@example.com", "role": "god"}, wantStatus: 422, wantContains: []string{`body.role`}},
			{name: "deactivate", method: "PATCH", url: fmt.Sprintf("/api/v1/users/%d", u.ID), key: admin, body: map[string]any{"active": false}, wantStatus: 200, wantContains: []string{`"active":false`, `"name":"Kim"`}},
			{name: "list users", method: "GET", url: "/api/v1/users", key: admin, wantStatus: 200, wantContains: []string{`"kim@example.com"`}, wantAbsent: []string{"password", "hash"}},
		})

		r = e.do("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "scopes": []string{"contacts:read"}}, admin)
		var nk struct {
			Key    crm.APIKey `json:"key"`
			Secret string     `json:"secret"`
		}
		r.decode(t, &nk)
		if r.status != 201 || !strings.HasPrefix(nk.Secret, "ecrm_") {
			t.Fatalf("create key: %d %s", r.status, r.body)
		}
		list := e.do("GET", "/api/v1/api-keys", nil, admin)
		if strings.Contains(string(list.body), nk.Secret) || strings.Contains(string(list.body), "hash") || !strings.Contains(string(list.body), `"name":"ci"`) {
			t.Errorf("key list shows a secret or misses the key: %s", list.body)
		}
		if r := e.do("GET", "/api/v1/contacts", nil, nk.Secret); r.status != 200 {
			t.Errorf("new key: %d, want 200", r.status)
		}
		if r := e.do("DELETE", fmt.Sprintf("/api/v1/api-keys/%d", nk.Key.ID), nil, admin); r.status != 204 {
			t.Errorf("revoke: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/contacts", nil, nk.Secret); r.status != 401 {
			t.Errorf("revoked key: %d, want 401", r.status)
		}
		e.run(t, []scenario{
			{name: "audit", method: "GET", url: "/api/v1/audit?entity=apikey", key: admin, wantStatus: 200, wantContains: []string{`"action":"revoke"`, `"action":"create"`}, wantAbsent: []string{nk.Secret}},
			{name: "audit page", method: "GET", url: "/api/v1/audit?limit=1", key: admin, wantStatus: 200, wantContains: []string{`"next_cursor"`}},
		})
	})
}
