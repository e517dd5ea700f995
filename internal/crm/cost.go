package crm

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Costs are what the business spends, in minor units with a currency and
// a date: what acquiring a customer, selling a product, sending a message
// and an hour of staff time cost. The cohort and economics reports
// (economics.go) set them against revenue. Every kind is one resource,
// told apart by Kind; Key says what the cost is of:
//
//   - acquisition: Key is the marketing channel ("ads", "referral"), Date
//     the month (its first day), Amount the month's spend, spread evenly
//     over the month's days. A customer's channel is their contact's
//     source, else the channel of their first order.
//   - product: Key is the SKU, Date the day from which the cost applies;
//     Amount is the cost of Per units (COGS). An order line costs the
//     product cost in effect on the day the order was placed.
//   - message: Key is email or sms; Amount per Per messages sent.
//   - staff: Key is an activity kind (call, meeting, note, email), task,
//     ticket, or * for any; Amount per Per minutes of staff time.
//
// Product, message and staff costs apply from Date until the next entry
// of the same kind, key and currency. Only entries in the shop currency
// enter the reports (like the sales report); others are counted and named
// in the report's warnings.
type Cost struct {
	ID       int64     `json:"id"`
	Kind     string    `json:"kind" enum:"acquisition,product,message,staff"`
	Key      string    `json:"key" doc:"acquisition: the channel; product: the SKU; message: email or sms; staff: call, meeting, note, email, task, ticket or *."`
	Date     string    `json:"date" format:"date" doc:"acquisition: the first day of the month; otherwise the day (UTC) the cost applies from."`
	Amount   int64     `json:"amount" doc:"Minor units of currency: the month's spend, or the cost of per units (products), messages or minutes."`
	Per      int64     `json:"per" doc:"How many units, messages or minutes amount is the cost of (1 unless tiny costs such as 8 cents per 100 emails)."`
	Currency string    `json:"currency"`
	Note     string    `json:"note"`
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// Cost kinds.
const (
	CostAcquisition = "acquisition"
	CostProduct     = "product"
	CostMessage     = "message"
	CostStaff       = "staff"
)

// CostKinds lists the kinds in display order.
var CostKinds = []string{CostAcquisition, CostProduct, CostMessage, CostStaff}

// MessageChannels are the channels a message cost is for: email today
// (mail_outbox), SMS once campaigns send them.
var MessageChannels = []string{"email", "sms"}

// StaffKeys are what a staff-time rate can be for: the activity kinds
// people log with a duration, tasks and (later) tickets, and * for any.
var StaffKeys = append(append([]string{}, ActivityKinds...), "task", "ticket", "*")

// CostInput creates or changes a cost; on update only the fields sent
// change.
type CostInput struct {
	Kind     *string `json:"kind,omitempty" enum:"acquisition,product,message,staff"`
	Key      *string `json:"key,omitempty" maxLength:"64"`
	Date     *string `json:"date,omitempty" doc:"YYYY-MM-DD, or YYYY-MM for acquisition spend."`
	Amount   *int64  `json:"amount,omitempty"`
	Per      *int64  `json:"per,omitempty" doc:"Default 1."`
	Currency *string `json:"currency,omitempty" doc:"Default: the shop currency."`
	Note     *string `json:"note,omitempty" maxLength:"500"`
}

// CostFilter selects costs: by kind, key, currency and a range of dates
// (From and To included, YYYY-MM-DD), oldest date first.
type CostFilter struct {
	Kind     string
	Key      string
	Currency string
	From, To string
	Limit    int
	After    string
}

// MaxCostAmount bounds an amount, so sums over years stay far from int64
// overflow.
const MaxCostAmount = 1e13

var channelKey = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.\- ]{0,63}$`)

// NormalizeChannel is a channel as costs and reports compare it: trimmed
// and lower case ("Ads " and "ads" are one channel).
func NormalizeChannel(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ApplyCost merges in into c (a new cost when c is zero) and validates the
// result. shop is the shop currency, the default. Field errors are keyed
// by the JSON names.
func ApplyCost(c *Cost, in CostInput, shop string) error {
	if in.Kind != nil {
		c.Kind = strings.TrimSpace(*in.Kind)
	}
	if in.Key != nil {
		c.Key = strings.TrimSpace(*in.Key)
	}
	var v Validation
	var date time.Time
	if in.Date != nil {
		s := strings.TrimSpace(*in.Date)
		t, err := time.Parse(time.DateOnly, s)
		if err != nil && c.Kind == CostAcquisition {
			t, err = time.Parse("2006-01", s)
		}
		if err != nil || t.Year() < 1970 || t.Year() > 9999 {
			v.Add("date", "invalid_date")
		} else {
			date = t
		}
	} else if c.Date != "" {
		date, _ = time.Parse(time.DateOnly, c.Date)
	}
	if in.Amount != nil {
		c.Amount = *in.Amount
	}
	if in.Per != nil {
		c.Per = *in.Per
	}
	if c.Per == 0 && in.Per == nil {
		c.Per = 1
	}
	if in.Currency != nil {
		c.Currency = *in.Currency
	}
	if c.Currency == "" {
		c.Currency = shop
	}
	if in.Note != nil {
		c.Note = strings.TrimSpace(*in.Note)
	}
	switch c.Kind {
	case CostAcquisition:
		c.Key = NormalizeChannel(c.Key)
		if !channelKey.MatchString(c.Key) {
			v.Add("key", "invalid_value")
		}
		if !date.IsZero() {
			// Spend is per month: any day of it names the month.
			date = time.Date(date.Year(), date.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
	case CostProduct:
		if c.Key == "" || len(c.Key) > 64 {
			v.Add("key", "invalid_sku")
		}
	case CostMessage:
		c.Key = strings.ToLower(c.Key)
		if !slices.Contains(MessageChannels, c.Key) {
			v.Add("key", "invalid_choice")
		}
	case CostStaff:
		c.Key = strings.ToLower(c.Key)
		if !slices.Contains(StaffKeys, c.Key) {
			v.Add("key", "invalid_choice")
		}
	default:
		v.Add("kind", "invalid_choice")
	}
	if date.IsZero() {
		if in.Date == nil {
			v.Add("date", "required")
		}
	} else {
		c.Date = date.Format(time.DateOnly)
	}
	if c.Amount < 0 || c.Amount > MaxCostAmount {
		v.Add("amount", "out_of_range")
	}
	if c.Per < 1 || c.Per > 1e9 {
		v.Add("per", "out_of_range")
	}
	if cur, ok := NormalizeCurrency(c.Currency); ok {
		c.Currency = cur
	} else {
		v.Add("currency", "invalid_currency")
	}
	if len(c.Note) > 500 {
		v.Add("note", "too_long", 500)
	}
	return v.Err()
}

// CostDay is the date of a valid cost as UTC days since 1970.
func CostDay(c *Cost) int64 {
	t, _ := time.Parse(time.DateOnly, c.Date)
	return t.Unix() / 86400
}

// CostImportOptions control `ecrm import costs` and POST /costs/import.
type CostImportOptions struct {
	Encoding string `json:"encoding"`
	// DryRun checks every line and reports what would change, writing
	// nothing.
	DryRun bool `json:"dry_run"`
	// MinorUnits says amounts are integers in minor units; by default
	// they are decimals in major units ("1250.00").
	MinorUnits bool `json:"minor_units"`
}

// CostImportReport is the outcome of a cost import. A file with any
// rejected line stores nothing: costs are few and each one moves every
// figure, so a half-applied file is worse than none.
type CostImportReport struct {
	FileLines int            `json:"file_lines"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated" doc:"Lines whose kind, key, date and currency already had a cost: its amount, per and note were replaced."`
	Unchanged int            `json:"unchanged" doc:"Lines equal to the stored cost (a re-import of the same file changes nothing)."`
	DryRun    bool           `json:"dry_run"`
	Rejected  []RejectedLine `json:"rejected"`
}

// CostService keeps costs and computes the reports built on them. Costs
// need costs:read|write; the reports analytics:read, and an own-only
// user's reports cover their own customers.
type CostService interface {
	FindCosts(ctx context.Context, f CostFilter) (Page[*Cost], error)
	FindCostByID(ctx context.Context, id int64) (*Cost, error)
	CreateCost(ctx context.Context, in CostInput) (*Cost, error)
	UpdateCost(ctx context.Context, id int64, in CostInput) (*Cost, error)
	DeleteCost(ctx context.Context, id int64) error
	// ImportCosts reads a CSV with the header kind,key,date,amount and
	// optional currency, per, note; lines already stored are updated.
	ImportCosts(ctx context.Context, r io.Reader, opts CostImportOptions) (*CostImportReport, error)

	CohortReport(ctx context.Context, f CohortFilter) (*CohortReport, error)
	EconomicsReport(ctx context.Context, f EconomicsFilter) (*EconomicsReport, error)
}
