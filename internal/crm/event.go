package crm

// Event types a change emits, in the transaction that makes it, so that a
// webhook goes out exactly when the change commits.
const (
	EventContactCreated     = "contact.created"
	EventContactUpdated     = "contact.updated"
	EventContactDeleted     = "contact.deleted"
	EventOrderCreated       = "order.created"
	EventOrderStatusChanged = "order.status_changed"
	EventStockLow           = "stock.low"
	EventDealCreated        = "deal.created"
	EventDealStageChanged   = "deal.stage_changed"
	EventDealWon            = "deal.won"
	EventDealLost           = "deal.lost"
	// A consent ledger entry: mailing tools listen for withdrawals.
	EventConsentChanged = "consent.changed"
)

// EventTypes lists every event a webhook may subscribe to.
var EventTypes = []string{
	EventContactCreated, EventContactUpdated, EventContactDeleted,
	EventOrderCreated, EventOrderStatusChanged, EventStockLow,
	EventDealCreated, EventDealStageChanged, EventDealWon, EventDealLost,
	EventConsentChanged,
}
