package crm

import (
	"slices"
	"time"
)

// Cohorts and economics: how customers come back, and what they are worth
// and cost. Both reports read the sales rollups (customer_firsts,
// customer_days), count only the shop currency's money, and leave guest
// orders out of every customer's figures, like the sales report.

// CohortFilter selects the acquisition cohorts: customers whose first
// purchase falls in [From, To). Without dates: the last 12 months of
// Calendar up to the last month with a purchase (like the sales report). Days are the windows of
// the never-returned shares (default 90, 180, 365).
type CohortFilter struct {
	From, To *time.Time
	Calendar Calendar
	Days     []int
	// TrendOnly computes the repeat-rate trend alone (the analytics
	// home's tile), leaving the cohorts, gaps and never-returned shares out.
	TrendOnly bool
}

// DefaultNeverDays are the windows of "never returned within N days".
var DefaultNeverDays = []int{90, 180, 365}

// CohortCell is one cohort's month Month (0: the month of the first
// purchase). Returning counts the cohort's customers with a purchase in
// the month on a later day than their first purchase; Revenue is all the
// cohort's purchases of the month, credit notes netted, in the shop
// currency (the first purchases too, in month 0).
type CohortCell struct {
	Month      int     `json:"month" doc:"Months since the first purchase (0: its month)."`
	Returning  int     `json:"returning" doc:"Customers of the cohort who bought in that month on a later day than their first purchase."`
	Share      float64 `json:"share" doc:"returning / the cohort's customers."`
	Revenue    int64   `json:"revenue" doc:"The cohort's revenue in that month, credit notes netted, shop currency."`
	PerCust    float64 `json:"revenue_per_customer" doc:"revenue / the cohort's customers (minor units)."`
	Cumulative float64 `json:"cumulative_revenue_per_customer" doc:"Revenue per customer from month 0 to this one."`
}

// Cohort is the customers whose first purchase fell in one month. Cells
// run from month 0 to the last month that has started before the end of
// the range.
type Cohort struct {
	Start     time.Time    `json:"start"`
	Customers int          `json:"customers"`
	Cells     []CohortCell `json:"cells"`
}

// RepeatPoint is the repeat rate as of the end of a month: of the
// customers whose first purchase came before the month's end, those who
// had bought again on a later day.
type RepeatPoint struct {
	Start     time.Time `json:"start"`
	Customers int       `json:"customers"`
	Repeat    int       `json:"repeat_customers"`
	Rate      float64   `json:"rate"`
}

// NeverReturned is, for a window of Days, the cohorts' customers whose
// first purchase was at least Days before the end of the range
// (Eligible: they had the whole window), and of them those who did not
// buy on a later day within Days of their first purchase.
type NeverReturned struct {
	Days     int     `json:"days"`
	Eligible int     `json:"eligible"`
	Never    int     `json:"never_returned"`
	Share    float64 `json:"share"`
}

// NeverReturnedGroup is NeverReturned for the customers of one
// acquisition channel or first product; Windows follow the report's Days.
type NeverReturnedGroup struct {
	Key       string          `json:"key"`
	Name      string          `json:"name,omitempty"`
	Customers int             `json:"customers"`
	Windows   []NeverReturned `json:"windows"`
}

// CohortReport are the cohort figures. "Bought again" means a purchase on
// a later UTC day than the first (orders of one day are one visit), as
// the customer-value literature counts.
type CohortReport struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Currency  string    `json:"currency"`
	Customers int       `json:"customers"`
	Cohorts   []Cohort  `json:"cohorts"`
	// RepeatTrend is the lifetime repeat rate at each month's end.
	RepeatTrend []RepeatPoint `json:"repeat_trend"`
	// Gaps spreads the cohorts' repeat customers by the days from the
	// first purchase day to the second (CustomersByDay).
	Gaps            []GapBucket          `json:"gaps"`
	MedianDaysToTwo *float64             `json:"median_days_to_second"`
	NeverReturned   []NeverReturned      `json:"never_returned"`
	ByChannel       []NeverReturnedGroup `json:"by_channel" doc:"The channel is the contact's source, else the channel of the first order."`
	ByProduct       []NeverReturnedGroup `json:"by_first_product" doc:"The first product is the SKU of the first order's largest line (by total, then SKU)."`
	Calendar        Calendar             `json:"-"`
}

// EconomicsFilter selects the period [From, To) of the economics report
// (default: the last 12 months with purchases, like the sales report) and
// the page of the per-customer list.
type EconomicsFilter struct {
	From, To *time.Time
	Calendar Calendar
	// Sort is "profit" (lowest first), "-profit" (highest first, the
	// default), "revenue", "-revenue", "cost", "-cost".
	Sort   string
	Limit  int
	Offset int
	// RetentionOnly computes retention vs acquisition alone (the
	// analytics home's tile): no COGS, no customer, segment or manager
	// figures.
	RetentionOnly bool
}

// EconomicsSorts lists the sorts of the per-customer list.
var EconomicsSorts = []string{"profit", "-profit", "revenue", "-revenue", "cost", "-cost"}

// ValidEconomicsSort reports whether s is a sort of the customer list.
func ValidEconomicsSort(s string) bool { return s == "" || slices.Contains(EconomicsSorts, s) }

// Economics are the money figures of a customer or a group of customers
// in the period, minor units of the shop currency:
//
//	margin       = revenue − cogs
//	cost_to_serve = message_cost + staff_cost
//	profit       = margin − cost_to_serve − acquisition
type Economics struct {
	Customers    int   `json:"customers" doc:"Customers with a purchase in the period (a contact with only costs, such as messages, counts in the list but not here)."`
	Orders       int   `json:"orders" doc:"Purchases (credit notes are not)."`
	NewCustomers int   `json:"new_customers" doc:"Customers whose first purchase fell in the period."`
	Revenue      int64 `json:"revenue" doc:"Purchases net of credit notes."`
	COGS         int64 `json:"cogs" doc:"Units sold × the product cost in effect when the order was placed, returned units netted."`
	Margin       int64 `json:"margin"`
	Messages     int   `json:"messages" doc:"Messages sent to the customers."`
	MessageCost  int64 `json:"message_cost"`
	StaffMinutes int64 `json:"staff_minutes" doc:"Minutes of logged activities with the customers."`
	StaffCost    int64 `json:"staff_cost"`
	CostToServe  int64 `json:"cost_to_serve"`
	Acquisition  int64 `json:"acquisition_cost" doc:"The acquisition spend allocated to the new customers: their channel's spend in the month of their first purchase ÷ that month's new customers of the channel."`
	Profit       int64 `json:"profit"`
	// UncostedUnits counts units sold whose SKU had no product cost in
	// effect: their COGS is counted as zero.
	UncostedUnits int64 `json:"uncosted_units"`
}

// Finish sets the derived figures.
func (e *Economics) Finish() {
	e.Margin = e.Revenue - e.COGS
	e.CostToServe = e.MessageCost + e.StaffCost
	e.Profit = e.Margin - e.CostToServe - e.Acquisition
}

// Add adds o's sums to e.
func (e *Economics) Add(o *Economics) {
	e.Customers += o.Customers
	e.Orders += o.Orders
	e.NewCustomers += o.NewCustomers
	e.Revenue += o.Revenue
	e.COGS += o.COGS
	e.Messages += o.Messages
	e.MessageCost += o.MessageCost
	e.StaffMinutes += o.StaffMinutes
	e.StaffCost += o.StaffCost
	e.Acquisition += o.Acquisition
	e.UncostedUnits += o.UncostedUnits
	e.Finish()
}

// CustomerEconomics is one customer's figures.
type CustomerEconomics struct {
	ContactID int64  `json:"contact_id"`
	Name      string `json:"name"`
	OwnerID   *int64 `json:"owner_id"`
	Channel   string `json:"channel" doc:"Acquisition channel: the contact's source, else the first order's channel."`
	Economics
}

// GroupEconomics are the figures of a segment or an account manager's
// customers.
type GroupEconomics struct {
	ID   int64  `json:"id" doc:"The segment or user id; 0: customers without an account manager."`
	Name string `json:"name"`
	Economics
}

// ChannelMonth is the customer acquisition cost of a channel in a month:
// the spend (spread evenly over the days of the months it was entered
// for) ÷ the customers whose first purchase came in the month through the
// channel.
type ChannelMonth struct {
	Channel      string    `json:"channel"`
	Start        time.Time `json:"start"`
	Spend        int64     `json:"spend"`
	NewCustomers int       `json:"new_customers"`
	CAC          *float64  `json:"cac" doc:"spend / new_customers (minor units); null without new customers."`
}

// RetentionVsAcquisition sets the cost of one returning purchase against
// the cost of one new customer, both from the shop's own data:
//
//   - retention spend = the cost of messages sent to existing customers
//     (contacts whose first purchase came before the message) + the cost
//     of the staff time their account manager logged with them after
//     their first purchase (activities whose author is the contact's
//     owner);
//   - returning purchases = purchases in the period that are not their
//     customer's first;
//   - acquisition spend = the acquisition costs of the period (each
//     month's spend spread evenly over its days);
//   - new customers = customers whose first purchase fell in the period.
type RetentionVsAcquisition struct {
	RetentionSpend     int64    `json:"retention_spend"`
	RetentionMessages  int64    `json:"retention_message_cost"`
	RetentionStaff     int64    `json:"retention_staff_cost"`
	ReturningPurchases int      `json:"returning_purchases"`
	CostPerReturning   *float64 `json:"cost_per_returning_purchase" doc:"retention_spend / returning_purchases (minor units); null without returning purchases."`
	AcquisitionSpend   int64    `json:"acquisition_spend"`
	NewCustomers       int      `json:"new_customers"`
	CostPerNew         *float64 `json:"cost_per_new_customer" doc:"acquisition_spend / new_customers (minor units); null without new customers."`
	Ratio              *float64 `json:"ratio" doc:"cost_per_new_customer / cost_per_returning_purchase: how many returning purchases one new customer costs."`
}

// Finish sets the ratios.
func (r *RetentionVsAcquisition) Finish() {
	r.RetentionSpend = r.RetentionMessages + r.RetentionStaff
	r.CostPerReturning, r.CostPerNew, r.Ratio = nil, nil, nil
	if r.ReturningPurchases > 0 {
		v := float64(r.RetentionSpend) / float64(r.ReturningPurchases)
		r.CostPerReturning = &v
	}
	if r.NewCustomers > 0 {
		v := float64(r.AcquisitionSpend) / float64(r.NewCustomers)
		r.CostPerNew = &v
	}
	if r.CostPerReturning != nil && r.CostPerNew != nil && *r.CostPerReturning > 0 {
		v := *r.CostPerNew / *r.CostPerReturning
		r.Ratio = &v
	}
}

// ReferenceRetention are the documents' figures: a returning purchase
// costs $6.80, a new customer $34.
var ReferenceRetention = struct{ Returning, New float64 }{6.80, 34}

// EconomicsReport are the figures of the period. Customers is one page of
// the customers with any figure in the period, sorted by Sort;
// CustomerCount counts them all. Guests are the orders without a
// customer: in the totals, in no customer's figures.
type EconomicsReport struct {
	From          time.Time              `json:"from"`
	To            time.Time              `json:"to"`
	Currency      string                 `json:"currency"`
	Totals        Economics              `json:"totals" doc:"All customers in view (an own-only user's: their own), guests left out."`
	Guests        Economics              `json:"guests" doc:"Orders without a customer: revenue and COGS."`
	CustomerCount int                    `json:"customer_count"`
	Customers     []CustomerEconomics    `json:"customers"`
	Segments      []GroupEconomics       `json:"segments"`
	Managers      []GroupEconomics       `json:"account_managers"`
	Channels      []ChannelMonth         `json:"acquisition"`
	Retention     RetentionVsAcquisition `json:"retention_vs_acquisition"`
	// Unallocated is acquisition spend of channel-months without a new
	// customer (shown to users who see every customer).
	Unallocated int64 `json:"unallocated_acquisition"`
	// OtherCurrency counts cost entries in another currency, which no
	// figure includes.
	OtherCurrency int      `json:"costs_in_other_currencies"`
	Restricted    bool     `json:"own_customers_only"`
	Calendar      Calendar `json:"-"`
}
