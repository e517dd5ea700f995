package web

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// targets are records made fresh for one request, so a route that
// deletes or merges never spoils the next case.
type targets struct {
	contact, other, company, task, field, view, key, user int64
	token                                                 string
	// ids fill "{id}" in paths under a prefix ("/orders/{id}") for the
	// feature areas of targetParts.
	ids      map[string]int64
	partForm url.Values
}

// targetPart makes the records that the routes of one feature area
// (orders, deals, webhooks…) need, from that area's own test file: it
// sets tg.ids[prefix] for the "{id}" under prefix and returns the form
// an allowed request should send (nil for none). It returns false when
// the path is not its area's.
type targetPart func(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool)

var targetParts []targetPart

var seq atomic.Int64

// targets makes the records the route's URL and form refer to, and only
// those: the matrix sends hundreds of requests.
func (e *env) targets(t *testing.T, pattern string, viewOwner int64) targets {
	t.Helper()
	ctx := sys()
	n := seq.Add(1)
	var tg targets
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, path, _ := strings.Cut(pattern, " ")
	needs := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(path, p) {
				return true
			}
		}
		return false
	}
	if needs("/contacts/{id}", "/contacts/bulk", "/tasks/") {
		c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Tess"), LastName: ptr(fmt.Sprint("Target", n))})
		must(err)
		tg.contact = c.ID
		o, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Otto"), LastName: ptr(fmt.Sprint("Other", n))})
		must(err)
		tg.other = o.ID
		tk, err := e.svc.Tasks.CreateTask(ctx, crm.TaskInput{Title: ptr("Call back"), ContactID: &c.ID})
		must(err)
		tg.task = tk.ID
	}
	if needs("/companies/{id}") {
		co, err := e.svc.Companies.CreateCompany(ctx, crm.CompanyInput{Name: ptr(fmt.Sprintf("Target %d", n))})
		must(err)
		tg.company = co.ID
	}
	if needs("/admin/fields/{id}") {
		f, err := e.svc.CustomFields.CreateCustomField(ctx, crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr(fmt.Sprintf("f%d", n)), Label: ptr("F"), Type: ptr("text")})
		must(err)
		tg.field = f.ID
	}
	if needs("/views/{id}") {
		v, err := e.svc.Views.CreateView(crm.WithActor(ctx, mustActor(t, e, viewOwner)), crm.SavedView{Entity: "contact", Name: "Mine", Query: "q=x"})
		must(err)
		tg.view = v.ID
	}
	if needs("/admin/apikeys/{id}") {
		k, _, err := e.svc.APIKeys.CreateAPIKey(ctx, "k", []string{"contacts:read"})
		must(err)
		tg.key = k.ID
	}
	if needs("/admin/users/{id}") {
		u, err := e.svc.Users.CreateUser(ctx, crm.UserInput{Email: ptr(fmt.Sprintf("target%d@example.com", n)), Role: ptr(crm.RoleSales)})
		must(err)
		tg.user = u.ID
	}
	for _, part := range targetParts {
		if form, ok := part(t, e, pattern, &tg); ok {
			tg.partForm = form
			break
		}
	}
	if needs("/import/run") {
		var err error
		tg.token, err = saveUpload(strings.NewReader("first_name,email\nGrace,grace@example.com\n"))
		must(err)
	}
	return tg
}

// request builds the URL and a valid form for a route, so an allowed
// request succeeds rather than failing validation.
func (tg targets) request(pattern string) (method, path string, form url.Values, multipart bool) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	id := func(n int64) string { return itoa(n) }
	switch {
	case strings.HasPrefix(path, "/contacts/{id}"):
		path = strings.Replace(path, "{id}", id(tg.contact), 1)
	case strings.HasPrefix(path, "/companies/{id}"):
		path = strings.Replace(path, "{id}", id(tg.company), 1)
	case strings.HasPrefix(path, "/views/{id}"):
		path = strings.Replace(path, "{id}", id(tg.view), 1)
	case strings.HasPrefix(path, "/tasks/{id}"):
		path = strings.Replace(path, "{id}", id(tg.task), 1)
	case strings.HasPrefix(path, "/admin/users/{id}"):
		path = strings.Replace(path, "{id}", id(tg.user), 1)
	case strings.HasPrefix(path, "/admin/apikeys/{id}"):
		path = strings.Replace(path, "{id}", id(tg.key), 1)
	case strings.HasPrefix(path, "/admin/fields/{id}"):
		path = strings.Replace(path, "{id}", id(tg.field), 1)
	default:
		for prefix, v := range tg.ids {
			if strings.HasPrefix(path, prefix) {
				path = strings.Replace(path, "{id}", id(v), 1)
				break
			}
		}
	}
	n := seq.Add(1)
	forms := map[string]url.Values{
		"POST /account/password":          {"old_password": {"correct horse battery"}, "new_password": {"a new horse battery"}, "confirm_password": {"a new horse battery"}},
		"POST /contacts/views":            {"name": {"Mine"}, "query": {"q=ada"}},
		"POST /companies/views":           {"name": {"Mine"}, "query": {"q=acme"}},
		"POST /contacts/bulk":             {"id": {id(tg.contact)}, "action": {"add_tag"}, "tag": {"vip"}},
		"POST /contacts":                  {"first_name": {"New"}},
		"POST /contacts/{id}":             {"first_name": {"Changed"}},
		"POST /contacts/{id}/merge":       {"other_id": {id(tg.other)}},
		"POST /contacts/{id}/activities":  {"kind": {"note"}, "body": {"hello"}},
		"POST /contacts/{id}/tasks":       {"title": {"Follow up"}},
		"POST /companies/{id}/tasks":      {"title": {"Renew the contract"}},
		"POST /companies":                 {"name": {"New Co"}},
		"POST /companies/{id}":            {"name": {"Renamed Co"}},
		"POST /companies/{id}/activities": {"kind": {"note"}, "body": {"hello"}},
		"POST /import/preview":            {"entity": {"contact"}, "encoding": {""}},
		"POST /import/run":                {"token": {tg.token}, "entity": {"contact"}, "encoding": {"utf-8"}, "dedupe": {"skip"}, "header": {"first_name", "email"}, "field": {"first_name", "email"}},
		"POST /admin/users":               {"email": {fmt.Sprintf("new%d@example.com", n)}, "role": {"sales"}, "language": {"en"}, "password": {"correct horse battery"}},
		"POST /admin/users/{id}":          {"name": {"Renamed"}, "role": {"support"}, "active": {"true"}, "language": {"fa"}},
		"POST /admin/users/{id}/password": {"password": {"another horse battery"}},
		"POST /admin/roles":               {"role": {"marketing"}, "own_only": {"true"}},
		"POST /admin/apikeys":             {"name": {"Zapier"}, "scope": {"contacts:read"}},
		"POST /admin/fields":              {"entity": {"contact"}, "key": {fmt.Sprintf("g%d", n)}, "label": {"G"}, "type": {"text"}},
		"POST /admin/fields/{id}":         {"label": {"Relabelled"}},
	}
	if strings.HasSuffix(path, "/merge") && method == http.MethodGet {
		path += "?other_id=" + id(tg.other)
	}
	form, ok := forms[pattern]
	if !ok {
		form = tg.partForm
	}
	return method, path, form, pattern == "POST /import/preview"
}

// snapshot is everything an unsafe console request could change: every
// store write leaves an audit entry, and saved views and role settings
// are read back directly. It reads the tables over its own connection
// (tables opens it): through the services it took an actor and a query
// per user, and the matrix makes a user per request to /admin/users,
// which made snapshots most of this test's time.
func snapshot(t *testing.T, tables *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT COALESCE(MAX(id), 0) FROM audit_log`,
		`SELECT id, user_id, entity, name, query, columns FROM saved_views ORDER BY id`,
		`SELECT role, own_only FROM role_settings ORDER BY role`,
	} {
		rows, err := tables.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// tables opens a read-only connection to the store's database.
func tables(t *testing.T, db *store.DB) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", db.DSN
	if path, ok := strings.CutPrefix(db.DSN, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?mode=ro"
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestAuthorizationMatrix sends every console route as every role and as
// an anonymous visitor, on every engine. Allowed requests succeed; denied
// ones answer 403 (anonymous visitors are sent to /login) and change
// nothing in the database.
func TestAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		raw := tables(t, db)
		t.Cleanup(removeUploads(t))
		roles := append([]crm.Role{""}, crm.Roles...) // "" is anonymous
		for _, rt := range e.srv.routeTable() {
			if rt.public {
				continue
			}
			for _, role := range roles {
				name := string(role)
				if role == "" {
					name = "anonymous"
				}
				t.Run(rt.pattern+"/"+name, func(t *testing.T) {
					owner := e.users[crm.RoleAdmin].ID
					var c *client
					if role != "" {
						owner = e.users[role].ID
						c = e.session(role)
					}
					tg := e.targets(t, rt.pattern, owner)
					method, path, form, upload := tg.request(rt.pattern)
					allowed := role != ""
					for _, p := range rt.perms {
						allowed = allowed && crm.RoleCan(role, p)
					}
					before := ""
					if !allowed && method != http.MethodGet {
						before = snapshot(t, raw)
					}
					var rec *httptest.ResponseRecorder
					if upload {
						rec = e.upload(c, path, form, "first_name,email\nGrace,grace@example.com\n")
					} else {
						rec = e.do(c, method, path, form)
					}
					switch {
					case allowed && rec.Code >= 400:
						t.Fatalf("%s %s as %s = %d, want success\n%s", method, path, name, rec.Code, rec.Body)
					case !allowed && role == "":
						if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
							t.Fatalf("anonymous %s %s = %d to %q, want 303 to /login", method, path, rec.Code, loc)
						}
					case !allowed && rec.Code != http.StatusForbidden:
						t.Fatalf("%s %s as %s = %d, want 403", method, path, name, rec.Code)
					}
					if !allowed && method != http.MethodGet {
						if after := snapshot(t, raw); after != before {
							t.Errorf("denied request changed the database:\nbefore %s\nafter  %s", before, after)
						}
					}
					// Role settings are global: undo the one route that
					// changes them so later cases see the defaults.
					if err := e.svc.Users.SetRoleOwnOnly(sys(), crm.RoleMarketing, false); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	})
}

// removeUploads deletes import uploads the test left in the temp dir
// (previews that were never run).
func removeUploads(t *testing.T) func() {
	start := time.Now()
	return func() {
		names, _ := filepath.Glob(filepath.Join(os.TempDir(), importPrefix+"*"))
		for _, n := range names {
			if fi, err := os.Stat(n); err == nil && !fi.ModTime().Before(start) {
				os.Remove(n)
			}
		}
	}
}
