package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// consentBlock is the consent section of a contact's 360 page: the
// current state of every topic, the ledger behind it, the form staff use
// to record a consent they were given, and the person's preference link.
type consentBlock struct {
	L         *i18n.Locale
	CSRF      string
	ContactID int64
	States    []crm.ConsentState
	History   []*crm.Consent
	CanWrite  bool
	// Link is the preference link's state: when it was last used, when
	// an older one was revoked; its URL only for CanWrite.
	Link    *crm.PreferenceLink
	Revoked bool
	Topics  []crm.ConsentTopic
	Bases   []string
	Form    *form
	Saved   bool
}

func (s *server) consentSection(r *http.Request, id int64) (*consentBlock, error) {
	ctx, st := r.Context(), stateOf(r)
	b := &consentBlock{L: st.locale, ContactID: id, Topics: crm.ConsentTopics, Bases: crm.LegalBases, Form: newForm(nil),
		CanWrite: st.actor.Can(crm.P(crm.ResConsents, crm.Write))}
	if st.session != nil {
		b.CSRF = st.session.CSRF
	}
	var err error
	if b.History, err = s.svc.Consents.ConsentHistory(ctx, id, 200); err != nil {
		return nil, err
	}
	if b.States, err = s.svc.Consents.ConsentStates(ctx, id); err != nil {
		return nil, err
	}
	// Whoever may record consents may hand the person their own
	// preference link (the store leaves the URL out for anyone else); the
	// link itself changes nothing until used.
	if b.Link, err = s.svc.Links.PreferenceLink(ctx, id); err != nil {
		return nil, err
	}
	return b, nil
}

// contactConsents answers the 360 page's htmx load with the section, and a
// browser without JavaScript with a page of its own.
func (s *server) contactConsents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.svc.Contacts.FindContactByID(r.Context(), id)
	if err != nil {
		return err
	}
	b, err := s.consentSection(r, id)
	if err != nil {
		return err
	}
	b.Saved = r.URL.Query().Get("saved") != ""
	b.Revoked = r.URL.Query().Get("revoked") != ""
	if isHTMX(r) {
		s.renderFragment(w, r, http.StatusOK, "consents", "consents", b)
		return nil
	}
	v := s.newView(r, "contacts")
	v.Title = v.L.T("consent.title") + " · " + c.Name()
	v.Data = map[string]any{"Contact": c, "Block": b}
	return s.ok(w, r, "consents", v)
}

// contactConsentRecord appends what a staff member was told: the store
// marks it as given to that user, with no IP (it is not the person's).
func (s *server) contactConsentRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	purpose, channel, _ := strings.Cut(f.Get("topic"), "/")
	in := crm.ConsentInput{ContactID: id, Purpose: purpose, Channel: channel, Status: f.Get("status"), LegalBasis: f.Get("legal_basis"),
		Wording: strings.TrimSpace(f.Get("wording")), WordingVersion: strings.TrimSpace(f.Get("wording_version"))}
	if d := strings.TrimSpace(f.Get("expires")); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			var v crm.Validation
			v.Add("expires", "invalid_date")
			return s.consentFormError(w, r, id, v.Err())
		}
		in.ExpiresAt = &t
	}
	if _, err := s.svc.Consents.RecordConsent(r.Context(), in); err != nil {
		return s.consentFormError(w, r, id, err)
	}
	if !isHTMX(r) {
		http.Redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10)+"/consents?saved=1", http.StatusSeeOther)
		return nil
	}
	b, err := s.consentSection(r, id)
	if err != nil {
		return err
	}
	b.Saved = true
	s.renderFragment(w, r, http.StatusOK, "consents", "consents", b)
	return nil
}

// contactPrefsRevoke revokes the person's preference link: every link
// sent so far answers "no longer valid", the next message carries the
// new one, which the section then shows.
func (s *server) contactPrefsRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.Links.RevokePreferenceLink(r.Context(), id); err != nil {
		return err
	}
	if !isHTMX(r) {
		http.Redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10)+"/consents?revoked=1", http.StatusSeeOther)
		return nil
	}
	b, err := s.consentSection(r, id)
	if err != nil {
		return err
	}
	b.Revoked = true
	s.renderFragment(w, r, http.StatusOK, "consents", "consents", b)
	return nil
}

// consentFormError shows field errors in the section itself (htmx swaps
// 4xx answers in, see the layout's responseHandling).
func (s *server) consentFormError(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	if crm.ErrorCode(err) != crm.EINVALID {
		return err
	}
	b, lerr := s.consentSection(r, id)
	if lerr != nil {
		return lerr
	}
	b.Form = newForm(r.PostForm)
	b.Form.addErrors(b.L, err)
	if isHTMX(r) {
		s.renderFragment(w, r, http.StatusUnprocessableEntity, "consents", "consents", b)
		return nil
	}
	c, cerr := s.svc.Contacts.FindContactByID(r.Context(), id)
	if cerr != nil {
		return cerr
	}
	v := s.newView(r, "contacts")
	v.Title = v.L.T("consent.title") + " · " + c.Name()
	v.Data = map[string]any{"Contact": c, "Block": b}
	s.render(w, r, http.StatusUnprocessableEntity, "consents", v)
	return nil
}
