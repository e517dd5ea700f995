package web

import (
	"net/http"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// webBlock is the "Web activity" section of a contact's 360 page: what
// the contact's linked browsers did, summarised ("viewed product X three
// times this week") and as recent sessions with their pages.
type webBlock struct {
	L  *i18n.Locale
	W  *crm.WebActivity
	ID int64
}

// contactWebActivity answers the 360 page's htmx load with the section,
// and a browser without JavaScript with a page of its own.
func (s *server) contactWebActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.svc.Contacts.FindContactByID(r.Context(), id)
	if err != nil {
		return err
	}
	wa, err := s.svc.Tracking.WebActivity(r.Context(), id)
	if err != nil {
		return err
	}
	b := webBlock{L: stateOf(r).locale, W: wa, ID: id}
	if isHTMX(r) {
		s.renderFragment(w, r, http.StatusOK, "web_activity", "web-activity", b)
		return nil
	}
	v := s.newView(r, "contacts")
	v.Title = v.L.T("tracking.web.title") + " · " + c.Name()
	v.Data = map[string]any{"Contact": c, "Block": b}
	return s.ok(w, r, "web_activity", v)
}
