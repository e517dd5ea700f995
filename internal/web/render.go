package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

//go:embed templates
var templateFS embed.FS

// pages holds one template set per page: the layout and partials parsed
// with the page, so every page can define its own "content" and fragments.
type pages struct {
	sets map[string]*template.Template
}

func parsePages(a *assets) (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range names {
		base := path.Base(name)
		// partials*.html hold the fragments of each feature area.
		if base == "layout.html" || strings.HasPrefix(base, "partials") {
			continue
		}
		t, err := template.New(base).Funcs(funcs(a)).ParseFS(templateFS, "templates/layout.html", "templates/partials*.html", name)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", base, err)
		}
		p.sets[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// view is the data every template receives. Page-specific data is in Data.
type view struct {
	L       *i18n.Locale
	Actor   *crm.Actor
	User    *crm.User
	CSRF    string
	Title   string
	Nav     string
	Path    string // the request URI, for the language links
	Now     time.Time
	Form    *form
	Data    any
	Message string // a translated notice shown above the content
}

func (s *server) newView(r *http.Request, nav string) *view {
	st := stateOf(r)
	v := &view{L: st.locale, Actor: st.actor, User: st.user, Nav: nav, Path: r.URL.RequestURI(), Now: s.now(), Form: newForm(nil)}
	if st.session != nil {
		v.CSRF = st.session.CSRF
	}
	return v
}

// Can reports whether the viewer holds a permission written "res:action";
// templates use it to hide what the routes would refuse.
func (v *view) Can(perm string) bool {
	res, act, _ := strings.Cut(perm, ":")
	return v.Actor.Can(crm.P(res, crm.Action(act)))
}

// render writes a whole page. Templates run into a buffer first so a
// failure mid-page becomes a clean 500 instead of half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	s.renderFragment(w, r, status, page, "layout", v)
}

// renderFragment writes one named template of a page's set: "layout" for
// the whole page, or a fragment for htmx.
func (s *server) renderFragment(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) {
	t, ok := s.pages.sets[page]
	var buf bytes.Buffer
	var err error
	if !ok {
		err = fmt.Errorf("no page %q", page)
	} else {
		err = t.ExecuteTemplate(&buf, name, data)
	}
	if err != nil {
		s.log.Error("render", "page", page, "template", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintln(w, stateOf(r).locale.T("code.internal"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "HX-Request, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// ok renders a page with status 200.
func (s *server) ok(w http.ResponseWriter, r *http.Request, page string, v *view) error {
	s.render(w, r, http.StatusOK, page, v)
	return nil
}

// form carries submitted values and their translated errors back to a form.
type form struct {
	Values url.Values
	Errors map[string][]string
	All    []string
}

func newForm(vals url.Values) *form {
	if vals == nil {
		vals = url.Values{}
	}
	return &form{Values: vals, Errors: map[string][]string{}}
}

func (f *form) Get(k string) string { return f.Values.Get(k) }

// Has reports whether k was submitted with value v (checkboxes, multi-selects).
func (f *form) Has(k, v string) bool {
	for _, x := range f.Values[k] {
		if x == v {
			return true
		}
	}
	return false
}

func (f *form) Err(k string) []string { return f.Errors[k] }

// addErrors files each field error under its form field name; custom
// fields are "cf.<key>" in forms and "custom.<key>" in the domain.
func (f *form) addErrors(l *i18n.Locale, err error) {
	for _, fe := range crm.FieldErrors(err) {
		msg := fieldError(l, fe)
		name := fe.Field
		if k, ok := strings.CutPrefix(name, "custom."); ok {
			name = "cf." + k
		}
		f.Errors[name] = append(f.Errors[name], msg)
		f.All = append(f.All, msg)
	}
	if len(f.All) == 0 {
		f.All = append(f.All, l.T("code."+crm.ErrorCode(err)))
	}
}
