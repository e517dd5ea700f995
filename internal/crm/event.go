package crm

import "time"

// Event types a change emits, in the transaction that makes it, so that a
// webhook goes out exactly when the change commits.
const (
	EventContactCreated = "contact.created"
	EventContactUpdated = "contact.updated"
	EventContactDeleted = "contact.deleted"
	// Two contacts became one: data is ContactMerge. contact.updated (the
	// kept one) and contact.deleted (the merged-away one) are sent too, so
	// a copy kept in sync by those two events stays right.
	EventContactMerged = "contact.merged"
	// A CSV import of contacts finished: data is ContactImportSummary.
	// Small imports also send contact.created and contact.updated per
	// contact (see ContactImportSummary.ContactEvents).
	EventContactImportCompleted = "contact.import_completed"
	EventOrderCreated           = "order.created"
	EventOrderStatusChanged     = "order.status_changed"
	EventStockLow               = "stock.low"
	EventDealCreated            = "deal.created"
	EventDealStageChanged       = "deal.stage_changed"
	EventDealWon                = "deal.won"
	EventDealLost               = "deal.lost"
	// A consent ledger entry: mailing tools listen for withdrawals.
	EventConsentChanged = "consent.changed"
)

// EventTypes lists every event a webhook may subscribe to.
var EventTypes = []string{
	EventContactCreated, EventContactUpdated, EventContactDeleted, EventContactMerged, EventContactImportCompleted,
	EventOrderCreated, EventOrderStatusChanged, EventStockLow,
	EventDealCreated, EventDealStageChanged, EventDealWon, EventDealLost,
	EventConsentChanged,
	EventSegmentEntered, EventSegmentLeft,
}

// ContactMerge is the data of a contact.merged event.
type ContactMerge struct {
	// Contact is the kept contact as it is after the merge.
	Contact *Contact `json:"contact"`
	// MergedID is the contact that was folded into it and no longer exists.
	MergedID int64 `json:"merged_id"`
	// Merged is that contact as it was before the merge.
	Merged *Contact `json:"merged"`
}

// ContactImportSummary is the data of a contact.import_completed event.
type ContactImportSummary struct {
	Created  int    `json:"created"`
	Updated  int    `json:"updated"`
	Skipped  int    `json:"skipped"`
	Rejected int    `json:"rejected"`
	Dedupe   string `json:"dedupe"`
	// ContactEvents tells whether every contact this import created or
	// updated was also announced by its own contact.created or
	// contact.updated event. That is so for imports of fewer than
	// 8,192 lines (one write batch) that change at most ImportEventLimit
	// contacts;
	// for larger ones per-contact events would be a flood (a million
	// deliveries per endpoint, written in the import's transactions), so
	// a receiver should fetch the contacts changed since the import began
	// (StartedAt) through the API instead.
	ContactEvents bool      `json:"contact_events"`
	StartedAt     time.Time `json:"started_at"`
}

// ImportEventLimit is the most contacts an import announces one by one.
const ImportEventLimit = 1000
