package web

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/transfer"
)

// realTransfer is the console's import/export back end as the server
// composes it (internal/server's consoleTransfer): the tests in this file
// are about what the real one accepts, which the fake does not check.
type realTransfer struct{ *transfer.Transfer }

func (t realTransfer) ImportCSV(ctx context.Context, entity string, r io.Reader, enc string, mapping map[string]string, dedupe string) (ImportReport, error) {
	rep, err := t.Transfer.ImportCSV(ctx, entity, r, enc, mapping, dedupe)
	out := ImportReport{Created: rep.Created, Updated: rep.Updated, Skipped: rep.Skipped}
	for _, x := range rep.Rejected {
		out.Rejected = append(out.Rejected, RejectedRow{Line: x.Line, Field: x.Field, Reason: x.Reason})
	}
	return out, err
}

func newRealEnv(t *testing.T, db *store.DB) *env {
	e := newEnv(t, db)
	e.srv.transfer = realTransfer{transfer.New(db.Services(), db)}
	return e
}

// exportHeader is the header an export link's file must have: the
// columns chosen on the list (its col parameters) under their export
// names. Written out here, not taken from the code under test.
func exportHeader(path string, cols []string) []string {
	var out []string
	for _, c := range cols {
		switch {
		case c == "name" && path == "/contacts/export.csv":
			out = append(out, "first_name", "last_name")
		case c == "contacts" && path == "/companies/export.csv":
			out = append(out, "contact_count")
		case strings.HasPrefix(c, "cf."):
			out = append(out, "custom."+strings.TrimPrefix(c, "cf."))
		default:
			out = append(out, c)
		}
	}
	return out
}

// TestEveryExportLinkDownloads renders every list page of the console
// (every GET route without a path parameter), as every role, with its
// default columns and with every column its chooser offers; follows
// every export link the page renders as that page's user; and checks the
// answer is 200 and a CSV file whose header is the chosen columns. The
// companies page's link used to answer 422: "name" was sent as a
// contact's first_name and last_name.
func TestEveryExportLinkDownloads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newRealEnv(t, db)
		ctx := sys()
		for _, cf := range []crm.CustomFieldInput{
			{Entity: ptr("contact"), Key: ptr("tier"), Label: ptr("Tier"), Type: ptr("text")},
			{Entity: ptr("company"), Key: ptr("segment"), Label: ptr("Segment"), Type: ptr("text")},
		} {
			if _, err := e.svc.CustomFields.CreateCustomField(ctx, cf); err != nil {
				t.Fatal(err)
			}
		}
		co, err := e.svc.Companies.CreateCompany(ctx, crm.CompanyInput{Name: ptr("Acme Trading"), Domain: ptr("acme.example"),
			Custom: map[string]any{"segment": "=retail"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sara"), LastName: ptr("Ahmadi"),
			Email: ptr("sara@example.com"), CompanyID: &co.ID, Custom: map[string]any{"tier": "gold"}}); err != nil {
			t.Fatal(err)
		}
		var pages []string
		for _, rt := range e.srv.routes {
			method, path, _ := strings.Cut(rt.pattern, " ")
			if method == http.MethodGet && !rt.public && !strings.Contains(path, "{") && !strings.HasSuffix(path, ".csv") {
				pages = append(pages, path)
			}
		}
		if pages = append(pages, "/"); len(pages) < 20 {
			t.Fatalf("only %d pages found in the route table", len(pages))
		}
		followed := map[string]int{}
		for _, role := range crm.Roles {
			c := e.session(role)
			for _, page := range pages {
				rec := e.do(c, http.MethodGet, page, nil)
				if rec.Code != http.StatusOK {
					continue // a page this role may not see
				}
				links := exportLinks(t, rec)
				// The same list with every column its chooser offers.
				var all url.Values
				doc(t, rec).Find("input[type=checkbox][name=col]").Each(func(_ int, s *goquery.Selection) {
					if all == nil {
						all = url.Values{}
					}
					all.Add("col", s.AttrOr("value", ""))
				})
				if all != nil {
					links = append(links, exportLinks(t, e.do(c, http.MethodGet, page+"?"+all.Encode(), nil))...)
				}
				for _, link := range links {
					t.Run(string(role)+" "+link, func(t *testing.T) {
						checkExport(t, e, c, link)
					})
					u, _ := url.Parse(link)
					followed[u.Path]++
				}
			}
		}
		for _, want := range []string{"/contacts/export.csv", "/companies/export.csv"} {
			if followed[want] == 0 {
				t.Errorf("no page rendered a link to %s (followed: %v)", want, followed)
			}
		}
	})
}

// exportLinks are the links of a page that download a file.
func exportLinks(t *testing.T, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	var out []string
	doc(t, rec).Find("a[download], a[href*='.csv']").Each(func(_ int, s *goquery.Selection) {
		if h := s.AttrOr("href", ""); h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	})
	return out
}

func checkExport(t *testing.T, e *env, c *client, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Host != "" {
		t.Fatalf("export link %q is not a path on the console", link)
	}
	rec := e.do(c, http.MethodGet, link, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body:\n%.400s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("not a valid CSV file: %v\n%.400s", err, rec.Body.String())
	}
	cols := u.Query()["col"]
	if len(cols) == 0 {
		t.Fatalf("the link names no columns: %s", link)
	}
	if want := exportHeader(u.Path, cols); len(rows) == 0 || !slices.Equal(rows[0], want) {
		t.Fatalf("header %q, want %q", rows[:min(len(rows), 1)], want)
	}
	if len(rows) < 2 {
		t.Errorf("no data rows:\n%s", rec.Body.String())
	}
}

// TestImportPreviewStopsAtFatalError: the wizard's preview of a file with
// a line over 1 MiB, or a quote opened and not closed within 1 MiB,
// answers 422 naming the line in the reader's language (it used to spin
// for ever).
func TestImportPreviewStopsAtFatalError(t *testing.T) {
	e := newRealEnv(t, storetest.Open(t, "sqlite"))
	long := strings.Repeat("x", 1<<20+10)
	files := []struct {
		name, data string
		want       map[string]string // language → text naming the line
	}{
		{"long line", "email,first_name\na@example.com,A\nb@example.com," + long + "\n",
			map[string]string{"en": "Line 3 is longer than 1 MiB", "fa": "سطر ۳", "ja": "3 行目"}},
		{"open quote", "email,first_name\n\"a@example.com,A\n" + strings.Repeat("b@example.com,B\n", 70000),
			map[string]string{"en": "A quotation mark opened on line 2 is not closed", "fa": "سطر ۲", "ja": "2 行目"}},
	}
	for _, f := range files {
		for lang, want := range f.want {
			t.Run(f.name+"/"+lang, func(t *testing.T) {
				c := e.session(crm.RoleAdmin)
				c.lang = lang
				done := make(chan struct{})
				var rec *httptest.ResponseRecorder
				go func() {
					defer close(done)
					rec = e.upload(c, "/import/preview", url.Values{"entity": {"contact"}, "encoding": {""}}, f.data)
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("the preview did not answer: a reading loop that never ends?")
				}
				if rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", rec.Code)
				}
				if msg := doc(t, rec).Find("article.error-page").Text(); !strings.Contains(msg, want) {
					t.Errorf("error page does not say %q:\n%s", want, msg)
				}
			})
		}
	}
}
