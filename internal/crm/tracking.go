package crm

import (
	"context"
	"regexp"
	"time"
)

// Site is a web property that embeds the tracking snippet (/t.js) with its
// public key. The identify secret is not part of this type on purpose: it
// is returned once, on creation and on rotation, so no list, read, audit
// entry or export can carry it.
type Site struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	PublicKey string   `json:"public_key" doc:"The key in the snippet tag (data-site). Public: it names the site, it grants nothing."`
	Origins   []string `json:"allowed_origins" doc:"Origins (scheme://host[:port]) whose pages may send events; requests from any other origin are refused."`
	Active    bool     `json:"active"`
	// HasSecret is false after a restore from an export (which holds no
	// secrets): signed identify calls fail until the secret is rotated.
	HasSecret bool `json:"has_identify_secret" doc:"False after a restore from an export: rotate the identify secret to sign identify calls again."`
	SiteBanner
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SiteBanner are the options of the built-in consent banner.
type SiteBanner struct {
	Banner     bool   `json:"banner" doc:"Show the built-in consent banner; false when the site asks with its own consent tool (ecrm('consent', …))."`
	Color      string `json:"banner_color" doc:"Accent colour of the banner buttons, #rgb or #rrggbb; empty for the default."`
	Position   string `json:"banner_position" enum:"bottom,top"`
	Language   string `json:"banner_language" enum:"en,fa,ja" doc:"Language when the browser asks for none of en, fa, ja."`
	PrivacyURL string `json:"privacy_url" doc:"Link to the site's privacy policy, shown in the banner."`
}

// SiteInput is what may be set on a site; nil fields are unchanged.
type SiteInput struct {
	Name       *string   `json:"name,omitempty" maxLength:"200"`
	Origins    *[]string `json:"allowed_origins,omitempty" maxItems:"20" doc:"Origins allowed to send events, e.g. https://shop.example."`
	Active     *bool     `json:"active,omitempty"`
	Banner     *bool     `json:"banner,omitempty"`
	Color      *string   `json:"banner_color,omitempty" maxLength:"7"`
	Position   *string   `json:"banner_position,omitempty" enum:"bottom,top"`
	Language   *string   `json:"banner_language,omitempty" enum:"en,fa,ja"`
	PrivacyURL *string   `json:"privacy_url,omitempty" maxLength:"2000"`
}

// Banner choices.
var (
	BannerPositions = []string{"bottom", "top"}
	BannerLanguages = []string{"en", "fa", "ja"}
)

// Built-in event names the snippet sends; sites may add their own that
// match EventNameRe.
const (
	EventPageView   = "pageview"
	EventProduct    = "product_view"
	EventAddToCart  = "add_to_cart"
	EventCheckout   = "checkout"
	EventPurchase   = "purchase"
	EventSearch     = "search"
	EventIdentified = "identify"
)

// EventNameRe is what an event name may look like: short, lowercase,
// no markup, so names can be shown and filtered on safely.
var EventNameRe = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,47}$`)

// VisitorIDRe is the shape of a visitor id: 32 to 64 lowercase hex digits
// (the snippet makes 128 random bits). Anything else is refused, so a
// guessable id (a contact number, an email) can never name a visitor.
var VisitorIDRe = regexp.MustCompile(`^[0-9a-f]{32,64}$`)

// SessionIDRe is the shape of a session id (the snippet makes 64 bits).
var SessionIDRe = regexp.MustCompile(`^[0-9a-f]{16,64}$`)

// Event is one consented browsing event.
type Event struct {
	ID          int64          `json:"id"`
	SiteID      int64          `json:"site_id"`
	VisitorID   string         `json:"visitor_id"`
	ContactID   *int64         `json:"contact_id" doc:"The contact the visitor is linked to, if any."`
	SessionID   string         `json:"session_id"`
	Name        string         `json:"name"`
	URL         string         `json:"url"`
	Path        string         `json:"path"`
	Title       string         `json:"title"`
	Referrer    string         `json:"referrer"`
	UTMSource   string         `json:"utm_source"`
	UTMMedium   string         `json:"utm_medium"`
	UTMCampaign string         `json:"utm_campaign"`
	UTMTerm     string         `json:"utm_term"`
	UTMContent  string         `json:"utm_content"`
	ProductSKU  string         `json:"product_sku"`
	ProductName string         `json:"product_name"`
	Value       *int64         `json:"value" doc:"Money value in minor units (product price, order total)."`
	Currency    string         `json:"currency"`
	Props       map[string]any `json:"props"`
	OccurredAt  time.Time      `json:"occurred_at"`
	ReceivedAt  time.Time      `json:"received_at"`
}

// EventFilter selects events, newest first.
type EventFilter struct {
	SiteID    *int64
	VisitorID string
	ContactID *int64
	Name      string
	Since     *time.Time
	Until     *time.Time
	After     string
	Limit     int
}

// Visitor is a consenting browser, possibly linked to a contact.
type Visitor struct {
	ID         string     `json:"id"`
	SiteID     *int64     `json:"site_id"`
	ContactID  *int64     `json:"contact_id"`
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	LinkedAt   *time.Time `json:"linked_at"`
	LinkSource string     `json:"link_source" doc:"What linked the visitor to the contact: form, identify_api, identify_signed, portal."`
}

// Link sources: how a visitor became known. Each is a trusted act (the
// person submitted a form, the shop's server vouched with its key or its
// identify secret); a browser's claim alone is never one of them.
const (
	LinkForm           = "form"
	LinkIdentifyAPI    = "identify_api"
	LinkIdentifySigned = "identify_signed"
	LinkPortal         = "portal"
)

// LinkSources lists them.
var LinkSources = []string{LinkForm, LinkIdentifyAPI, LinkIdentifySigned, LinkPortal}

// PageCount is the cookieless page-view count of one path on one UTC day.
type PageCount struct {
	Day   string `json:"day" doc:"UTC day, YYYY-MM-DD."`
	Path  string `json:"path"`
	Count int64  `json:"count"`
}

// SiteStats are a site's figures for the console: cookieless page views
// (every visitor, counted without an identifier) next to consented events.
type SiteStats struct {
	Since         time.Time    `json:"since"`
	PageViews     int64        `json:"page_views" doc:"Cookieless page views since Since (all visitors, no identifiers)."`
	Events        int64        `json:"events" doc:"Consented events since Since."`
	Visitors      int64        `json:"visitors" doc:"Consenting visitors seen since Since."`
	TopPaths      []*PageCount `json:"top_paths"`
	ConsentedDays []*DayCount  `json:"consented_days"`
}

// DayCount is a number per UTC day.
type DayCount struct {
	Day   string `json:"day"`
	Count int64  `json:"count"`
}

// WebActivity is a contact's browsing as staff see it on the 360 page.
type WebActivity struct {
	ContactID int64 `json:"contact_id"`
	// Products viewed in the last seven days, most viewed first: "viewed
	// product X three times this week".
	ProductViews []*ProductViews `json:"product_views"`
	PageViews7d  int64           `json:"page_views_7d"`
	Visitors     []*Visitor      `json:"visitors"`
	Sessions     []*WebSession   `json:"sessions" doc:"The latest sessions, newest first, with their events in order."`
}

// ProductViews is how often a product was viewed in a window.
type ProductViews struct {
	SKU   string    `json:"sku"`
	Name  string    `json:"name"`
	Views int64     `json:"views"`
	Last  time.Time `json:"last"`
}

// WebSession is one visit: events sharing a session id.
type WebSession struct {
	ID     string    `json:"id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Events []*Event  `json:"events"`
}

// TrackingService is implemented by the store. Sites are marketing's
// configuration (sites:write); events are read by everyone who talks to
// customers (events:read); linking a visitor is events:write (the system
// actor when a form is submitted, an API key for the shop's server).
type TrackingService interface {
	FindSites(ctx context.Context) ([]*Site, error)
	FindSiteByID(ctx context.Context, id int64) (*Site, error)
	CreateSite(ctx context.Context, in SiteInput) (site *Site, identifySecret string, err error)
	UpdateSite(ctx context.Context, id int64, in SiteInput) (*Site, error)
	DeleteSite(ctx context.Context, id int64) error
	RotateSiteSecret(ctx context.Context, id int64) (site *Site, identifySecret string, err error)
	SiteStats(ctx context.Context, id int64, since time.Time) (*SiteStats, error)

	FindEvents(ctx context.Context, f EventFilter) (Page[*Event], error)
	FindVisitor(ctx context.Context, id string) (*Visitor, error)
	WebActivity(ctx context.Context, contactID int64) (*WebActivity, error)

	// LinkVisitor attaches a visitor (and so all its past and future
	// events) to a contact. Callers must have verified the link (a form
	// submission carrying the visitor id, a signed identify): a client
	// supplied email or contact id alone is never enough. The visitor row
	// is created if its events have not been written yet. A later link
	// replaces an earlier one (a shared computer, a new sign-in).
	LinkVisitor(ctx context.Context, visitorID string, contactID int64, source string) error
	// IdentifyVisitor links a visitor to the contact with this email,
	// creating the contact when there is none; for callers that verified
	// the email (the identify API, a signed browser identify).
	IdentifyVisitor(ctx context.Context, visitorID, email, source string) (contactID int64, err error)
}

// TrackedSite is a site as the collect endpoint needs it: with its
// identify secret, which never leaves the process.
type TrackedSite struct {
	ID             int64
	Key            string
	Active         bool
	Origins        []string
	IdentifySecret string
	SiteBanner
}

// EventBatch is what the collect endpoint's writer stores in one
// transaction: consented events (visitors are upserted from them) and the
// cookieless page counts.
type EventBatch struct {
	Events []*Event
	Counts []PageCountDelta
	// Spool, when set, names the spool records the batch came from; the
	// store records the range in the same transaction, so a replay after
	// a crash knows the batch is already in and does not add it twice.
	Spool *SpoolRange
}

// SpoolRange is a run of consecutive records of one collect spool (a
// process's append-only file of accepted events): records First..Last.
type SpoolRange struct {
	Spool       string
	First, Last int64
}

// PageCountDelta adds N views to one site × day × path.
type PageCountDelta struct {
	SiteID int64
	Day    int64 // unix day number (UTC)
	Path   string
	N      int64
}

// TrackingSink is the collect endpoint's side of the store. System actor
// only: it is the machinery behind a public endpoint, not an API.
type TrackingSink interface {
	SiteByKey(ctx context.Context, key string) (*TrackedSite, error)
	WriteEvents(ctx context.Context, b EventBatch) error
	// VisitorWithdrawn reports that a visitor's events are refused (its
	// contact withdrew analytics consent on the ledger, or was erased) and
	// that the browser should be told to forget its identifiers. It may
	// learn of a withdrawal only once WriteEvents refused the visitor:
	// WriteEvents is the guard, this answer is the courtesy.
	VisitorWithdrawn(ctx context.Context, visitorID string) (bool, error)
}

// SpoolLedger is the store's record of which spool ranges are committed,
// read when a spool is replayed and trimmed as its files are deleted.
type SpoolLedger interface {
	// SpoolRanges lists the committed ranges of a spool, by First.
	SpoolRanges(ctx context.Context, spool string) ([]SpoolRange, error)
	// ForgetSpoolRanges deletes the ranges ending before record below:
	// their records are in no file any more, so no replay will ask.
	ForgetSpoolRanges(ctx context.Context, spool string, below int64) error
}
