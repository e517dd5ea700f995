package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// matrixRoute is one operation of the authorisation matrix: a request
// that succeeds for a caller holding perms.
type matrixRoute struct {
	method, path string
	body         any
	perms        []crm.Permission
}

// matrixParts add the operations of one feature area (orders, deals,
// webhooks…) to the matrix, each from its own file: a part makes the
// records its requests need and returns a snapshot of the tables it
// owns, so a refused request is also shown to change nothing there.
var matrixParts []func(t *testing.T, db *store.DB) ([]matrixRoute, func() any)

// TestAuthorizationMatrix sends every route with no key, a bad key, a
// revoked key and a key of each single scope (and *). A key that lacks the
// route's permission is refused with 401 or 403 and changes nothing; a key
// that has it is not refused.
func TestAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := storetest.System()
		c1, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		must(t, err)
		c2, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada2@example.com")})
		must(t, err)
		co, err := db.CreateCompany(ctx, crm.CompanyInput{Name: ptr("Acme")})
		must(t, err)
		act, err := db.CreateActivity(ctx, crm.ActivityInput{Kind: ptr("note"), ContactID: &c1.ID, Body: ptr("hello")})
		must(t, err)
		task, err := db.CreateTask(ctx, crm.TaskInput{Title: ptr("Call Ada"), ContactID: &c1.ID})
		must(t, err)
		cf, err := db.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("vip"), Label: ptr("VIP"), Type: ptr("boolean")})
		must(t, err)
		_, u := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		victim, _, err := db.CreateAPIKey(ctx, "victim", []string{"contacts:read"})
		must(t, err)

		routes := []matrixRoute{
			{"GET", "/contacts", nil, ps(contactsR)},
			{"POST", "/contacts", map[string]any{"first_name": "New"}, ps(contactsW)},
			{"POST", "/contacts/bulk", map[string]any{"ids": []int64{c1.ID}, "add_tags": []string{"x"}}, ps(contactsW)},
			{"GET", fmt.Sprintf("/contacts/%d", c1.ID), nil, ps(contactsR)},
			{"PATCH", fmt.Sprintf("/contacts/%d", c1.ID), map[string]any{"title": "Dr"}, ps(contactsW)},
			{"GET", fmt.Sprintf("/contacts/%d/duplicates", c1.ID), nil, ps(contactsR)},
			{"GET", fmt.Sprintf("/contacts/%d/activities", c1.ID), nil, ps(contactsR, activitiesR)},
			{"POST", fmt.Sprintf("/contacts/%d/merge", c1.ID), map[string]any{"other_id": c2.ID}, ps(contactsW)},
			{"GET", "/companies", nil, ps(companiesR)},
			{"POST", "/companies", map[string]any{"name": "Globex"}, ps(companiesW)},
			{"GET", fmt.Sprintf("/companies/%d", co.ID), nil, ps(companiesR)},
			{"PATCH", fmt.Sprintf("/companies/%d", co.ID), map[string]any{"industry": "Rockets"}, ps(companiesW)},
			{"GET", "/activities", nil, ps(activitiesR)},
			{"POST", "/activities", map[string]any{"kind": "call", "contact_id": c1.ID, "subject": "Hi"}, ps(activitiesW)},
			{"GET", fmt.Sprintf("/activities/%d", act.ID), nil, ps(activitiesR)},
			{"PATCH", fmt.Sprintf("/activities/%d", act.ID), map[string]any{"subject": "Re"}, ps(activitiesW)},
			{"GET", "/tasks", nil, ps(tasksR)},
			{"POST", "/tasks", map[string]any{"title": "Follow up"}, ps(tasksW)},
			{"GET", fmt.Sprintf("/tasks/%d", task.ID), nil, ps(tasksR)},
			{"PATCH", fmt.Sprintf("/tasks/%d", task.ID), map[string]any{"status": "done"}, ps(tasksW)},
			{"GET", "/custom-fields", nil, ps(customFieldsR)},
			{"POST", "/custom-fields", map[string]any{"entity": "company", "key": "tier", "label": "Tier", "type": "text"}, ps(customFieldsW)},
			{"GET", fmt.Sprintf("/custom-fields/%d", cf.ID), nil, ps(customFieldsR)},
			{"PATCH", fmt.Sprintf("/custom-fields/%d", cf.ID), map[string]any{"label": "V.I.P."}, ps(customFieldsW)},
			{"GET", "/users", nil, ps(usersR)},
			{"POST", "/users", map[string]any{"email": "new@example.com", "name": "New", "role": "support", "password": "long enough password"}, ps(usersW)},
			{"PATCH", fmt.Sprintf("/users/%d", u.ID), map[string]any{"name": "Samuel"}, ps(usersW)},
			{"GET", "/api-keys", nil, ps(apiKeysR)},
			{"POST", "/api-keys", map[string]any{"name": "ci", "scopes": []string{"contacts:read"}}, ps(apiKeysW)},
			{"GET", "/audit", nil, ps(auditR)},
		}
		var snaps []func() any
		for _, part := range matrixParts {
			rs, snap := part(t, db)
			routes = append(routes, rs...)
			snaps = append(snaps, snap)
		}
		routes = append(routes, []matrixRoute{
			// Deletes last, so the records above exist while other keys try.
			{"DELETE", fmt.Sprintf("/activities/%d", act.ID), nil, ps(activitiesW)},
			{"DELETE", fmt.Sprintf("/tasks/%d", task.ID), nil, ps(tasksW)},
			{"DELETE", fmt.Sprintf("/custom-fields/%d", cf.ID), nil, ps(customFieldsW)},
			{"DELETE", fmt.Sprintf("/contacts/%d", c1.ID), nil, ps(contactsW)},
			{"DELETE", fmt.Sprintf("/companies/%d", co.ID), nil, ps(companiesW)},
			{"DELETE", fmt.Sprintf("/api-keys/%d", victim.ID), nil, ps(apiKeysW)},
		}...)
		snapshot := func(t testing.TB, db *store.DB) string {
			s := snapshot(t, db)
			for _, snap := range snaps {
				b, err := json.Marshal(snap())
				must(t, err)
				s += string(b)
			}
			return s
		}

		type caller struct {
			name, secret string
			scopes       []string // nil: not authenticated
		}
		revoked := e.key("*")
		revokedKey, err := db.ActorForAPIKey(ctx, revoked)
		must(t, err)
		must(t, db.RevokeAPIKey(ctx, revokedKey.APIKeyID))
		callers := []caller{{"no key", "", nil}, {"bad key", "ecrm_" + strings.Repeat("0", 43), nil}, {"revoked key", revoked, nil}}
		for _, res := range crm.Resources {
			for _, act := range []string{"read", "write"} {
				s := res + ":" + act
				callers = append(callers, caller{s, e.key(s), []string{s}})
			}
		}
		callers = append(callers, caller{"*", e.key("*"), []string{"*"}})

		// Every operation of the document must be in the matrix.
		covered := map[*openapi3.Operation]bool{}
		for _, rt := range routes {
			req, _ := http.NewRequest(rt.method, "/api/v1"+rt.path, nil)
			route, _, err := contract.router.FindRoute(req)
			if err != nil {
				t.Fatalf("%s %s: %v", rt.method, rt.path, err)
			}
			covered[route.Operation] = true
		}
		total := 0
		for _, item := range contract.doc.Paths.Map() {
			total += len(item.Operations())
		}
		if len(covered) != total {
			t.Fatalf("matrix covers %d operations, the document has %d", len(covered), total)
		}
		// Every refused request goes first, all between one snapshot before
		// and one after (a snapshot reads every table: one per route was
		// most of this test's time), on the records as the parts made
		// them; then the allowed ones, route by route. Refused requests
		// must change nothing, so the allowed ones see what they saw when
		// the two were interleaved. The newest audit entry, which every
		// store write moves, is read per route to name the route that
		// changed something.
		refused := func(rt matrixRoute, c caller) bool {
			actor := &crm.Actor{APIKeyID: 1, Scopes: c.scopes}
			allowed := c.scopes != nil
			for _, p := range rt.perms {
				allowed = allowed && actor.Can(p)
			}
			return !allowed
		}
		newestAudit := func() int64 {
			page, err := db.FindAudit(ctx, crm.AuditFilter{Limit: 1})
			must(t, err)
			if len(page.Items) == 0 {
				return 0
			}
			return page.Items[0].ID
		}
		before, audit := snapshot(t, db), newestAudit()
		for _, rt := range routes {
			for _, c := range callers {
				if !refused(rt, c) {
					continue
				}
				r := e.do(rt.method, "/api/v1"+rt.path, rt.body, c.secret)
				name := rt.method + " " + rt.path + " as " + c.name
				switch {
				case c.scopes == nil && r.status != http.StatusUnauthorized:
					t.Errorf("%s: %d, want 401", name, r.status)
				case c.scopes != nil && r.status != http.StatusForbidden:
					t.Errorf("%s: %d, want 403", name, r.status)
				}
			}
			if now := newestAudit(); now != audit {
				t.Errorf("%s %s: a refused request wrote audit entries after #%d up to #%d", rt.method, rt.path, audit, now)
				audit = now
			}
		}
		if after := snapshot(t, db); after != before {
			i := 0
			for i < min(len(before), len(after)) && before[i] == after[i] {
				i++
			}
			from := max(0, i-200)
			t.Errorf("refused requests changed the database; first difference:\nbefore …%.400s\nafter  …%.400s", before[from:], after[from:])
		}
		for _, rt := range routes {
			for _, c := range callers {
				if refused(rt, c) {
					continue
				}
				r := e.do(rt.method, "/api/v1"+rt.path, rt.body, c.secret)
				if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
					t.Errorf("%s %s as %s: %d %s, want it allowed", rt.method, rt.path, c.name, r.status, r.body)
				}
			}
		}
	})
}

func ps(p ...crm.Permission) []crm.Permission { return p }
