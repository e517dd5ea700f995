package crm

import (
	"context"
	"slices"
	"time"
)

// Order statuses. The flow is pending → paid → shipped → delivered, with
// cancellation before shipping and return (then refund) after it.
const (
	OrderPending   = "pending"
	OrderPaid      = "paid"
	OrderShipped   = "shipped"
	OrderDelivered = "delivered"
	OrderCancelled = "cancelled"
	OrderReturned  = "returned"
	OrderRefunded  = "refunded"
)

// OrderStatuses lists every status in flow order.
var OrderStatuses = []string{OrderPending, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled, OrderReturned, OrderRefunded}

// orderTransitions is the status machine. Cash-on-delivery orders may be
// shipped while still pending.
var orderTransitions = map[string][]string{
	OrderPending:   {OrderPaid, OrderShipped, OrderCancelled},
	OrderPaid:      {OrderShipped, OrderCancelled, OrderRefunded},
	OrderShipped:   {OrderDelivered, OrderReturned},
	OrderDelivered: {OrderReturned},
	OrderReturned:  {OrderRefunded},
}

// NextStatuses returns the statuses an order in status s may move to.
func NextStatuses(s string) []string { return orderTransitions[s] }

// CanTransition reports whether an order may go from one status to another.
func CanTransition(from, to string) bool { return slices.Contains(orderTransitions[from], to) }

// Purchased reports whether an order in status s counts as a purchase in
// the customer's facts and in revenue: paid or beyond, and not undone.
func Purchased(s string) bool {
	return s == OrderPaid || s == OrderShipped || s == OrderDelivered
}

// Channels orders come in through.
var Channels = []string{"web", "phone", "partner", "store"}

// Order is a customer's purchase. Amounts are integer minor units of
// Currency; Total = Subtotal − Discount + Tax.
type Order struct {
	ID         int64  `json:"id"`
	ContactID  *int64 `json:"contact_id"` // nil once the customer is deleted
	Status     string `json:"status"`
	Channel    string `json:"channel"`
	Currency   string `json:"currency"`
	ExternalID string `json:"external_id"` // the shop's own order number
	// Kind is OrderKindOrder, or OrderKindCredit for an imported
	// cancellation or return (status refunded, negative total), and
	// CreditFor the sale it cancels when the import found it.
	Kind           string       `json:"kind" enum:"order,credit"`
	CreditFor      *int64       `json:"credit_for"`
	Subtotal       int64        `json:"subtotal"`
	Discount       int64        `json:"discount"`
	Tax            int64        `json:"tax"`
	Total          int64        `json:"total"`
	Note           string       `json:"note"`
	Carrier        string       `json:"carrier"`
	TrackingNumber string       `json:"tracking_number"`
	DealID         *int64       `json:"deal_id"`
	PlacedAt       time.Time    `json:"placed_at"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	Lines          []OrderLine  `json:"lines"`
	History        []OrderEvent `json:"history"`

	ContactName  string `json:"contact_name,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
}

// OrderLine is one product on an order, with the price it was sold at:
// later price changes never alter a placed order.
type OrderLine struct {
	ID        int64             `json:"id"`
	ProductID *int64            `json:"product_id"`
	SKU       string            `json:"sku"`
	Name      string            `json:"name"`
	Quantity  int64             `json:"quantity"`
	UnitPrice int64             `json:"unit_price"` // base price plus option deltas
	Discount  int64             `json:"discount"`   // this line's share of the order discount
	TaxRateBP int               `json:"tax_rate_bp"`
	Tax       int64             `json:"tax"`
	Total     int64             `json:"total"` // quantity × unit price − discount + tax
	Options   map[string]string `json:"options"`
	Location  string            `json:"location"`
}

// OrderEvent is one step of an order's history: the customer's tracking.
type OrderEvent struct {
	Status         string    `json:"status"`
	Note           string    `json:"note"`
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"tracking_number"`
	Actor          string    `json:"actor"`
	At             time.Time `json:"at"`
}

// OrderInput places an order. The customer is ContactID, or the contact
// with Email (created when there is none, with the names given).
type OrderInput struct {
	ContactID *int64  `json:"contact_id,omitempty"`
	Email     *string `json:"email,omitempty"`
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Currency  *string `json:"currency,omitempty"`
	Channel   *string `json:"channel,omitempty"`
	// Status is pending (the default) or paid, for shops that post orders
	// once the payment has gone through.
	Status     *string          `json:"status,omitempty"`
	ExternalID *string          `json:"external_id,omitempty"`
	Discount   *int64           `json:"discount,omitempty"` // off the subtotal, in minor units
	Note       *string          `json:"note,omitempty"`
	Lines      []OrderLineInput `json:"lines"`
	// DealID links an order made from an accepted quote to its deal.
	DealID *int64 `json:"deal_id,omitempty"`
}

// OrderLineInput is one line of a new order.
type OrderLineInput struct {
	SKU      string            `json:"sku"`
	Quantity int64             `json:"quantity"`
	Options  map[string]string `json:"options,omitempty"`
	Location string            `json:"location,omitempty"`
}

// OrderStatusInput moves an order along its flow.
type OrderStatusInput struct {
	Status         string `json:"status"`
	Note           string `json:"note,omitempty"`
	Carrier        string `json:"carrier,omitempty"`
	TrackingNumber string `json:"tracking_number,omitempty"`
}

// OrderFilter selects orders, newest first unless Sort says otherwise.
type OrderFilter struct {
	ContactID    *int64
	DealID       *int64
	Status       string
	Channel      string
	PlacedAfter  *time.Time
	PlacedBefore *time.Time
	Query        string // order id, external id or customer email
	Sort         string
	After        string
	Limit        int
}

// OrderSorts are the sortable columns of an order list.
var OrderSorts = []string{"placed_at", "total", "status"}

// OrderService is implemented by the store.
type OrderService interface {
	FindOrderByID(ctx context.Context, id int64) (*Order, error)
	FindOrders(ctx context.Context, f OrderFilter) (Page[*Order], error)
	// CreateOrder reserves stock for every line in one transaction: either
	// all lines are served or nothing changes and the error (ECONFLICT)
	// names the line and what is available.
	CreateOrder(ctx context.Context, in OrderInput) (*Order, error)
	// SetOrderStatus moves an order along the flow, booking the stock
	// movements the step implies (sale, cancellation, return).
	SetOrderStatus(ctx context.Context, id int64, in OrderStatusInput) (*Order, error)
}

// CustomerFacts are a contact's purchase facts, kept current in the same
// transaction as every order change. Amounts are in the shop currency
// (Settings); orders in other currencies count in Orders and dates only.
type CustomerFacts struct {
	ContactID    int64      `json:"contact_id"`
	Orders       int        `json:"orders"`
	TotalSpent   int64      `json:"total_spent"`
	AverageOrder int64      `json:"average_order"`
	Currency     string     `json:"currency"`
	FirstOrderAt *time.Time `json:"first_order_at"`
	LastOrderAt  *time.Time `json:"last_order_at"`
	// DaysSinceLast is derived at read time; -1 without orders.
	DaysSinceLast int `json:"days_since_last"`
}

// ShopSettings are shop-wide settings an admin changes in the console.
type ShopSettings struct {
	Currency string `json:"currency"` // the reporting currency of facts and dashboards
}

// FactsService reads purchase facts and shop settings.
type FactsService interface {
	FindCustomerFacts(ctx context.Context, contactID int64) (*CustomerFacts, error)
	ShopSettings(ctx context.Context) (*ShopSettings, error)
	UpdateShopSettings(ctx context.Context, s ShopSettings) (*ShopSettings, error)
}
