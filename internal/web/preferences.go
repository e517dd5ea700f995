package web

import (
	"errors"
	"net/http"

	"github.com/ecrm/ecrm/internal/crm"
)

// The preference centre (/p/{token}) lets a person change each consent
// topic, or leave everything in one click, from a signed link and without
// an account. The token names the contact and never expires by itself: it
// is the link in the footer of every message, and an unsubscribe link that
// stops working is a complaint to the regulator waiting to happen. Staff
// can revoke it (a forwarded message); the old link then says it is no
// longer valid (410) and the next message carries the new one.

// prefsWording is the text the page shows for each topic, in the reader's
// language; its version goes into every ledger entry the page writes, so
// the ledger says what the person agreed to.
const prefsWordingVersion = "preferences-1"

type prefsPage struct {
	Token   string
	Name    string
	Email   string
	States  []crm.ConsentState
	Saved   bool
	LeftAll bool
}

// prefsContact resolves the token to a contact and records that the link
// was used; any failure is the same "invalid link" page, so a forged token
// learns nothing, except a genuine link that staff revoked, which says so.
func (s *server) prefsContact(r *http.Request) (*crm.Contact, error) {
	ctx := crm.WithActor(r.Context(), crm.SystemActor)
	id, err := s.svc.Links.OpenPreferenceLink(ctx, r.PathValue("token"))
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Contacts.FindContactByID(ctx, id)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return nil, crm.Errorf(crm.ENOTFOUND, "invalid link")
	}
	return c, err
}

func (s *server) preferences(w http.ResponseWriter, r *http.Request) error {
	c, err := s.prefsContact(r)
	if err != nil {
		return s.prefsInvalid(w, r, err)
	}
	return s.prefsRender(w, r, c, r.URL.Query().Get("saved"))
}

func (s *server) prefsRender(w http.ResponseWriter, r *http.Request, c *crm.Contact, saved string) error {
	ctx := crm.WithActor(r.Context(), crm.SystemActor)
	states, err := s.svc.Consents.ConsentStates(ctx, c.ID)
	if err != nil {
		return err
	}
	v := s.newView(r, "")
	v.Title = v.L.T("prefs.title")
	v.Data = prefsPage{Token: r.PathValue("token"), Name: c.Name(), Email: c.Email, States: states, Saved: saved == "1", LeftAll: saved == "all"}
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	return s.ok(w, r, "preferences", v)
}

// prefsInvalid answers a bad link with a page, not the console's error
// (which would offer a login to someone who has no account).
func (s *server) prefsInvalid(w http.ResponseWriter, r *http.Request, err error) error {
	if crm.ErrorCode(err) != crm.ENOTFOUND {
		return err
	}
	v := s.newView(r, "")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	if errors.Is(err, crm.ErrLinkRevoked) {
		v.Title = v.L.T("prefs.revoked_title")
		s.render(w, r, http.StatusGone, "preferences_revoked", v)
		return nil
	}
	v.Title = v.L.T("prefs.invalid_title")
	s.render(w, r, http.StatusNotFound, "preferences_invalid", v)
	return nil
}

// preferencesSave records every topic whose choice changed (and, with
// "leave", withdraws every topic currently granted) in one transaction.
func (s *server) preferencesSave(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return crm.Errorf(crm.EINVALID, "unreadable form")
	}
	c, err := s.prefsContact(r)
	if err != nil {
		return s.prefsInvalid(w, r, err)
	}
	if !s.prefsLimiter.allow(clientIP(r), r.PathValue("token")) {
		return crm.Errorf(crm.ERATELIMIT, "too many changes; try again in a minute")
	}
	ctx := crm.WithActor(r.Context(), crm.SystemActor)
	states, err := s.svc.Consents.ConsentStates(ctx, c.ID)
	if err != nil {
		return err
	}
	leave := r.PostForm.Get("leave") != ""
	l := stateOf(r).locale
	var in []crm.ConsentInput
	for _, st := range states {
		want := !leave && r.PostForm.Get(st.Purpose+"/"+st.Channel) == "on"
		if want == st.Granted {
			continue
		}
		status := crm.ConsentWithdrawn
		if want {
			status = crm.ConsentGranted
		}
		in = append(in, crm.ConsentInput{ContactID: c.ID, Purpose: st.Purpose, Channel: st.Channel, Status: status,
			Source: crm.SourcePreferences, WordingVersion: prefsWordingVersion + "/" + l.Lang(),
			Wording: l.T("consent.topic." + st.Purpose + "." + st.Channel), IP: clientIP(r), UserAgent: r.UserAgent()})
	}
	if len(in) > 0 {
		if err := s.svc.Consents.RecordConsents(ctx, in); err != nil {
			return err
		}
	}
	saved := "1"
	if leave {
		saved = "all"
	}
	http.Redirect(w, r, "/p/"+r.PathValue("token")+"?saved="+saved, http.StatusSeeOther)
	return nil
}
