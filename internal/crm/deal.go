package crm

import (
	"context"
	"strconv"
	"time"
)

// Deal statuses. The status follows the kind of the deal's stage.
const (
	DealOpen = "open"
	DealWon  = "won"
	DealLost = "lost"
)

// DealStatuses lists every status.
var DealStatuses = []string{DealOpen, DealWon, DealLost}

// Deal is a sales opportunity moving through a pipeline. Amount is in
// integer minor units of Currency; with product lines it is their sum.
type Deal struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	PipelineID int64  `json:"pipeline_id"`
	StageID    int64  `json:"stage_id"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	// ExpectedClose is a date, YYYY-MM-DD, or "".
	ExpectedClose string `json:"expected_close"`
	// Probability is the deal's own win probability when ProbabilitySet,
	// else its stage's.
	Probability    int        `json:"probability"`
	ProbabilitySet bool       `json:"probability_set"`
	OwnerID        *int64     `json:"owner_id"`
	ContactID      *int64     `json:"contact_id"`
	CompanyID      *int64     `json:"company_id"`
	Status         string     `json:"status"`
	LostReason     string     `json:"lost_reason"`
	ClosedAt       *time.Time `json:"closed_at"` // when it was won or lost
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Lines          []DealLine `json:"lines"`
	// History is filled by FindDealByID, oldest first.
	History []StageChange `json:"history,omitempty"`

	// Filled on read for display; never written.
	PipelineName string `json:"pipeline_name,omitempty"`
	StageName    string `json:"stage_name,omitempty"`
	OwnerName    string `json:"owner_name,omitempty"`
	ContactName  string `json:"contact_name,omitempty"`
	CompanyName  string `json:"company_name,omitempty"`
}

// Weighted is the amount times the win probability, in minor units,
// rounded half up.
func (d *Deal) Weighted() int64 { return weigh(d.Amount, d.Probability) }

func weigh(amount int64, prob int) int64 { return (amount*int64(prob) + 50) / 100 }

// DealLine is a product on a deal at the price it had when it was added.
type DealLine struct {
	ID        int64  `json:"id"`
	ProductID *int64 `json:"product_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Discount  int64  `json:"discount"` // off this line, in minor units
	TaxRateBP int    `json:"tax_rate_bp"`
	Total     int64  `json:"total"` // quantity × unit price − discount, before tax
}

// Tax is the line's tax, rounded half up.
func (l DealLine) Tax() int64 { return (l.Total*int64(l.TaxRateBP) + 5000) / 10000 }

// StageChange is one move of a deal between stages.
type StageChange struct {
	FromStageID *int64    `json:"from_stage_id"`
	ToStageID   int64     `json:"to_stage_id"`
	FromName    string    `json:"from_name"`
	ToName      string    `json:"to_name"`
	Actor       string    `json:"actor"`
	At          time.Time `json:"at"`
}

// DealInput is what may be set on a deal. Probability -1 goes back to the
// stage's default; 0 clears the owner, contact or company.
type DealInput struct {
	Title         *string          `json:"title,omitempty" doc:"Required on create."`
	PipelineID    *int64           `json:"pipeline_id,omitempty" doc:"The first pipeline when absent on create."`
	StageID       *int64           `json:"stage_id,omitempty" doc:"A stage of the deal's pipeline; its first stage when absent on create. A won or lost stage closes the deal."`
	Amount        *int64           `json:"amount,omitempty" doc:"Integer minor units of currency (cents, yen); ignored when the deal has lines, whose sum it is."`
	Currency      *string          `json:"currency,omitempty" doc:"ISO 4217 code; required on create."`
	ExpectedClose *string          `json:"expected_close,omitempty" doc:"YYYY-MM-DD, or empty."`
	Probability   *int             `json:"probability,omitempty" doc:"Win probability 0–100 overriding the stage's; -1 follows the stage again."`
	OwnerID       *int64           `json:"owner_id,omitempty" doc:"The creating user when absent; 0 clears."`
	ContactID     *int64           `json:"contact_id,omitempty" doc:"0 clears."`
	CompanyID     *int64           `json:"company_id,omitempty" doc:"0 clears."`
	Lines         *[]DealLineInput `json:"lines,omitempty" doc:"Replaces the product lines; a SKU already on the deal keeps its price."`
	Status        *string          `json:"status,omitempty" doc:"open, won or lost: moves the deal to its pipeline's first stage of that kind."`
	LostReason    *string          `json:"lost_reason,omitempty"`
}

// DealLineInput is one product line; the unit price and tax rate come
// from the product.
type DealLineInput struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
	Discount int64  `json:"discount,omitempty" doc:"Off this line, in minor units."`
}

// DealStageInput moves a deal to another stage of its pipeline.
type DealStageInput struct {
	StageID    int64  `json:"stage_id"`
	LostReason string `json:"lost_reason,omitempty"`
}

// DealFilter selects deals.
type DealFilter struct {
	PipelineID  *int64
	StageID     *int64
	OwnerID     *int64 // 0: deals without an owner
	ContactID   *int64
	CompanyID   *int64
	Status      string
	CloseFrom   string // expected close on or after, YYYY-MM-DD
	CloseTo     string // expected close on or before
	Query       string // in the title
	Sort        string
	After       string
	Limit       int
	WithTotal   bool
	WithoutLine bool // skip loading lines (boards, lists)
}

// DealSorts are the sortable columns of a deal list.
var DealSorts = []string{"title", "amount", "expected_close", "probability", "created_at", "updated_at"}

// ForecastFilter selects the deals of a forecast. From and To are months,
// YYYY-MM, both included.
type ForecastFilter struct {
	PipelineID *int64
	OwnerID    *int64
	From, To   string
}

// ForecastRow is one bucket of a forecast: a month (YYYY-MM, "" for open
// deals without an expected close) or an owner, in one currency. Weighted
// is the sum of amount × probability of its open deals; Won the amount
// of deals won in it (by month of winning).
type ForecastRow struct {
	Month     string `json:"month,omitempty"`
	OwnerID   *int64 `json:"owner_id,omitempty"`
	OwnerName string `json:"owner_name,omitempty"`
	Currency  string `json:"currency"`
	Open      int    `json:"open"`
	Amount    int64  `json:"amount"`
	Weighted  int64  `json:"weighted"`
	WonCount  int    `json:"won_count"`
	Won       int64  `json:"won"`
}

// Forecast is the weighted pipeline by month and by owner.
type Forecast struct {
	From     string        `json:"from"`
	To       string        `json:"to"`
	ByMonth  []ForecastRow `json:"by_month"`
	ByOwner  []ForecastRow `json:"by_owner"`
	Totals   []ForecastRow `json:"totals"` // one per currency
	Currency []string      `json:"currencies"`
}

// DealService is implemented by the store.
type DealService interface {
	FindDealByID(ctx context.Context, id int64) (*Deal, error)
	FindDeals(ctx context.Context, f DealFilter) (Page[*Deal], error)
	CreateDeal(ctx context.Context, in DealInput) (*Deal, error)
	UpdateDeal(ctx context.Context, id int64, in DealInput) (*Deal, error)
	DeleteDeal(ctx context.Context, id int64) error
	// MoveDeal changes the stage; a won or lost stage closes the deal.
	MoveDeal(ctx context.Context, id int64, in DealStageInput) (*Deal, error)
	Forecast(ctx context.Context, f ForecastFilter) (*Forecast, error)
	// AcceptQuote turns the deal's lines into an order (reserving stock)
	// and marks the deal won. Out of stock is ECONFLICT and the deal stays
	// open.
	AcceptQuote(ctx context.Context, id int64) (*Order, error)
}

// ForecastDeal is what a forecast needs of one deal.
type ForecastDeal struct {
	Status        string
	Amount        int64
	Currency      string
	Probability   int
	ExpectedClose string
	ClosedAt      *time.Time
	OwnerID       *int64
	OwnerName     string
}

// BuildForecast sums deals into months and owners, per currency. Open
// deals count by the month of their expected close (those without one in
// the "" month), won deals by the month they were won in, both only inside
// from..to (YYYY-MM, inclusive; "" is unbounded). Weighted amounts are
// summed exactly and rounded once per bucket, so a bucket never drifts
// from its deals by more than half a minor unit.
func BuildForecast(deals []ForecastDeal, from, to string) *Forecast {
	type key struct{ month, owner, cur string }
	type acc struct {
		row ForecastRow
		// Σ amount × probability, as whole minor units and hundredths,
		// so no sum of many large deals overflows.
		whole, hundredths int64
	}
	months, owners, totals := map[key]*acc{}, map[key]*acc{}, map[key]*acc{}
	in := func(m string) bool { return m == "" || ((from == "" || m >= from) && (to == "" || m <= to)) }
	bucket := func(m map[key]*acc, k key, r ForecastRow) *acc {
		a, ok := m[k]
		if !ok {
			a = &acc{row: r}
			m[k] = a
		}
		return a
	}
	for _, d := range deals {
		var month string
		switch d.Status {
		case DealOpen:
			month = d.ExpectedClose
			if len(month) >= 7 {
				month = month[:7]
			}
		case DealWon:
			if d.ClosedAt == nil {
				continue
			}
			month = d.ClosedAt.UTC().Format("2006-01")
		default:
			continue
		}
		if !in(month) || (d.Status == DealWon && month == "") {
			continue
		}
		owner := ""
		if d.OwnerID != nil {
			owner = strconv.FormatInt(*d.OwnerID, 10)
		}
		for _, a := range []*acc{
			bucket(months, key{month: month, cur: d.Currency}, ForecastRow{Month: month, Currency: d.Currency}),
			bucket(owners, key{owner: owner, cur: d.Currency}, ForecastRow{OwnerID: d.OwnerID, OwnerName: d.OwnerName, Currency: d.Currency}),
			bucket(totals, key{cur: d.Currency}, ForecastRow{Currency: d.Currency}),
		} {
			if d.Status == DealOpen {
				a.row.Open++
				a.row.Amount += d.Amount
				p := d.Amount * int64(d.Probability)
				a.whole += p / 100
				a.hundredths += p % 100
			} else {
				a.row.WonCount++
				a.row.Won += d.Amount
			}
		}
	}
	rows := func(m map[key]*acc, less func(a, b ForecastRow) int) []ForecastRow {
		out := make([]ForecastRow, 0, len(m))
		for _, a := range m {
			a.row.Weighted = a.whole + (a.hundredths+50)/100
			out = append(out, a.row)
		}
		sortRows(out, less)
		return out
	}
	f := &Forecast{From: from, To: to}
	f.ByMonth = rows(months, func(a, b ForecastRow) int {
		// Undated deals last: "" sorts after every month.
		if a.Month != b.Month {
			if a.Month == "" {
				return 1
			}
			if b.Month == "" {
				return -1
			}
			return cmpStr(a.Month, b.Month)
		}
		return cmpStr(a.Currency, b.Currency)
	})
	f.ByOwner = rows(owners, func(a, b ForecastRow) int {
		if a.OwnerName != b.OwnerName {
			return cmpStr(a.OwnerName, b.OwnerName)
		}
		if ai, bi := derefID(a.OwnerID), derefID(b.OwnerID); ai != bi {
			return int(ai - bi)
		}
		return cmpStr(a.Currency, b.Currency)
	})
	f.Totals = rows(totals, func(a, b ForecastRow) int { return cmpStr(a.Currency, b.Currency) })
	f.Currency = []string{}
	for _, t := range f.Totals {
		f.Currency = append(f.Currency, t.Currency)
	}
	return f
}

// QuoteValidDays is how long a quote is valid from the day it is shown.
const QuoteValidDays = 30

// QuoteLine is a deal line with its tax.
type QuoteLine struct {
	DealLine
	Gross int64 // quantity × unit price
	Tax   int64
}

// Quote is a deal's offer to the customer: its lines with tax at each
// product's rate, and the totals.
type Quote struct {
	Deal       *Deal
	Lines      []QuoteLine
	Subtotal   int64 // Σ gross
	Discount   int64
	Tax        int64
	Total      int64 // Subtotal − Discount + Tax
	IssuedOn   time.Time
	ValidUntil time.Time
}

// NewQuote prices the deal's lines as a quote issued on the given day.
func NewQuote(d *Deal, issued time.Time) *Quote {
	q := &Quote{Deal: d, IssuedOn: issued, ValidUntil: issued.AddDate(0, 0, QuoteValidDays)}
	for _, l := range d.Lines {
		ql := QuoteLine{DealLine: l, Gross: l.UnitPrice * l.Quantity, Tax: l.Tax()}
		q.Lines = append(q.Lines, ql)
		q.Subtotal += ql.Gross
		q.Discount += l.Discount
		q.Tax += ql.Tax
	}
	q.Total = q.Subtotal - q.Discount + q.Tax
	return q
}
