package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// The tracking console (marketing, admins): sites with their snippet tag,
// allowed origins and banner options, the identify secret (shown once, on
// creation and rotation), the cookieless page-view counts next to the
// consented events, and the latest events. Every value that came from a
// browser (URLs, titles, referrers, properties) is rendered as text.

type sitesPage struct {
	Sites     []*crm.Site
	Positions []string
	Languages []string
	Secret    string
	Created   *crm.Site
}

func (s *server) sitesView(r *http.Request, vals url.Values) (*view, error) {
	list, err := s.svc.Tracking.FindSites(r.Context())
	if err != nil {
		return nil, err
	}
	v := s.newView(r, "tracking")
	v.Title = v.L.T("tracking.sites.title")
	if vals == nil {
		vals = url.Values{"banner": {"1"}, "active": {"1"}, "banner_position": {"bottom"}, "banner_language": {v.L.Lang()}}
	}
	v.Form = newForm(vals)
	v.Data = sitesPage{Sites: list, Positions: crm.BannerPositions, Languages: crm.BannerLanguages}
	return v, nil
}

func (s *server) trackingSites(w http.ResponseWriter, r *http.Request) error {
	v, err := s.sitesView(r, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "tracking_sites", v)
}

// siteInput reads the site form: origins one per line (or space
// separated), checkboxes for the switches.
func siteInput(f url.Values) crm.SiteInput {
	name, color, pos, lang, privacy := f.Get("name"), f.Get("banner_color"), f.Get("banner_position"), f.Get("banner_language"), f.Get("privacy_url")
	origins := strings.Fields(f.Get("origins"))
	active, banner := f.Get("active") != "", f.Get("banner") != ""
	return crm.SiteInput{Name: &name, Origins: &origins, Color: &color, Position: &pos, Language: &lang, PrivacyURL: &privacy, Active: &active, Banner: &banner}
}

func siteValues(x *crm.Site) url.Values {
	v := url.Values{"name": {x.Name}, "origins": {strings.Join(x.Origins, "\n")}, "banner_color": {x.Color}, "banner_position": {x.Position},
		"banner_language": {x.Language}, "privacy_url": {x.PrivacyURL}}
	if x.Active {
		v.Set("active", "1")
	}
	if x.Banner {
		v.Set("banner", "1")
	}
	return v
}

func (s *server) trackingSiteCreate(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	x, secret, err := s.svc.Tracking.CreateSite(r.Context(), siteInput(r.PostForm))
	if err != nil {
		v, verr := s.sitesView(r, r.PostForm)
		if verr != nil {
			return verr
		}
		return redisplay(err, "tracking_sites", v)
	}
	// The secret is shown on the answer to the creation itself: a
	// redirect would have to carry it in a URL.
	v, err := s.siteView(r, x.ID, nil)
	if err != nil {
		return err
	}
	p := v.Data.(sitePage)
	p.Secret = secret
	v.Data = p
	s.render(w, r, http.StatusCreated, "tracking_site", v)
	return nil
}

type sitePage struct {
	Site      *crm.Site
	Tag       string
	Positions []string
	Languages []string
	Stats     *crm.SiteStats
	Events    []*crm.Event
	Secret    string
}

// siteStatsDays is the window of the site page's figures.
const siteStatsDays = 30

func (s *server) siteView(r *http.Request, id int64, vals url.Values) (*view, error) {
	ctx := r.Context()
	x, err := s.svc.Tracking.FindSiteByID(ctx, id)
	if err != nil {
		return nil, err
	}
	since := s.now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1-siteStatsDays)
	st, err := s.svc.Tracking.SiteStats(ctx, id, since)
	if err != nil {
		return nil, err
	}
	p := sitePage{Site: x, Stats: st, Positions: crm.BannerPositions, Languages: crm.BannerLanguages,
		Tag: `<script src="` + s.svc.Links.PublicURL(ctx) + `/t.js" data-site="` + x.PublicKey + `" async></script>`}
	if stateOf(r).actor.Can(crm.P(crm.ResEvents, crm.Read)) {
		evs, err := s.svc.Tracking.FindEvents(ctx, crm.EventFilter{SiteID: &id, Limit: 25})
		if err != nil {
			return nil, err
		}
		p.Events = evs.Items
	}
	v := s.newView(r, "tracking")
	v.Title = x.Name
	if vals == nil {
		vals = siteValues(x)
	}
	v.Form = newForm(vals)
	v.Data = p
	if r.URL.Query().Get("done") == "saved" {
		v.Message = v.L.T("tracking.site.saved")
	}
	return v, nil
}

func siteURL(id int64) string { return "/tracking/sites/" + strconv.FormatInt(id, 10) }

func (s *server) trackingSite(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.siteView(r, id, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "tracking_site", v)
}

func (s *server) trackingSiteUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	if _, err := s.svc.Tracking.UpdateSite(r.Context(), id, siteInput(r.PostForm)); err != nil {
		v, verr := s.siteView(r, id, r.PostForm)
		if verr != nil {
			return verr
		}
		return redisplay(err, "tracking_site", v)
	}
	http.Redirect(w, r, siteURL(id)+"?done=saved", http.StatusSeeOther)
	return nil
}

// trackingSiteRotate answers with the site page showing the new secret.
func (s *server) trackingSiteRotate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, secret, err := s.svc.Tracking.RotateSiteSecret(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.siteView(r, id, nil)
	if err != nil {
		return err
	}
	p := v.Data.(sitePage)
	p.Secret = secret
	v.Data = p
	return s.ok(w, r, "tracking_site", v)
}

func (s *server) trackingSiteDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	x, err := s.svc.Tracking.FindSiteByID(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "tracking")
	v.Title = v.L.T("tracking.site.delete_title")
	v.Data = confirmPage{Message: v.L.T("tracking.site.delete_confirm"), Detail: []string{x.Name},
		Action: siteURL(id) + "/delete", Submit: v.L.T("console.delete"), Cancel: siteURL(id), Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) trackingSiteDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Tracking.DeleteSite(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/tracking/sites", http.StatusSeeOther)
	return nil
}
