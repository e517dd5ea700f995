package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestStatusFor(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{crm.EINVALID, 422}, {crm.ENOTFOUND, 404}, {crm.ECONFLICT, 409}, {crm.EUNAUTHORIZED, 401},
		{crm.EFORBIDDEN, 403}, {crm.ETOOLARGE, 413}, {crm.ERATELIMIT, 429}, {crm.EINTERNAL, 500}, {"surprise", 500},
	}
	for _, tt := range tests {
		if got := statusFor(tt.code); got != tt.want {
			t.Errorf("statusFor(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/contacts?q=a", "/contacts?q=a"},
		{"", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"contacts", "/"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in, "/"); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenUploadRejectsForeignNames(t *testing.T) {
	token, err := saveUpload(strings.NewReader("a,b\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(uploadPath(token))
	f, err := openUpload(token)
	if err != nil {
		t.Fatalf("own upload: %v", err)
	}
	f.Close()
	for _, bad := range []string{"", "../../etc/passwd", "..", token + "/x", "a.b", strings.Repeat("a", 65), "short", token[:len(token)-1] + "Z"} {
		if _, err := openUpload(bad); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("openUpload(%q) = %v, want not_found", bad, err)
		}
	}
}

func TestParseListAllowlists(t *testing.T) {
	defs := []*crm.CustomField{{Key: "tier", Type: "select"}, {Key: "note", Type: "text"}}
	q, _ := url.ParseQuery("sort=name;DROP TABLE contacts&col=email&col=password_hash&col=cf.tier&col=cf.nope&cf.note=hi&cf.nope=x&stage=bogus&created_from=2026-13-01&owner=me")
	p := parseList("contact", q, defs)
	if p.Sort != "" {
		t.Errorf("sort = %q, want the default", p.Sort)
	}
	if want := []string{"email", "cf.tier"}; !slices.Equal(p.Columns, want) {
		t.Errorf("columns = %v, want %v", p.Columns, want)
	}
	if p.Stage != "" || p.CreatedFrom != "" {
		t.Errorf("stage %q / created_from %q should have been dropped", p.Stage, p.CreatedFrom)
	}
	f := p.contactFilter(&crm.Actor{UserID: 7})
	if len(f.Custom) != 1 || f.Custom[0] != (crm.CustomFilter{Key: "note", Op: "contains", Value: "hi"}) {
		t.Errorf("custom filters = %+v", f.Custom)
	}
	if f.OwnerID == nil || *f.OwnerID != 7 {
		t.Errorf("owner=me gave %v", f.OwnerID)
	}
	if got := string(p.SortQuery("email")); !strings.Contains(got, "sort=email") {
		t.Errorf("SortQuery = %q", got)
	}
	p.Sort = "email"
	if got := string(p.SortQuery("email")); !strings.Contains(got, "sort=-email") {
		t.Errorf("SortQuery on the sorted column = %q, want descending", got)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	for _, name := range []string{"vendor/htmx.min.js", "vendor/pico.min.css", "app.css", "app.js"} {
		u, err := e.srv.assets.url(name)
		if err != nil {
			t.Fatal(err)
		}
		rec := e.do(nil, http.MethodGet, u, nil)
		if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || rec.Body.Len() == 0 {
			t.Errorf("%s: %d %q", u, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
	if rec := e.do(nil, http.MethodGet, "/static/app.css", nil); rec.Code != 404 {
		t.Errorf("unhashed name = %d, want 404", rec.Code)
	}
	if rec := e.do(nil, http.MethodGet, "/favicon.ico", nil); rec.Code != 200 || rec.Header().Get("Content-Type") != "image/x-icon" {
		t.Errorf("favicon = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestErrorRendering(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, storetest.Open(t, "sqlite"))
	e.srv.log = slog.New(slog.NewTextHandler(&logs, nil))
	c := e.session(crm.RoleSales)

	t.Run("internal errors are logged, not shown", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		rec := httptest.NewRecorder()
		e.srv.adapt(func(w http.ResponseWriter, r *http.Request) error {
			return errors.New("database exploded: secret detail")
		}).ServeHTTP(rec, req)
		if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret detail") {
			t.Errorf("status %d, body leaks detail: %v", rec.Code, strings.Contains(rec.Body.String(), "secret detail"))
		}
		if !strings.Contains(logs.String(), "secret detail") {
			t.Errorf("internal error was not logged")
		}
	})

	t.Run("invalid form is shown again with messages", func(t *testing.T) {
		c.lang = "ja"
		rec := e.do(c, http.MethodPost, "/contacts", url.Values{"first_name": {"Zed"}, "email": {"not-an-email"}, "title": {"CTO"}})
		d := doc(t, rec)
		if rec.Code != 422 || d.Find("input[name=title]").AttrOr("value", "") != "CTO" || d.Find("input[name=email][aria-invalid=true]").Length() != 1 {
			t.Fatalf("status %d; form not redisplayed with the input and the error\n%s", rec.Code, rec.Body)
		}
		if !strings.Contains(d.Find(".field-error").Text(), "有効なメールアドレス") {
			t.Errorf("field error not in Japanese: %q", d.Find(".field-error").Text())
		}
		c.lang = ""
	})

	t.Run("htmx errors go to the flash area", func(t *testing.T) {
		rec := e.do(c, http.MethodPost, "/contacts/999999/activities", url.Values{"kind": {"note"}, "body": {"x"}}, "HX-Request", "true")
		if rec.Code != 422 && rec.Code != 404 {
			t.Fatalf("status = %d", rec.Code)
		}
		if rec.Header().Get("HX-Retarget") != "#flash" || strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("htmx error is not a flash fragment: %v\n%s", rec.Header(), rec.Body)
		}
	})

	t.Run("htmx request without a session is redirected", func(t *testing.T) {
		rec := e.do(nil, http.MethodGet, "/contacts", nil, "HX-Request", "true")
		if !strings.HasPrefix(rec.Header().Get("HX-Redirect"), "/login") {
			t.Errorf("HX-Redirect = %q", rec.Header().Get("HX-Redirect"))
		}
	})

	t.Run("oversized form", func(t *testing.T) {
		rec := e.do(c, http.MethodPost, "/contacts", url.Values{"body": {strings.Repeat("x", maxForm+1)}})
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", rec.Code)
		}
	})

	t.Run("unknown page", func(t *testing.T) {
		if rec := e.do(c, http.MethodGet, "/nowhere", nil); rec.Code != 404 {
			t.Errorf("status = %d, want 404", rec.Code)
		}
	})
}

// TestConsoleFlows drives the main htmx and form flows end to end.
func TestConsoleFlows(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	fx := seed(t, e)
	c := e.session(crm.RoleManager)
	id := itoa(fx.contact)

	rec := e.do(c, http.MethodPost, "/contacts/"+id+"/activities", url.Values{"kind": {"call"}, "subject": {"Follow-up"},
		"duration_min": {"12"}, "outcome": {"voicemail"}}, "HX-Request", "true")
	if d := doc(t, rec); rec.Code != 200 || d.Find("li.entry.kind-call").Length() != 1 || !strings.Contains(d.Text(), "12 min") {
		t.Fatalf("log call = %d\n%s", rec.Code, rec.Body)
	}
	rec = e.do(c, http.MethodPost, "/contacts/"+id+"/tasks", url.Values{"title": {"Send brochure"}, "due": {"2026-12-01"},
		"remind": {"2026-11-30T09:00"}}, "HX-Request", "true")
	if d := doc(t, rec); rec.Code != 200 || d.Find("li.task").Length() != 1 {
		t.Fatalf("add task = %d\n%s", rec.Code, rec.Body)
	}
	// A task filed on the company shows on its page, with its people's tasks.
	rec = e.do(c, http.MethodPost, "/companies/"+itoa(fx.company)+"/tasks", url.Values{"title": {"Renew the contract"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("company task = %d\n%s", rec.Code, rec.Body)
	}
	if page := doc(t, e.do(c, http.MethodGet, "/companies/"+itoa(fx.company), nil)); page.Find("li.task:contains('Renew the contract')").Length() != 1 {
		t.Errorf("company page does not list the company's task")
	}
	rec = e.do(c, http.MethodPost, "/tasks/"+itoa(fx.task)+"/done", url.Values{"return": {"/contacts/" + id}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/contacts/"+id {
		t.Errorf("done = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if tk, _ := e.svc.Tasks.FindTaskByID(sys(), fx.task); tk.Status != "done" {
		t.Errorf("task status = %q, want done", tk.Status)
	}

	// Bulk delete asks first, then deletes.
	rec = e.do(c, http.MethodPost, "/contacts/bulk", url.Values{"action": {"delete"}, "id": {itoa(fx.japanese)}})
	if rec.Code != 200 || doc(t, rec).Find("input[name=confirm][value='1']").Length() != 1 {
		t.Fatalf("bulk delete without confirm = %d", rec.Code)
	}
	if _, err := e.svc.Contacts.FindContactByID(sys(), fx.japanese); err != nil {
		t.Fatalf("contact deleted before confirmation: %v", err)
	}
	rec = e.do(c, http.MethodPost, "/contacts/bulk", url.Values{"action": {"delete"}, "confirm": {"1"}, "id": {itoa(fx.japanese)}})
	if _, err := e.svc.Contacts.FindContactByID(sys(), fx.japanese); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("after confirmed bulk delete: %v", err)
	}

	// Saved views keep the query and columns.
	rec = e.do(c, http.MethodPost, "/contacts/views", url.Values{"name": {"Gold"}, "query": {"cf.tier=gold&col=name&col=cf.tier&after=zzz"}})
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || strings.Contains(loc, "after") || !strings.Contains(loc, "cf.tier=gold") {
		t.Errorf("save view = %d to %q", rec.Code, loc)
	}
	list := doc(t, e.do(c, http.MethodGet, "/contacts", nil))
	if list.Find(".views a:contains('Gold')").Length() != 1 {
		t.Errorf("saved view not listed")
	}

	// Merge folds the duplicate into the contact.
	rec = e.do(c, http.MethodPost, "/contacts/"+id+"/merge", url.Values{"other_id": {itoa(fx.dup)}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("merge = %d\n%s", rec.Code, rec.Body)
	}
	if _, err := e.svc.Contacts.FindContactByID(sys(), fx.dup); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("duplicate still there after merge: %v", err)
	}

	// Export of the current list goes through Transfer with its columns.
	rec = e.do(c, http.MethodGet, "/contacts/export.csv?col=name&col=email&col=contacts&stage=customer", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "first_name,last_name,email\n") || !strings.Contains(rec.Body.String(), "ada@example.com") {
		t.Errorf("export = %d %q", rec.Code, rec.Body)
	}

	// Pagination follows Page.Next.
	for i := 0; i < 55; i++ {
		if _, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{LastName: ptr("Zz" + itoa(int64(100+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	first := doc(t, e.do(c, http.MethodGet, "/contacts", nil))
	next, ok := first.Find("a[rel=next]").Attr("href")
	if !ok || first.Find("tbody tr").Length() != 50 {
		t.Fatalf("first page has %d rows and next %q", first.Find("tbody tr").Length(), next)
	}
	second := doc(t, e.do(c, http.MethodGet, next, nil))
	if n := second.Find("tbody tr").Length(); n == 0 || n > 50 || second.Find("a[rel=next]").Length() != 0 {
		t.Errorf("second page has %d rows / a next link", n)
	}
}

// TestLanguageChoice checks the order: ?lang= (remembered in a cookie),
// the cookie, the user's own language, then Accept-Language.
func TestLanguageChoice(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	if _, err := e.svc.Users.UpdateUser(sys(), e.users[crm.RoleSupport].ID, crm.UserInput{Language: ptr("ja")}); err != nil {
		t.Fatal(err)
	}
	lang := func(rec *httptest.ResponseRecorder) string { return doc(t, rec).Find("html").AttrOr("lang", "") }

	rec := e.do(nil, http.MethodGet, "/login?lang=fa", nil, "Accept-Language", "ja")
	if got := lang(rec); got != "fa" {
		t.Errorf("?lang=fa gave %q", got)
	}
	var remembered bool
	for _, ck := range rec.Result().Cookies() {
		remembered = remembered || (ck.Name == langCookie && ck.Value == "fa")
	}
	if !remembered {
		t.Errorf("?lang=fa was not stored in a cookie")
	}
	if got := lang(e.do(&client{lang: "fa"}, http.MethodGet, "/login", nil, "Accept-Language", "ja")); got != "fa" {
		t.Errorf("cookie fa gave %q", got)
	}
	if got := lang(e.do(e.session(crm.RoleSupport), http.MethodGet, "/", nil, "Accept-Language", "fa")); got != "ja" {
		t.Errorf("user language ja gave %q", got)
	}
	if got := lang(e.do(nil, http.MethodGet, "/login", nil, "Accept-Language", "fa-IR,fa;q=0.9,en;q=0.5")); got != "fa" {
		t.Errorf("Accept-Language fa gave %q", got)
	}
	if got := lang(e.do(nil, http.MethodGet, "/login?lang=xx", nil)); got != "en" {
		t.Errorf("unknown ?lang gave %q", got)
	}
}
