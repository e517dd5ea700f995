package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Passive collection: tracking sites (sites:read|write), collected events
// and visitors (events:read), a contact's web activity, and the shop's
// server-side identify (events:write). A site's identify secret is in the
// answers to creating the site and rotating the secret, nowhere else.

var (
	sitesR, sitesW   = crm.P(crm.ResSites, crm.Read), crm.P(crm.ResSites, crm.Write)
	eventsR, eventsW = crm.P(crm.ResEvents, crm.Read), crm.P(crm.ResEvents, crm.Write)
)

// siteDoc is the description of create-site in the OpenAPI document.
const siteDoc = "Pages embed `<script src=\"{ecrm}/t.js\" data-site=\"{public_key}\" async></script>`. Before a visitor chooses, the snippet " +
	"stores nothing and sends only the path of each page view (a cookieless count); after consent it sends batched events to `POST /t/collect?k={public_key}` " +
	"from the allowed origins only. The identify secret signs browser identify calls: the hex HMAC-SHA256 of the lowercased email, " +
	"passed as `ecrm('identify', {email, sig})`."

func registerTracking(s *server, a huma.API) {
	handle(s, a, op(get, "/sites", "list-sites", "List tracking sites (never their identify secrets)", sitesR), s.listSites)
	handle(s, a, op(post, "/sites", "create-site", "Create a tracking site; its identify secret is returned once", sitesW).status(201).doc(siteDoc), s.createSite)
	handle(s, a, op(get, "/sites/{id}", "get-site", "Get a tracking site", sitesR), s.getSite)
	handle(s, a, op(patch, "/sites/{id}", "update-site", "Update a tracking site (only the fields sent)", sitesW), s.updateSite)
	handle(s, a, op(del, "/sites/{id}", "delete-site", "Delete a tracking site with its events, visitors and counts", sitesW).status(204), s.deleteSite)
	handle(s, a, op(post, "/sites/{id}/rotate-secret", "rotate-site-secret", "Issue a new identify secret, returned once; the old one stops verifying at once", sitesW), s.rotateSiteSecret)
	handle(s, a, op(get, "/sites/{id}/stats", "site-stats", "Cookieless page-view counts and consented event counts of a site", sitesR), s.siteStats)
	handle(s, a, op(get, "/events", "list-events", "List consented web events, newest first", eventsR), s.listEvents)
	handle(s, a, op(get, "/visitors/{visitor_id}", "get-visitor", "Get a visitor and the contact it is linked to", eventsR), s.getVisitor)
	handle(s, a, op(get, "/contacts/{id}/web-activity", "contact-web-activity", "A contact's web activity: products viewed this week, recent sessions", contactsR, eventsR), s.contactWebActivity)
	handle(s, a, op(post, "/identify", "identify-visitor", "Link a visitor to a contact (by id, or by email: found or created, which needs contacts:write too)", eventsW).
		doc("For the shop's server, after its own sign-in: the visitor id comes from `ecrm.visitorId()` in the page. "+
			"Linking attaches the visitor's past and future events to the contact."), s.identifyVisitor)
}

type siteOut struct{ Body *crm.Site }

func (s *server) listSites(ctx context.Context, _ *struct{}) (*items[*crm.Site], error) {
	list, err := s.svc.Tracking.FindSites(ctx)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

func (s *server) getSite(ctx context.Context, in *IDPath) (*siteOut, error) {
	x, err := s.svc.Tracking.FindSiteByID(ctx, in.ID)
	return &siteOut{x}, err
}

type siteCreateInput struct {
	Idempotency
	Body crm.SiteInput
}

// NewSiteSecret is the answer to creating a site or rotating its identify
// secret: the only time the secret is shown.
type NewSiteSecret struct {
	Site           *crm.Site `json:"site"`
	IdentifySecret string    `json:"identify_secret" doc:"Signs browser identify calls. It is shown only in this response; store it on the shop's server, never in a page."`
}

type siteSecretOut struct{ Body NewSiteSecret }

func (s *server) createSite(ctx context.Context, in *siteCreateInput) (*siteSecretOut, error) {
	x, secret, err := s.svc.Tracking.CreateSite(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &siteSecretOut{NewSiteSecret{x, secret}}, nil
}

type siteUpdateInput struct {
	IDPath
	Body crm.SiteInput
}

func (s *server) updateSite(ctx context.Context, in *siteUpdateInput) (*siteOut, error) {
	x, err := s.svc.Tracking.UpdateSite(ctx, in.ID, in.Body)
	return &siteOut{x}, err
}

func (s *server) deleteSite(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Tracking.DeleteSite(ctx, in.ID)
}

type siteIDInput struct {
	Idempotency
	IDPath
}

func (s *server) rotateSiteSecret(ctx context.Context, in *siteIDInput) (*siteSecretOut, error) {
	x, secret, err := s.svc.Tracking.RotateSiteSecret(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &siteSecretOut{NewSiteSecret{x, secret}}, nil
}

type siteStatsInput struct {
	IDPath
	Days int `query:"days" minimum:"1" maximum:"366" default:"30" doc:"The window, in days up to today."`
}

type siteStatsOut struct{ Body *crm.SiteStats }

func (s *server) siteStats(ctx context.Context, in *siteStatsInput) (*siteStatsOut, error) {
	since := s.svc.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1-in.Days)
	st, err := s.svc.Tracking.SiteStats(ctx, in.ID, since)
	return &siteStatsOut{st}, err
}

type eventListInput struct {
	request
	SiteID    int64     `query:"site_id" minimum:"1"`
	VisitorID string    `query:"visitor_id" pattern:"^[0-9a-f]{32,64}$"`
	ContactID int64     `query:"contact_id" minimum:"1" doc:"Events of the visitors linked to this contact."`
	Name      string    `query:"name" pattern:"^[a-z][a-z0-9_.:-]{0,47}$" doc:"pageview, product_view, add_to_cart, checkout, purchase, search or a custom name."`
	Since     time.Time `query:"since" doc:"Events that occurred at or after this time (RFC 3339)."`
	Until     time.Time `query:"until" doc:"Events that occurred before this time (RFC 3339)."`
	Paging
}

func (in *eventListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"site_id", "visitor_id", "contact_id", "name", "since", "until", "limit", "after"}, false)
}

func (s *server) listEvents(ctx context.Context, in *eventListInput) (*listOutput[*crm.Event], error) {
	f := crm.EventFilter{SiteID: in.optionalID("site_id", in.SiteID), ContactID: in.optionalID("contact_id", in.ContactID),
		VisitorID: in.VisitorID, Name: in.Name, After: in.After, Limit: in.Limit}
	if !in.Since.IsZero() {
		f.Since = &in.Since
	}
	if !in.Until.IsZero() {
		f.Until = &in.Until
	}
	p, err := s.svc.Tracking.FindEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

type visitorPath struct {
	VisitorID string `path:"visitor_id" pattern:"^[0-9a-f]{32,64}$"`
}

type visitorOut struct{ Body *crm.Visitor }

func (s *server) getVisitor(ctx context.Context, in *visitorPath) (*visitorOut, error) {
	v, err := s.svc.Tracking.FindVisitor(ctx, in.VisitorID)
	return &visitorOut{v}, err
}

type webActivityOut struct{ Body *crm.WebActivity }

func (s *server) contactWebActivity(ctx context.Context, in *IDPath) (*webActivityOut, error) {
	w, err := s.svc.Tracking.WebActivity(ctx, in.ID)
	return &webActivityOut{w}, err
}

// IdentifyInput links a visitor: to a contact by id, or by email.
type IdentifyInput struct {
	VisitorID string `json:"visitor_id" pattern:"^[0-9a-f]{32,64}$" doc:"From ecrm.visitorId() in the page (null before consent: then there is nothing to link)."`
	ContactID int64  `json:"contact_id,omitempty" minimum:"1" doc:"The contact, when the shop knows its ecrm id."`
	Email     string `json:"email,omitempty" maxLength:"254" doc:"Otherwise the verified email of the signed-in customer: the contact with it, or a new one."`
}

type identifyInput struct {
	Idempotency
	Body IdentifyInput
}

// Identified is the answer to identify: the visitor and its contact.
type Identified struct {
	VisitorID string `json:"visitor_id"`
	ContactID int64  `json:"contact_id"`
}

type identifyOut struct{ Body Identified }

func (s *server) identifyVisitor(ctx context.Context, in *identifyInput) (*identifyOut, error) {
	b := in.Body
	switch {
	case b.ContactID != 0 && b.Email != "":
		return nil, invalid("body.email", "invalid_value")
	case b.ContactID != 0:
		if err := s.svc.Tracking.LinkVisitor(ctx, b.VisitorID, b.ContactID, crm.LinkIdentifyAPI); err != nil {
			return nil, err
		}
		return &identifyOut{Identified{b.VisitorID, b.ContactID}}, nil
	case b.Email != "":
		id, err := s.svc.Tracking.IdentifyVisitor(ctx, b.VisitorID, b.Email, crm.LinkIdentifyAPI)
		if err != nil {
			return nil, err
		}
		return &identifyOut{Identified{b.VisitorID, id}}, nil
	}
	return nil, invalid("body.contact_id", "required")
}
