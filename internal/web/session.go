package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

const (
	sessionCookie = "ecrm_session"
	langCookie    = "ecrm_lang"
	// maxForm bounds ordinary form posts; uploads get maxUpload.
	maxForm   = 1 << 20
	maxUpload = 50 << 20
)

// state is what the session middleware learned about a request.
type state struct {
	token   string
	session *crm.Session
	user    *crm.User
	actor   *crm.Actor
	locale  *i18n.Locale
}

type stateKey struct{}

// stateOf returns the request's state; requests that never went through
// the session middleware (the cross-origin deny handler) get one built from
// Accept-Language alone.
func stateOf(r *http.Request) *state {
	if st, ok := r.Context().Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{locale: i18n.Get(i18n.Match(r.Header.Get("Accept-Language")))}
}

// session resolves the cookie into a user and actor, picks the language,
// and puts the actor in the context so every service call is authorised
// as that user.
func (s *server) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{}
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if err := s.loadSession(r.Context(), st, c.Value); err != nil {
				if code := crm.ErrorCode(err); code != crm.EUNAUTHORIZED && code != crm.ENOTFOUND {
					s.log.Error("load session", "err", err)
				}
				s.clearCookie(w, sessionCookie)
				st = &state{}
			}
		}
		st.locale = s.pickLocale(w, r, st.user)
		ctx := context.WithValue(r.Context(), stateKey{}, st)
		if st.actor != nil {
			ctx = crm.WithActor(ctx, st.actor)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *server) loadSession(ctx context.Context, st *state, token string) error {
	sess, err := s.svc.Users.FindSession(ctx, token)
	if err != nil {
		return err
	}
	actor, err := s.svc.Users.ActorForUser(ctx, sess.UserID)
	if err != nil {
		return err
	}
	user, err := s.svc.Users.FindUserByID(crm.WithActor(ctx, actor), sess.UserID)
	if err != nil {
		return err
	}
	st.token, st.session, st.actor, st.user = token, sess, actor, user
	return nil
}

// pickLocale: ?lang= (remembered in a cookie), then the cookie, then the
// user's language, then Accept-Language.
func (s *server) pickLocale(w http.ResponseWriter, r *http.Request, u *crm.User) *i18n.Locale {
	if l := r.URL.Query().Get("lang"); slices.Contains(i18n.Langs, l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		return i18n.Get(l)
	}
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(i18n.Langs, c.Value) {
		return i18n.Get(c.Value)
	}
	if u != nil && slices.Contains(i18n.Langs, u.Language) {
		return i18n.Get(u.Language)
	}
	return i18n.Get(i18n.Match(r.Header.Get("Accept-Language")))
}

func (s *server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, Expires: time.Now().Add(12 * time.Hour)})
}

func (s *server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// guard admits signed-in users holding perms. Unsafe methods must also
// carry the session's CSRF token, in the _csrf field or the X-CSRF-Token
// header that static/app.js adds to htmx requests. Cross-origin requests
// were already refused by http.CrossOriginProtection; the token also covers
// old browsers that send neither Origin nor Sec-Fetch-Site.
func (s *server) guard(perms []crm.Permission, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		st := stateOf(r)
		if st.actor == nil {
			return crm.Errorf(crm.EUNAUTHORIZED, "sign in required")
		}
		if !safeMethod(r.Method) {
			limit := int64(maxForm)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = maxUpload + maxForm
				// A signed-in user's file may take longer to arrive than
				// the server's read timeout allows anyone else (an error
				// only where the writer cannot set deadlines, i.e. tests).
				http.NewResponseController(w).SetReadDeadline(time.Now().Add(UploadReadTimeout))
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := s.checkCSRF(r, st); err != nil {
				return err
			}
		}
		for _, p := range perms {
			if !st.actor.Can(p) {
				return crm.Errorf(crm.EFORBIDDEN, "you do not have permission %s", p)
			}
		}
		return h(w, r)
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF parses the form (so handlers can read r.PostForm whatever the
// request carried) and compares the token in constant time.
func (s *server) checkCSRF(r *http.Request, st *state) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxForm)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return crm.Errorf(crm.ETOOLARGE, "request too large")
		}
		return crm.Errorf(crm.EINVALID, "malformed form")
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("_csrf")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.session.CSRF)) != 1 {
		return crm.Errorf(crm.EFORBIDDEN, "missing or wrong CSRF token")
	}
	return nil
}

// localPath returns p when it is a path on this site, else fallback: a
// "next" or "return" parameter must never send the user elsewhere.
func localPath(p, fallback string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return fallback
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return fallback
	}
	return p
}
