package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

var consentsR, consentsW = crm.P(crm.ResConsents, crm.Read), crm.P(crm.ResConsents, crm.Write)

// consentRoutes: the ledger is read per contact and appended to; there is
// no update or delete, because a ledger that can be edited proves nothing.
func (s *server) consentRoutes(a huma.API) {
	handle(s, a, op(get, "/consents", "list-consents", "A contact's consent ledger, newest first", consentsR), s.listConsents)
	handle(s, a, op(post, "/consents", "record-consent", "Append a consent or withdrawal to a contact's ledger (recorded as given through this API key)", consentsW).status(201), s.recordConsent)
	handle(s, a, op(get, "/contacts/{id}/consents", "contact-consents", "A contact's current consent per purpose and channel, derived from the ledger", consentsR), s.contactConsents)
	handle(s, a, op(get, "/contacts/{id}/preference-link", "contact-preference-link",
		"A contact's preference-centre link: when it was last used and when an older one was revoked (the link itself only for a key with consents:write)", consentsR), s.preferenceLink)
	handle(s, a, op(post, "/contacts/{id}/preference-link/revoke", "revoke-preference-link",
		"Revoke a contact's preference-centre link: every link sent so far answers 410 Gone, and the next message carries the new one returned here", consentsW), s.revokePreferenceLink)
}

type preferenceLinkOut struct{ Body *crm.PreferenceLink }

func (s *server) preferenceLink(ctx context.Context, in *IDPath) (*preferenceLinkOut, error) {
	l, err := s.svc.Links.PreferenceLink(ctx, in.ID)
	return &preferenceLinkOut{l}, err
}

func (s *server) revokePreferenceLink(ctx context.Context, in *IDPath) (*preferenceLinkOut, error) {
	l, err := s.svc.Links.RevokePreferenceLink(ctx, in.ID)
	return &preferenceLinkOut{l}, err
}

type consentListInput struct {
	ContactID int64 `query:"contact_id" required:"true" minimum:"1" doc:"The contact whose ledger to list."`
	Limit     int   `query:"limit" minimum:"0" maximum:"1000" doc:"At most this many entries (default 1000)."`
}

func (s *server) listConsents(ctx context.Context, in *consentListInput) (*items[*crm.Consent], error) {
	list, err := s.svc.Consents.ConsentHistory(ctx, in.ContactID, in.Limit)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

type consentRecordInput struct {
	Idempotency
	// The API caller's address is not the person's, so an API entry
	// carries no IP or user agent; its source names the key.
	Body crm.ConsentInput
}

type consentOut struct{ Body *crm.Consent }

func (s *server) recordConsent(ctx context.Context, in *consentRecordInput) (*consentOut, error) {
	c, err := s.svc.Consents.RecordConsent(ctx, in.Body)
	return &consentOut{c}, err
}

type consentStatesOut struct {
	Body struct {
		Items []crm.ConsentState `json:"items"`
	}
}

func (s *server) contactConsents(ctx context.Context, in *IDPath) (*consentStatesOut, error) {
	st, err := s.svc.Consents.ConsentStates(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := &consentStatesOut{}
	out.Body.Items = st
	return out, nil
}
