package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/wire"
)

// env is a console over a real, fresh database with one user per role.
type env struct {
	t     *testing.T
	db    *store.DB
	svc   *crm.Services
	srv   *server
	h     http.Handler
	users map[crm.Role]*crm.User
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{t: t, db: db, svc: wire.Services(db), users: map[crm.Role]*crm.User{}}
	var err error
	e.srv, err = newServer(e.svc, Options{Transfer: &fakeTransfer{svc: e.svc}})
	if err != nil {
		t.Fatal(err)
	}
	e.h = e.srv.handler()
	for _, r := range crm.Roles {
		_, u := storetest.User(t, db, r, strings.ReplaceAll(string(r), "-", "")+"@example.com")
		e.users[r] = u
	}
	return e
}

// client is a signed-in browser: its session cookie and CSRF token.
type client struct {
	token, csrf string
	lang        string
}

// session starts a session for the role's user directly in the store, so
// tests that are not about login do not spend the login rate limit.
func (e *env) session(role crm.Role) *client {
	e.t.Helper()
	return e.sessionFor(e.users[role].ID)
}

func (e *env) sessionFor(userID int64) *client {
	e.t.Helper()
	ctx := context.Background()
	token, err := e.svc.Users.CreateSession(ctx, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := e.svc.Users.FindSession(ctx, token)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{token: token, csrf: s.CSRF}
}

// do sends a same-origin request. POST forms get the client's CSRF token
// unless the form already has a _csrf value (tests set "" to omit it).
func (e *env) do(c *client, method, target string, form url.Values, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if form != nil || method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		if _, set := form["_csrf"]; !set && c != nil {
			form.Set("_csrf", c.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.send(c, req)
}

func (e *env) send(c *client, req *http.Request) *httptest.ResponseRecorder {
	if c != nil {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
		if c.lang != "" {
			req.AddCookie(&http.Cookie{Name: langCookie, Value: c.lang})
		}
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// upload posts a multipart form with one file.
func (e *env) upload(c *client, target string, fields url.Values, file string) *httptest.ResponseRecorder {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if c != nil {
		mw.WriteField("_csrf", c.csrf)
	}
	fw, _ := mw.CreateFormFile("file", "people.csv")
	io.WriteString(fw, file)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, target, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.send(c, req)
}

func doc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sys() context.Context { return storetest.System() }

func ptr[T any](v T) *T { return &v }

// fakeTransfer stands in for internal/transfer, which the console only
// calls. It does real work through the services so the wizard's pages
// show real results.
type fakeTransfer struct{ svc *crm.Services }

func (f *fakeTransfer) PreviewCSV(r io.Reader, enc string, rows int) ([]string, [][]string, map[string]string, string, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, nil, nil, "", crm.Errorf(crm.EINVALID, "not a CSV file")
	}
	m := map[string]string{}
	for _, h := range recs[0] {
		m[h] = h
	}
	return recs[0], recs[1:min(len(recs), rows+1)], m, "utf-8", nil
}

func (f *fakeTransfer) ImportCSV(ctx context.Context, entity string, r io.Reader, enc string, mapping map[string]string, dedupe string) (ImportReport, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return ImportReport{}, crm.Errorf(crm.EINVALID, "not a CSV file")
	}
	var rep ImportReport
	for i, rec := range recs[1:] {
		in := crm.ContactInput{}
		for j, h := range recs[0] {
			v := rec[j]
			switch mapping[h] {
			case "first_name":
				in.FirstName = &v
			case "email":
				in.Email = &v
			}
		}
		if _, err := f.svc.Contacts.CreateContact(ctx, in); err != nil {
			fe := crm.FieldErrors(err)
			if len(fe) == 0 {
				return rep, err
			}
			rep.Rejected = append(rep.Rejected, RejectedRow{Line: i + 2, Field: fe[0].Field, Reason: fe[0].Key})
			continue
		}
		rep.Created++
	}
	return rep, nil
}

func (f *fakeTransfer) ExportContacts(ctx context.Context, fl crm.ContactFilter, columns []string, w io.Writer) error {
	page, err := f.svc.Contacts.FindContacts(ctx, fl)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, strings.Join(columns, ","))
	for _, c := range page.Items {
		fmt.Fprintln(w, c.Email)
	}
	return nil
}

func (f *fakeTransfer) ExportCompanies(ctx context.Context, fl crm.CompanyFilter, columns []string, w io.Writer) error {
	page, err := f.svc.Companies.FindCompanies(ctx, fl)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, strings.Join(columns, ","))
	for _, c := range page.Items {
		fmt.Fprintln(w, c.Name)
	}
	return nil
}

func (f *fakeTransfer) ExportAll(ctx context.Context, w io.Writer) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResExport, crm.Write)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "PK")
	return err
}
