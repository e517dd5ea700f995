package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// msgs is the catalogue API messages come from. The API answers in English:
// clients are programs, and a stable language keeps their logs searchable.
var msgs = i18n.Get("en")

// status is the one place a domain error code becomes an HTTP status.
// Validation is 422 (huma's convention for well-formed but invalid input);
// 400 is kept for requests that cannot be parsed at all.
func status(code string) int {
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

// codeOf is the inverse of status for errors huma raises itself (bad JSON,
// schema violations), so they get the same type and wording as ours.
func codeOf(st int) string {
	switch st {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return crm.EINVALID
	case http.StatusNotFound:
		return crm.ENOTFOUND
	case http.StatusConflict:
		return crm.ECONFLICT
	case http.StatusUnauthorized:
		return crm.EUNAUTHORIZED
	case http.StatusForbidden:
		return crm.EFORBIDDEN
	case http.StatusRequestEntityTooLarge:
		return crm.ETOOLARGE
	case http.StatusTooManyRequests:
		return crm.ERATELIMIT
	}
	if st >= 400 && st < 500 {
		return crm.EINVALID
	}
	return crm.EINTERNAL
}

// problemType names the kind of problem so clients can branch on it
// without parsing text; RFC 9457 allows any URI.
func problemType(code string) string { return "urn:ecrm:problem:" + code }

// maxEchoed bounds the offending value echoed back in an error detail:
// huma echoes the whole body of malformed JSON, which may be a megabyte.
const maxEchoed = 200

func init() {
	// huma builds its own errors (malformed JSON, schema violations, body
	// too large) through this hook. Replacing it gives them our problem
	// type, a catalogue detail and a bounded echo of the input. This
	// process serves one huma API, so the global is ours to set.
	huma.NewError = func(st int, msg string, errs ...error) huma.StatusError {
		e := newProblem(st, codeOf(st))
		for _, err := range errs {
			if err == nil {
				continue
			}
			var d *huma.ErrorDetail
			if dd, ok := err.(huma.ErrorDetailer); ok {
				d = dd.ErrorDetail()
			} else {
				d = &huma.ErrorDetail{Message: err.Error()}
			}
			if s, ok := d.Value.(string); ok && len(s) > maxEchoed {
				d.Value = s[:maxEchoed] + "…"
			}
			e.Errors = append(e.Errors, d)
		}
		// Errors huma raises with status 500 carry Go error text; never
		// show it (the handler wrapper logs what it knows).
		if st >= 500 {
			e.Errors = nil
		}
		return e
	}
}

func newProblem(st int, code string) *huma.ErrorModel {
	return &huma.ErrorModel{
		Type:   problemType(code),
		Title:  http.StatusText(st),
		Status: st,
		Detail: msgs.T("code." + code),
	}
}

// problem turns a service error into the problem returned to the client.
// Field errors are located under loc ("body" or "query"). Errors without a
// domain code are logged and become a generic 500: their text may hold SQL
// or paths and is never shown.
func (s *server) problem(method, path string, err error, loc string) *huma.ErrorModel {
	code := crm.ErrorCode(err)
	st := status(code)
	if st == http.StatusInternalServerError {
		s.log.Error("api: internal error", "method", method, "path", path, "err", err)
		return newProblem(st, crm.EINTERNAL)
	}
	p := newProblem(st, code)
	if fields := crm.FieldErrors(err); len(fields) > 0 {
		for _, fe := range fields {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Location: location(loc, fe.Field), Message: fieldMessage(fe)})
		}
	} else if m := crm.ErrorMessage(err); st == http.StatusNotFound || st == http.StatusConflict {
		// Not-found and conflict messages name the record ("contact 7 not
		// found", "email already used"): more use to a client than the
		// generic text, and user-safe by crm.Error's contract.
		p.Detail = m
	}
	return p
}

// location maps a crm field name ("email", "custom.vip", "emails[0]") to
// a problem location ("body.email").
func location(loc, field string) string {
	if loc == "" {
		return field
	}
	if field == "" {
		return loc
	}
	return loc + "." + field
}

// fieldMessage is the English text of a field error. Keys the shared
// catalogue lacks (a few raised only by the store, such as an invalid
// cursor) fall back to API strings, never to the bare key.
func fieldMessage(fe crm.FieldError) string {
	switch {
	case msgs.Has("error." + fe.Key):
		return msgs.FieldError(fe)
	case msgs.Has("api.error." + fe.Key):
		return msgs.T("api.error."+fe.Key, fe.Args...)
	}
	return msgs.T("api.error.invalid")
}

// writeProblem writes a problem outside huma (authentication, idempotency,
// unknown paths), in exactly the shape huma writes its own.
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	var p *huma.ErrorModel
	if !errors.As(err, &p) {
		p = s.problem(r.Method, r.URL.Path, err, "")
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ecrm"`)
	}
	writeJSON(w, p.Status, "application/problem+json", p)
}

func writeJSON(w http.ResponseWriter, st int, ctype string, v any) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(st)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// invalid builds a 422 for one input of the request itself, located as
// huma locates its own ("query.sort", "header.Idempotency-Key").
func invalid(loc, key string, args ...any) *huma.ErrorModel {
	p := newProblem(http.StatusUnprocessableEntity, crm.EINVALID)
	p.Errors = []*huma.ErrorDetail{{Location: loc, Message: fieldMessage(crm.FieldError{Key: key, Args: args})}}
	return p
}

// badRequest is a 400 for requests that cannot be understood at all.
func badRequest(loc, key string) *huma.ErrorModel {
	p := newProblem(http.StatusBadRequest, crm.EINVALID)
	p.Errors = []*huma.ErrorDetail{{Location: loc, Message: fieldMessage(crm.FieldError{Key: key})}}
	return p
}
