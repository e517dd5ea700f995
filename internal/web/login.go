package web

import (
	"net"
	"net/http"
	"net/url"

	"github.com/ecrm/ecrm/internal/crm"
)

type loginData struct {
	Next  string
	Error string
}

func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if stateOf(r).actor != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/"), http.StatusSeeOther)
		return nil
	}
	v := s.newView(r, "")
	v.Title = v.L.T("console.login.title")
	v.Data = loginData{Next: localPath(r.URL.Query().Get("next"), "")}
	return s.ok(w, r, "login", v)
}

// login checks the password and starts a new session. The token is always
// new, so a token planted in the browser before login (session fixation)
// is worthless; an old session of this browser is ended.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return crm.Errorf(crm.EINVALID, "malformed form")
	}
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"), "/")
	v := s.newView(r, "")
	v.Title = v.L.T("console.login.title")
	fail := func(status int, msg string) error {
		v.Form = newForm(url.Values{"email": {email}})
		v.Data = loginData{Next: r.PostFormValue("next"), Error: msg}
		s.render(w, r, status, "login", v)
		return nil
	}
	ok, succeeded := s.limiter.begin(clientIP(r), email)
	if !ok {
		return fail(http.StatusTooManyRequests, v.L.T("console.login.rate_limited"))
	}
	u, err := s.svc.Users.Authenticate(r.Context(), email, password)
	if crm.ErrorCode(err) == crm.EUNAUTHORIZED {
		return fail(http.StatusUnauthorized, v.L.T("console.login.failed"))
	}
	if err != nil {
		succeeded() // not a wrong password: the database failed
		return err
	}
	succeeded()
	if old := stateOf(r).token; old != "" {
		if err := s.svc.Users.DeleteSession(r.Context(), old); err != nil {
			return err
		}
	}
	token, err := s.svc.Users.CreateSession(r.Context(), u.ID)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// clientIP is the peer address. Forwarded headers are not trusted here;
// a proxy in front must set RemoteAddr (the server package decides that).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Users.DeleteSession(r.Context(), stateOf(r).token); err != nil {
		return err
	}
	s.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "account")
	v.Title = v.L.T("console.password.title")
	if r.URL.Query().Get("done") == "1" {
		v.Message = v.L.T("console.password.changed")
	}
	return s.ok(w, r, "password", v)
}

// changePassword changes the user's own password. The store ends every
// session of the user, this one included, so a fresh session is started
// for this browser while any other signed-in device is logged out.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	v := s.newView(r, "account")
	v.Title = v.L.T("console.password.title")
	old, pw, again := r.PostFormValue("old_password"), r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	if pw != again {
		var val crm.Validation
		val.Add("confirm_password", "password_mismatch")
		return redisplay(val.Err(), "password", v)
	}
	if err := s.svc.Users.ChangePassword(r.Context(), st.actor.UserID, old, pw); err != nil {
		if crm.FieldErrors(err) != nil {
			// The store names the new password "password".
			for i, fe := range crm.FieldErrors(err) {
				if fe.Field == "password" {
					crm.FieldErrors(err)[i].Field = "new_password"
				}
			}
		}
		return redisplay(err, "password", v)
	}
	token, err := s.svc.Users.CreateSession(r.Context(), st.actor.UserID)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, "/account/password?done=1", http.StatusSeeOther)
	return nil
}
