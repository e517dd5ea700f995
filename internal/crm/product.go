package crm

import (
	"context"
	"time"
)

// Product is something the business sells. Prices are integer minor units
// of Currency (cents, rials, yen), never floats, so totals add up exactly.
type Product struct {
	ID          int64             `json:"id"`
	SKU         string            `json:"sku"`
	Name        string            `json:"name"`
	Names       map[string]string `json:"names"` // translations by language code
	Description string            `json:"description"`
	// Descriptions are translations of Description by language code.
	Descriptions map[string]string `json:"descriptions"`
	Category     string            `json:"category"`
	Price        int64             `json:"price"`
	Currency     string            `json:"currency"`
	// TaxRateBP is the tax rate in basis points: 2000 is 20 %.
	TaxRateBP int             `json:"tax_rate_bp"`
	Active    bool            `json:"active"`
	ImageURL  string          `json:"image_url"`
	LowStock  int64           `json:"low_stock"` // available at or below this is low; 0 turns the warning off
	Options   []ProductOption `json:"options"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`

	// Stock over every location, derived from the movements ledger.
	OnHand    int64 `json:"on_hand"`
	Reserved  int64 `json:"reserved"`
	Available int64 `json:"available"`
}

// LocalName is the product's name in lang, or its default name.
func (p *Product) LocalName(lang string) string {
	if n := p.Names[lang]; n != "" {
		return n
	}
	return p.Name
}

// Option types for configurable products.
var OptionTypes = []string{"select", "text"}

// ProductOption is a choice a customer makes when ordering (size, colour,
// engraving). The choice is stored on the order line as an attribute.
type ProductOption struct {
	Key      string        `json:"key"`
	Label    string        `json:"label" required:"false"`
	Type     string        `json:"type"` // select or text
	Required bool          `json:"required" required:"false"`
	Values   []OptionValue `json:"values,omitempty"`     // select
	MaxLen   int           `json:"max_length,omitempty"` // text; 0 means 200
	// PriceDelta is added to the unit price when a text option is filled in.
	PriceDelta int64 `json:"price_delta,omitempty"`
}

// OptionValue is one choice of a select option, with what it adds to the
// unit price (negative for cheaper variants).
type OptionValue struct {
	Value      string `json:"value"`
	PriceDelta int64  `json:"price_delta" required:"false"`
}

// ProductInput is what may be set on a product. Stock is only read on
// create: it books an initial receipt into the ledger. Later changes go
// through inventory movements so that every unit is accounted for.
type ProductInput struct {
	SKU          *string           `json:"sku,omitempty"`
	Name         *string           `json:"name,omitempty"`
	Names        map[string]string `json:"names,omitempty"`
	Description  *string           `json:"description,omitempty"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
	Category     *string           `json:"category,omitempty"`
	Price        *int64            `json:"price,omitempty"`
	Currency     *string           `json:"currency,omitempty"`
	TaxRateBP    *int              `json:"tax_rate_bp,omitempty"`
	Active       *bool             `json:"active,omitempty"`
	ImageURL     *string           `json:"image_url,omitempty"`
	LowStock     *int64            `json:"low_stock,omitempty"`
	Options      *[]ProductOption  `json:"options,omitempty"`
	Stock        *int64            `json:"stock,omitempty"`
	Location     *string           `json:"location,omitempty"` // for Stock; default "main"
}

// ProductFilter selects products.
type ProductFilter struct {
	Query    string
	Category string
	Active   *bool
	LowStock bool // only products at or below their threshold
	SKUs     []string
	Sort     string
	After    string
	Limit    int
}

// ProductSorts are the sortable columns of a product list.
var ProductSorts = []string{"name", "sku", "price", "available", "created_at"}

// ProductService is implemented by the store.
type ProductService interface {
	FindProductByID(ctx context.Context, id int64) (*Product, error)
	FindProductBySKU(ctx context.Context, sku string) (*Product, error)
	FindProducts(ctx context.Context, f ProductFilter) (Page[*Product], error)
	CreateProduct(ctx context.Context, in ProductInput) (*Product, error)
	UpdateProduct(ctx context.Context, id int64, in ProductInput) (*Product, error)
	DeleteProduct(ctx context.Context, id int64) error
}

// DefaultLocation is where stock is kept when no location is named.
const DefaultLocation = "main"

// Movement kinds of the stock ledger. Each changes on-hand and reserved
// by fixed signs (see MovementEffect), so the ledger alone says what is
// in the warehouse and what is promised to customers.
const (
	MoveReceipt      = "receipt"      // goods in: on hand +
	MoveAdjustment   = "adjustment"   // stock count correction: on hand ±
	MoveReservation  = "reservation"  // order placed: reserved +
	MoveSale         = "sale"         // order shipped: on hand −, reserved −
	MoveCancellation = "cancellation" // order cancelled before shipping: reserved −
	MoveReturn       = "return"       // goods back from a customer: on hand +
)

// MovementKinds lists every kind; ManualMovementKinds those staff and the
// API may book directly (the rest follow from orders).
var (
	MovementKinds       = []string{MoveReceipt, MoveAdjustment, MoveReservation, MoveSale, MoveCancellation, MoveReturn}
	ManualMovementKinds = []string{MoveReceipt, MoveAdjustment}
)

// MovementEffect returns how a movement of kind and quantity q changes
// on-hand and reserved stock.
func MovementEffect(kind string, q int64) (onHand, reserved int64) {
	switch kind {
	case MoveReceipt, MoveAdjustment, MoveReturn:
		return q, 0
	case MoveReservation:
		return 0, q
	case MoveSale:
		return -q, -q
	case MoveCancellation:
		return 0, -q
	}
	return 0, 0
}

// StockLevel is a product's stock at one location.
type StockLevel struct {
	ProductID   int64     `json:"product_id"`
	SKU         string    `json:"sku"`
	ProductName string    `json:"product_name"`
	Location    string    `json:"location"`
	OnHand      int64     `json:"on_hand"`
	Reserved    int64     `json:"reserved"`
	Available   int64     `json:"available"`
	LowStock    int64     `json:"low_stock"`
	Low         bool      `json:"low"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// StockMovement is one entry of the ledger.
type StockMovement struct {
	ID        int64     `json:"id"`
	ProductID int64     `json:"product_id"`
	SKU       string    `json:"sku"`
	Location  string    `json:"location"`
	Kind      string    `json:"kind"`
	Quantity  int64     `json:"quantity"` // as booked; the sign matters only for adjustments
	OrderID   *int64    `json:"order_id"`
	Note      string    `json:"note"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// MovementInput books a receipt or an adjustment.
type MovementInput struct {
	ProductID *int64  `json:"product_id,omitempty"`
	SKU       *string `json:"sku,omitempty"`
	Location  *string `json:"location,omitempty"`
	Kind      *string `json:"kind,omitempty"`
	Quantity  *int64  `json:"quantity,omitempty"`
	Note      *string `json:"note,omitempty"`
}

// StockFilter selects stock levels.
type StockFilter struct {
	ProductID *int64
	Location  string
	LowOnly   bool
	After     string
	Limit     int
}

// MovementFilter selects ledger entries, newest first.
type MovementFilter struct {
	ProductID *int64
	OrderID   *int64
	Kind      string
	After     string
	Limit     int
}

// InventoryService is implemented by the store.
type InventoryService interface {
	FindStockLevels(ctx context.Context, f StockFilter) (Page[*StockLevel], error)
	FindMovements(ctx context.Context, f MovementFilter) (Page[*StockMovement], error)
	// CreateMovement books a receipt or adjustment. An adjustment that would
	// leave less on hand than is reserved is refused with ECONFLICT.
	CreateMovement(ctx context.Context, in MovementInput) (*StockMovement, error)
}
