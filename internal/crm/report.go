package crm

import (
	"context"
	"io"
	"slices"
	"time"
)

// Historical orders: purchases made before ecrm, imported in bulk from a
// shop's export or a data set such as CDNOW. They are facts about the
// past, so they never reserve or move stock and carry no product link.

// HistoricalOrder is one imported order. The customer is the contact with
// external id CustomerID in CustomerSource (created when there is none),
// else the contact with Email (created when there is none); with neither
// it is a guest order, stored without a contact: it counts in the shop's
// revenue and in no customer's figures.
type HistoricalOrder struct {
	Line       int    // where the order starts in its file, for reports
	ExternalID string // deterministic, so a re-import skips it
	// Kind is OrderKindOrder (or "") for a sale, OrderKindCredit for a
	// cancellation or return: a credit note whose lines count the units
	// given back and whose totals are negative, stored with status
	// refunded, and netted against revenue, units sold and the
	// customer's spend.
	Kind           string
	CustomerSource string
	CustomerID     string
	Email          string
	// CustomerName is the first name given to a contact the import creates.
	CustomerName string
	Status       string
	Channel      string
	Currency     string
	PlacedAt     time.Time
	Lines        []HistoricalLine
}

// HistoricalLine is one line of a historical order. Total is the line's
// amount in minor units as the file states it (exact, never recomputed
// from a rounded unit price).
type HistoricalLine struct {
	Line      int
	SKU       string
	Name      string
	Quantity  int64
	UnitPrice int64
	Total     int64
}

// Kinds of order: a sale, or a credit note (a cancellation or return of
// an earlier sale, with a negative total). Live orders are all sales.
const (
	OrderKindOrder  = "order"
	OrderKindCredit = "credit"
)

// Order file formats.
const (
	OrderFormatCSV   = "csv"   // a generic CSV with a header, one line per row
	OrderFormatCDNOW = "cdnow" // "customer_id yyyymmdd quantity dollars", blank-separated
)

// OrderFileOptions control the import of an order file.
type OrderFileOptions struct {
	Format   string `json:"format"`   // OrderFormatCSV (default) or OrderFormatCDNOW
	Encoding string `json:"encoding"` // CSV only: "" detects
	// Mapping maps order fields (order_id, email, customer_id, date, sku,
	// name, quantity, unit_price, currency, status, channel) to headers;
	// fields left out are found by their usual header names.
	Mapping map[string]string `json:"mapping"`
	// MinorUnits says unit prices are integers in minor units (cents);
	// by default they are decimals in major units ("12.50").
	MinorUnits bool `json:"minor_units"`
	// Currency is used for rows without a currency column (default: the
	// shop currency).
	Currency string `json:"currency"`
	// DateFormat says how the CSV's dates are written: "" detects (and
	// refuses a file whose day-month order cannot be told), "iso", "mdy"
	// (12/1/2010), "dmy" (1/12/2010) or a Go layout
	// ("02.01.2006 15:04"). ISO dates are accepted with mdy and dmy too.
	DateFormat string `json:"date_format"`
	// TimeZone is the IANA zone of dates written without an offset
	// (default UTC).
	TimeZone string `json:"time_zone"`
	// MaxRejects is how many rejected lines the import tolerates before
	// it stores nothing at all: a count ("100"), a share of the file's
	// lines ("5%", rounded up), or "" for the default, DefaultMaxRejects.
	MaxRejects string `json:"max_rejects"`
	// CustomerSource names the system customer_id values come from
	// (their external-id source); default "csv".
	CustomerSource string `json:"customer_source"`
	// Timeline also puts every imported order on its customer's timeline.
	// Off by default: the contact page lists purchases from the orders
	// themselves, and CDNOW's 69,659 entries would cost a third of the
	// import's time.
	Timeline bool `json:"timeline"`
}

// RejectedLine is one problem with one line of an imported file: Line is
// the physical line (the header is line 1), Field the column's field (""
// for a line that could not be read), Reason an English sentence.
type RejectedLine struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
	// Key and Args name the reason in the message catalogue ("error."+Key
	// for field errors), for readers of other languages.
	Key  string `json:"-"`
	Args []any  `json:"-"`
}

// DefaultMaxRejects words the rejected-line limit of an order import when
// none is given: 10 % of the file's lines, and never fewer than 10 lines.
// A file with more than a tenth of its lines rejected is more likely
// misread (a wrong date format, a wrong column) than dirty, and importing
// the rest would give wrong figures without saying so; a small file with a
// few bad lines imports the rest.
const DefaultMaxRejects = "10% (at least 10 lines)"

// OrderImportReport is the outcome of an order import.
type OrderImportReport struct {
	Orders          int    `json:"orders" doc:"Orders stored, credit notes and guest orders included."`
	Lines           int    `json:"lines"`
	Credits         int    `json:"credit_notes" doc:"Of the orders, cancellations and returns stored as credit notes (negative totals)."`
	CreditsLinked   int    `json:"credit_notes_linked" doc:"Of the credit notes, those linked to the original order of the same customer."`
	Guests          int    `json:"guest_orders" doc:"Of the orders, those without a customer: in the shop's revenue, in no customer's figures."`
	Skipped         int    `json:"skipped" doc:"Orders already imported (same external id), not imported again."`
	ContactsCreated int    `json:"contacts_created"`
	ContactsMatched int    `json:"contacts_matched"`
	FactsUpdated    int    `json:"facts_updated"`
	DateFormat      string `json:"date_format,omitempty" doc:"The date format the CSV was read with (iso, mdy, dmy or a Go layout)."`
	// FileLines counts the data lines read (the header left out), and
	// RejectedLines the distinct lines of Rejected: a line with two
	// problems is listed twice in Rejected and counted once here.
	FileLines     int `json:"file_lines"`
	RejectedLines int `json:"rejected_lines"`
	// OtherCurrencies counts the stored orders per currency other than
	// the shop's: they are kept, but the sales report and customer spend
	// count only the shop currency, so each is also a warning.
	OtherCurrencies map[string]int `json:"other_currencies,omitempty"`
	ShopCurrency    string         `json:"shop_currency"`
	Warnings        []string       `json:"warnings"`
	Rejected        []RejectedLine `json:"rejected"`
}

// CountRejectedLines sets RejectedLines from Rejected.
func (r *OrderImportReport) CountRejectedLines() {
	seen := map[int]bool{}
	for _, x := range r.Rejected {
		seen[x.Line] = true
	}
	r.RejectedLines = len(seen)
}

// OrderImportService imports historical order files: all of a file in
// one transaction, rejected lines reported, already imported orders
// skipped. It needs import:write and orders:write (and contacts:write,
// since unknown customers become contacts).
type OrderImportService interface {
	ImportOrders(ctx context.Context, r io.Reader, opts OrderFileOptions) (*OrderImportReport, error)
}

// MaxHistoricalAmount bounds every amount so that sums of millions of
// orders stay far from int64 overflow.
const MaxHistoricalAmount = 1e13

// Validate normalises the order and returns field errors keyed like the
// file's columns: customer, external_id, status, channel, currency,
// placed_at, lines, quantity, unit_price, total, sku, name.
func (o *HistoricalOrder) Validate() error {
	var v Validation
	credit := o.Kind == OrderKindCredit
	if o.Kind == "" {
		o.Kind = OrderKindOrder
	}
	if o.Kind != OrderKindOrder && !credit {
		v.Add("kind", "invalid_choice")
	}
	if o.CustomerID != "" && (o.CustomerSource == "" || len(o.CustomerID) > 200) {
		v.Add("customer", "invalid_value")
	}
	if o.Email != "" {
		e, ok := NormalizeEmail(o.Email)
		if !ok {
			v.Add("email", "invalid_email")
		}
		o.Email = e
	}
	if len(o.ExternalID) > 200 {
		v.Add("external_id", "too_long", 200)
	}
	if credit {
		// A credit note is money given back: never a purchase, whatever
		// the file's status column said about the original.
		o.Status = OrderRefunded
	}
	if o.Status == "" {
		o.Status = OrderDelivered
	}
	if !slices.Contains(OrderStatuses, o.Status) {
		v.Add("status", "invalid_choice")
	}
	if o.Channel == "" {
		o.Channel = "web"
	}
	if !slices.Contains(Channels, o.Channel) {
		v.Add("channel", "invalid_choice")
	}
	if c, ok := NormalizeCurrency(o.Currency); ok {
		o.Currency = c
	} else {
		v.Add("currency", "invalid_currency")
	}
	if o.PlacedAt.IsZero() {
		v.Add("placed_at", "invalid_date")
	}
	if len(o.Lines) == 0 {
		v.Add("lines", "required")
	}
	var sum int64
	for i := range o.Lines {
		l := &o.Lines[i]
		// A credit note's lines count the units given back and the
		// unit price as sold; their totals are below zero.
		q, total := l.Quantity, l.Total
		if credit {
			total = -total
		}
		switch {
		case q <= 0 || q > 1e6:
			v.Add("quantity", "out_of_range")
		case l.UnitPrice < 0 || l.UnitPrice > MaxHistoricalAmount:
			v.Add("unit_price", "out_of_range")
		case total < 0 || total > MaxHistoricalAmount:
			v.Add("total", "out_of_range")
		}
		if l.SKU == "" || len(l.SKU) > 64 {
			v.Add("sku", "invalid_sku")
		}
		if l.Name == "" {
			l.Name = l.SKU
		}
		if len(l.Name) > 500 {
			v.Add("name", "too_long", 500)
		}
		sum += total
	}
	if sum > MaxHistoricalAmount {
		v.Add("total", "amount_too_large")
	}
	return v.Err()
}

// Sales report: revenue over time and how customers come back, in the
// shop currency. Only orders that count as purchases (Purchased) count.

// Calendar decides what a month is: Gregorian for most readers, Jalali
// for Persian ones. Months start at UTC midnight.
type Calendar interface {
	MonthStart(t time.Time) time.Time
	AddMonths(t time.Time, n int) time.Time
}

// Gregorian is the Gregorian calendar in UTC.
type Gregorian struct{}

func (Gregorian) MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func (Gregorian) AddMonths(t time.Time, n int) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
}

// SalesReportFilter selects the range [From, To). Without From and To the
// report covers the last 12 months of Calendar that have purchases, so an
// old data set shows without choosing dates.
type SalesReportFilter struct {
	From, To *time.Time
	Calendar Calendar // nil: Gregorian
	TopN     int      // products in the table, 10 by default
}

// SalesDay is one UTC day's purchases. An order is "new" when it is its
// customer's first purchase ever, "returning" when it is a later purchase
// of a customer; orders without a customer (guest orders, orders whose
// customer was deleted) are neither.
type SalesDay struct {
	Day              time.Time `json:"day"`
	Orders           int       `json:"orders"`
	Revenue          int64     `json:"revenue"`
	NewOrders        int       `json:"new_orders"`
	NewRevenue       int64     `json:"new_revenue"`
	ReturningOrders  int       `json:"returning_orders"`
	ReturningRevenue int64     `json:"returning_revenue"`
	CreditRevenue    int64     `json:"credit_revenue"`
}

// SalesMonth is a month of SalesDays. ReturningCustomers counts the
// customers with at least one returning order in the month (a customer
// whose first and second purchase fall in the month counts). Guest orders
// and revenue are the rest: orders without a customer. Credit notes
// (returns and cancellations, below zero) are in the revenue and in
// CreditRevenue, in no other figure.
type SalesMonth struct {
	Start              time.Time `json:"start"`
	Orders             int       `json:"orders"`
	Revenue            int64     `json:"revenue"`
	NewOrders          int       `json:"new_orders" doc:"First purchases of their customer."`
	NewRevenue         int64     `json:"new_revenue" doc:"Revenue of first purchases."`
	ReturningOrders    int       `json:"returning_orders" doc:"Purchases that are not their customer's first."`
	ReturningRevenue   int64     `json:"returning_revenue" doc:"Revenue of purchases that are not their customer's first."`
	ReturningCustomers int       `json:"returning_customers" doc:"Customers with at least one purchase in the month that is not their first."`
	GuestOrders        int       `json:"guest_orders" doc:"Purchases without a customer (guest orders, or the customer was deleted): neither new nor returning."`
	GuestRevenue       int64     `json:"guest_revenue"`
	CreditRevenue      int64     `json:"credit_revenue" doc:"Credit notes (imported returns and cancellations, zero or less), which the revenue is net of: no purchase, neither new, returning nor guest."`
}

// GapBucket counts customers whose second purchase came MinDays to
// MaxDays (inclusive; -1: no upper bound) days after their first.
type GapBucket struct {
	MinDays   int `json:"min_days"`
	MaxDays   int `json:"max_days"`
	Customers int `json:"customers" doc:"Customers whose second order came that many days after the first (same-day orders count: 0 days)."`
	// CustomersByDay counts by purchase days instead: the days from the
	// first purchase day to the next day with a purchase (at least 1).
	CustomersByDay int `json:"customers_by_day" doc:"Customers whose second purchase day (orders of one UTC day collapsed) came that many days after the first."`
}

// GapBounds are the histogram's buckets.
var GapBounds = [][2]int{{0, 7}, {8, 30}, {31, 90}, {91, 180}, {181, 365}, {366, -1}}

// GapBucketOf returns the index in GapBounds of a gap of days.
func GapBucketOf(days int) int {
	for i, b := range GapBounds {
		if b[1] < 0 || days <= b[1] {
			return i
		}
	}
	return len(GapBounds) - 1
}

// ProductSales is one product's purchases in the range, by SKU.
type ProductSales struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Lines    int    `json:"lines"` // order lines with the SKU
	Quantity int64  `json:"quantity"`
	Revenue  int64  `json:"revenue"`
}

// ReferenceRepeatRate is the share of customers who buy a second time that
// the seed brief quotes ("65 % never buy again"), drawn as a reference line.
const ReferenceRepeatRate = 0.35

// SalesReport are the dashboard's figures. Customers counts everyone
// whose first purchase came before the end of the range. A repeat
// customer is counted two ways, both as of To (the lifetime repeat rate
// as of the end of the range):
//
//   - Repeat: two or more orders (a second order on the day of the first
//     counts);
//   - RepeatDays: purchases on two or more UTC days, orders of one day
//     collapsed into one purchase, as the customer-value literature
//     counts (most second invoices of a real shop export came within the
//     hour of the first).
//
// Gaps spreads them by the days between the first and second purchase;
// the medians are over the repeat customers of each kind (nil without
// any). Months are of Calendar, which the store sets from the filter.
type SalesReport struct {
	From        time.Time      `json:"from"`
	To          time.Time      `json:"to"`
	Currency    string         `json:"currency"`
	Orders      int            `json:"orders"`
	Revenue     int64          `json:"revenue"`
	Days        []SalesDay     `json:"-"`
	Customers   int            `json:"customers"`
	Repeat      int            `json:"repeat_customers"`
	RepeatDays  int            `json:"repeat_customers_by_day"`
	Gaps        []GapBucket    `json:"gaps"`
	TopProducts []ProductSales `json:"top_products"`
	// MedianDaysToSecond is the median of whole days (floor) from the
	// first to the second order; MedianDaysToSecondDay from the first
	// purchase day to the second purchase day.
	MedianDaysToSecond    *float64 `json:"median_days_to_second_order"`
	MedianDaysToSecondDay *float64 `json:"median_days_to_second_day"`
	// ReturningCustomers by the start of the calendar month.
	ReturningCustomers map[time.Time]int `json:"-"`
	Calendar           Calendar          `json:"-"`
}

// RepeatRate is Repeat / Customers, 0 without customers.
func (r *SalesReport) RepeatRate() float64 {
	if r.Customers == 0 {
		return 0
	}
	return float64(r.Repeat) / float64(r.Customers)
}

// RepeatDaysRate is RepeatDays / Customers, 0 without customers.
func (r *SalesReport) RepeatDaysRate() float64 {
	if r.Customers == 0 {
		return 0
	}
	return float64(r.RepeatDays) / float64(r.Customers)
}

// Months folds the days into the report's calendar months from From to
// To, with empty months present so a chart has no holes.
func (r *SalesReport) Months() []SalesMonth {
	cal := r.Calendar
	if cal == nil {
		cal = Gregorian{}
	}
	var out []SalesMonth
	index := map[time.Time]int{}
	for m := cal.MonthStart(r.From); m.Before(r.To); m = cal.AddMonths(m, 1) {
		index[m] = len(out)
		out = append(out, SalesMonth{Start: m, ReturningCustomers: r.ReturningCustomers[m]})
	}
	for _, d := range r.Days {
		i, ok := index[cal.MonthStart(d.Day)]
		if !ok {
			continue
		}
		m := &out[i]
		m.Orders += d.Orders
		m.Revenue += d.Revenue
		m.NewOrders += d.NewOrders
		m.NewRevenue += d.NewRevenue
		m.ReturningOrders += d.ReturningOrders
		m.ReturningRevenue += d.ReturningRevenue
		m.CreditRevenue += d.CreditRevenue
		m.GuestOrders = m.Orders - m.NewOrders - m.ReturningOrders
		m.GuestRevenue = m.Revenue - m.NewRevenue - m.ReturningRevenue - m.CreditRevenue
	}
	return out
}

// ReportService is implemented by the store.
type ReportService interface {
	SalesReport(ctx context.Context, f SalesReportFilter) (*SalesReport, error)
}
