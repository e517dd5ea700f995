package crm

import (
	"context"
	"slices"
	"time"
)

// Consent purposes: what a person allows their data to be used for.
// Marketing is asked per channel (email, SMS, phone); the others are web
// (analytics tracking, personalisation) or channel-free (partners).
const (
	PurposeMarketing       = "marketing"
	PurposeAnalytics       = "analytics"
	PurposePersonalisation = "personalisation"
	PurposePartners        = "partners"
)

// ConsentPurposes lists the purposes in display order.
var ConsentPurposes = []string{PurposeMarketing, PurposeAnalytics, PurposePersonalisation, PurposePartners}

// Consent channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelPhone = "phone"
	ChannelWeb   = "web"
	ChannelAny   = "any"
)

// ConsentChannels lists the channels.
var ConsentChannels = []string{ChannelEmail, ChannelSMS, ChannelPhone, ChannelWeb, ChannelAny}

// ConsentTopic is one purpose on one channel: a line of the preference
// centre and of the 360 page.
type ConsentTopic struct {
	Purpose string `json:"purpose"`
	Channel string `json:"channel"`
}

// ConsentTopics are the choices a person is offered, in display order.
var ConsentTopics = []ConsentTopic{
	{PurposeMarketing, ChannelEmail},
	{PurposeMarketing, ChannelSMS},
	{PurposeMarketing, ChannelPhone},
	{PurposeAnalytics, ChannelWeb},
	{PurposePersonalisation, ChannelWeb},
	{PurposePartners, ChannelAny},
}

// ValidTopic reports whether purpose and channel form one of ConsentTopics.
func ValidTopic(purpose, channel string) bool {
	return slices.Contains(ConsentTopics, ConsentTopic{purpose, channel})
}

// Consent statuses. A ledger has only these two: a double opt-in waiting
// for its confirmation is not a consent yet and lives with its form
// submission until it is confirmed.
const (
	ConsentGranted   = "granted"
	ConsentWithdrawn = "withdrawn"
)

// Legal bases (GDPR art. 6(1)).
const (
	BasisConsent            = "consent"
	BasisContract           = "contract"
	BasisLegitimateInterest = "legitimate_interest"
	BasisLegalObligation    = "legal_obligation"
)

// LegalBases lists the legal bases.
var LegalBases = []string{BasisConsent, BasisContract, BasisLegitimateInterest, BasisLegalObligation}

// Consent sources: where a record came from. Staff and API sources are set
// by the store from the actor; the others only by the public flows.
const (
	SourceForm        = "form"
	SourceDoubleOptIn = "double_opt_in"
	SourceImport      = "import"
	SourceAPI         = "api"
	SourceStaff       = "staff"
	SourcePortal      = "portal"
	SourcePreferences = "preference_centre"
	SourceTracking    = "tracking"
)

// ConsentSources lists the sources.
var ConsentSources = []string{SourceForm, SourceDoubleOptIn, SourceImport, SourceAPI, SourceStaff, SourcePortal, SourcePreferences, SourceTracking}

// Consent is one entry of the append-only ledger. Nothing updates or
// deletes an entry (only erasing the contact does); the current state of a
// topic is its newest entry.
type Consent struct {
	ID             int64      `json:"id"`
	ContactID      int64      `json:"contact_id"`
	Purpose        string     `json:"purpose"`
	Channel        string     `json:"channel"`
	Status         string     `json:"status" enum:"granted,withdrawn"`
	LegalBasis     string     `json:"legal_basis"`
	Source         string     `json:"source"`
	SourceRef      string     `json:"source_ref" doc:"The form, API key, staff user or import the record came from."`
	WordingVersion string     `json:"wording_version" doc:"Version of the text the person agreed to."`
	Wording        string     `json:"wording" doc:"The exact text the person agreed to."`
	IP             string     `json:"ip"`
	UserAgent      string     `json:"user_agent"`
	Actor          string     `json:"actor"`
	At             time.Time  `json:"at"`
	ExpiresAt      *time.Time `json:"expires_at"`
}

// ConsentInput records a consent. Source, SourceRef and Actor are taken
// from the actor for staff and API keys; only the system actor (forms,
// preference centre, imports) sets them.
type ConsentInput struct {
	ContactID      int64      `json:"contact_id"`
	Purpose        string     `json:"purpose" enum:"marketing,analytics,personalisation,partners"`
	Channel        string     `json:"channel" enum:"email,sms,phone,web,any"`
	Status         string     `json:"status" enum:"granted,withdrawn"`
	LegalBasis     string     `json:"legal_basis,omitempty" enum:"consent,contract,legitimate_interest,legal_obligation" doc:"Defaults to consent."`
	WordingVersion string     `json:"wording_version,omitempty" maxLength:"100"`
	Wording        string     `json:"wording,omitempty" maxLength:"5000"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	Source         string     `json:"-"`
	SourceRef      string     `json:"-"`
	// At back-dates an imported entry to when the person gave it (the
	// evidence a migration brings along); only the system actor sets it.
	At        *time.Time `json:"-"`
	IP        string     `json:"-"`
	UserAgent string     `json:"-"`
}

// ConsentState is the current state of one topic for one contact, derived
// from the ledger: granted only if the newest entry grants and has not
// expired.
type ConsentState struct {
	Purpose string   `json:"purpose"`
	Channel string   `json:"channel"`
	Granted bool     `json:"granted"`
	Latest  *Consent `json:"latest,omitempty" doc:"The entry the state comes from; absent if the person was never asked."`
}

// ConsentService is implemented by the store.
type ConsentService interface {
	// RecordConsent appends to the ledger (consents:write).
	RecordConsent(ctx context.Context, in ConsentInput) (*Consent, error)
	// RecordConsents appends several entries in one transaction, as a
	// form or the preference centre does (consents:write).
	RecordConsents(ctx context.Context, in []ConsentInput) error
	// ConsentHistory lists a contact's entries, newest first (consents:read).
	ConsentHistory(ctx context.Context, contactID int64, limit int) ([]*Consent, error)
	// ConsentStates derives the current state of every topic (consents:read).
	ConsentStates(ctx context.Context, contactID int64) ([]ConsentState, error)
}

// Validate checks a consent input.
func (in *ConsentInput) Validate() error {
	var v Validation
	if in.ContactID <= 0 {
		v.Add("contact_id", "required")
	}
	if !ValidTopic(in.Purpose, in.Channel) {
		if !slices.Contains(ConsentPurposes, in.Purpose) {
			v.Add("purpose", "invalid_choice")
		} else {
			v.Add("channel", "invalid_choice")
		}
	}
	if in.Status != ConsentGranted && in.Status != ConsentWithdrawn {
		v.Add("status", "invalid_choice")
	}
	if in.LegalBasis == "" {
		in.LegalBasis = BasisConsent
	}
	if !slices.Contains(LegalBases, in.LegalBasis) {
		v.Add("legal_basis", "invalid_choice")
	}
	if in.Source != "" && !slices.Contains(ConsentSources, in.Source) {
		v.Add("source", "invalid_choice")
	}
	cleanString(&v, "wording_version", &in.WordingVersion, 100, false)
	cleanString(&v, "wording", &in.Wording, 5000, false)
	if len(in.IP) > 64 {
		in.IP = in.IP[:64]
	}
	if len(in.UserAgent) > 500 {
		in.UserAgent = in.UserAgent[:500]
	}
	if in.ExpiresAt != nil && in.Status == ConsentWithdrawn {
		v.Add("expires_at", "invalid_value")
	}
	return v.Err()
}

// Current reports whether the entry grants its topic at now.
func (c *Consent) Current(now time.Time) bool {
	return c != nil && c.Status == ConsentGranted && (c.ExpiresAt == nil || now.Before(*c.ExpiresAt))
}
