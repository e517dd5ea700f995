package crm

import (
	"context"
	"time"
)

// PreferenceLink is the state of a contact's preference-centre link. The
// link never expires by itself (an unsubscribe link that stops working is
// a complaint waiting to happen), but staff can revoke it — when a message
// was forwarded, say — and then only the newest link works: mails carry
// the newest in their footer.
type PreferenceLink struct {
	ContactID int64 `json:"contact_id"`
	// URL is set only for an actor who may record consents (whoever holds
	// the link can change the person's choices).
	URL        string     `json:"url,omitempty" doc:"The link in effect (needs consents:write); messages carry it in their footer."`
	Version    int        `json:"version" doc:"How many times the link was revoked; older links answer 410 Gone."`
	RevokedAt  *time.Time `json:"revoked_at" doc:"When the previous link was revoked; null if never."`
	RevokedBy  string     `json:"revoked_by" doc:"Who revoked it."`
	LastUsedAt *time.Time `json:"last_used_at" doc:"When the link in effect was last opened or saved; null if never."`
}

// ErrLinkRevoked is what a preference link revoked by staff resolves to:
// a real link, no longer valid (the page says so, with 410 Gone).
var ErrLinkRevoked = Errorf(ENOTFOUND, "this link is no longer valid")

// PreferenceLinkService is implemented by the store.
type PreferenceLinkService interface {
	// PreferenceLink is a contact's link state (consents:read; the URL
	// needs consents:write).
	PreferenceLink(ctx context.Context, contactID int64) (*PreferenceLink, error)
	// RevokePreferenceLink makes every link sent so far stop working and
	// returns the new one (consents:write); it is audited.
	RevokePreferenceLink(ctx context.Context, contactID int64) (*PreferenceLink, error)
	// OpenPreferenceLink resolves a link's token to its contact and records
	// that it was used (system actor): ENOTFOUND for a token that is not a
	// link, ErrLinkRevoked for one that was revoked.
	OpenPreferenceLink(ctx context.Context, token string) (contactID int64, err error)
}
