package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// statusFor maps a domain error code to an HTTP status. It is the only
// place the console makes that decision.
func statusFor(code string) int {
	switch code {
	case crm.EINVALID:
		return http.StatusUnprocessableEntity
	case crm.ENOTFOUND:
		return http.StatusNotFound
	case crm.ECONFLICT:
		return http.StatusConflict
	case crm.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case crm.EFORBIDDEN:
		return http.StatusForbidden
	case crm.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case crm.ERATELIMIT:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// formError asks serveError to show a form again with the user's input and
// the field errors, instead of an error page.
type formError struct {
	err  error
	page string
	data *view
}

func (e *formError) Error() string { return e.err.Error() }
func (e *formError) Unwrap() error { return e.err }

// redisplay wraps err for form redisplay when it is a validation or
// conflict error; other errors pass through unchanged.
func redisplay(err error, page string, v *view) error {
	if code := crm.ErrorCode(err); code != crm.EINVALID && code != crm.ECONFLICT {
		return err
	}
	v.Form.addErrors(v.L, err)
	return &formError{err: err, page: page, data: v}
}

// adapt turns a handler into an http.Handler, sending errors to serveError.
func (s *server) adapt(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	})
}

// serveError is the console's one error renderer: a full page, or a
// fragment retargeted to the flash area for htmx requests.
func (s *server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = crm.Errorf(crm.ETOOLARGE, "request too large")
	}
	code := crm.ErrorCode(err)
	status := statusFor(code)
	var fe *formError
	if errors.As(err, &fe) && !isHTMX(r) {
		s.render(w, r, status, fe.page, fe.data)
		return
	}
	if code == crm.EUNAUTHORIZED && r.URL.Path != "/login" {
		target := "/login"
		if r.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		if isHTMX(r) {
			w.Header().Set("HX-Redirect", target)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if status == http.StatusInternalServerError {
		s.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	st := stateOf(r)
	v := s.newView(r, "")
	v.Title = st.locale.T("code." + code)
	v.Data = errorPage{Status: status, Message: st.locale.T("code." + code), Fields: fieldMessages(st.locale, err)}
	if isHTMX(r) {
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		s.renderFragment(w, r, status, "error", "error-flash", v)
		return
	}
	s.render(w, r, status, "error", v)
}

type errorPage struct {
	Status  int
	Message string
	Fields  []string
}

// fieldMessages translates every field error of err.
func fieldMessages(l *i18n.Locale, err error) []string {
	var out []string
	for _, fe := range crm.FieldErrors(err) {
		out = append(out, fieldError(l, fe))
	}
	return out
}

// fieldError translates one field error. Keys the store adds beyond crm's
// validation (wrong_password, cannot_assign, …) live in console.json as
// console.error.<key>.
func fieldError(l *i18n.Locale, fe crm.FieldError) string {
	if i18n.Get("en").Has("error." + fe.Key) {
		return l.FieldError(fe)
	}
	return l.T("console.error."+fe.Key, fe.Args...)
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
