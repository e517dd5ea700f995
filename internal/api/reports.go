package api

import (
	"context"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

type salesReportInput struct {
	From string `query:"from" format:"date" doc:"First day (YYYY-MM-DD, UTC). Without from and to: the last 12 months that have purchases."`
	To   string `query:"to" format:"date" doc:"Last day, included (YYYY-MM-DD, UTC)."`
	Top  int    `query:"top" minimum:"0" maximum:"100" doc:"How many products to list (default 10)."`
}

// salesReportBody is the dashboard's figures. Amounts are integer minor
// units of the shop currency; months are Gregorian, in UTC.
type salesReportBody struct {
	From      string           `json:"from" format:"date"`
	To        string           `json:"to" format:"date" doc:"Last day included."`
	Currency  string           `json:"currency"`
	Orders    int              `json:"orders" doc:"Purchases (paid, shipped or delivered) in the range, in any currency."`
	Revenue   int64            `json:"revenue" doc:"Their total in the shop currency."`
	Months    []crm.SalesMonth `json:"months" doc:"A purchase is new when it is its customer's first purchase ever, returning when it is a later one of the customer; purchases without a customer are guest orders."`
	Customers int              `json:"customers" doc:"Customers whose first purchase came before the end of the range."`
	// Two definitions of a repeat customer, both as of the end of the range.
	RepeatCustomers       int                `json:"repeat_customers" doc:"Of them, those with two or more orders before the end of the range (a second order on the day of the first counts)."`
	RepeatRate            float64            `json:"repeat_rate" doc:"repeat_customers / customers."`
	RepeatCustomersByDay  int                `json:"repeat_customers_by_day" doc:"Of them, those who bought on two or more days (UTC) before the end of the range: orders of one day collapsed into one purchase."`
	RepeatRateByDay       float64            `json:"repeat_rate_by_day" doc:"repeat_customers_by_day / customers."`
	MedianDaysToSecond    *float64           `json:"median_days_to_second_order" doc:"Median whole days from the first to the second order of the repeat customers (by orders); null without any."`
	MedianDaysToSecondDay *float64           `json:"median_days_to_second_day" doc:"Median days from the first purchase day to the second purchase day of the repeat customers (by days); null without any."`
	ReferenceRepeatRate   float64            `json:"reference_repeat_rate" doc:"The reference drawn on the dashboard: 65 % never buy again."`
	Gaps                  []crm.GapBucket    `json:"gaps" doc:"Repeat customers by days between first and second purchase, counted by orders (customers) and by purchase days (customers_by_day); max_days -1 has no upper bound."`
	TopProducts           []crm.ProductSales `json:"top_products"`
}

type salesReportOutput struct{ Body salesReportBody }

func (s *server) salesReport(ctx context.Context, in *salesReportInput) (*salesReportOutput, error) {
	f := crm.SalesReportFilter{TopN: in.Top}
	var v crm.Validation
	for _, p := range []struct {
		name, val string
		dst       **time.Time
		add       int
	}{{"from", in.From, &f.From, 0}, {"to", in.To, &f.To, 1}} {
		if p.val == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, p.val)
		if err != nil {
			v.Add(p.name, "invalid_date")
			continue
		}
		t = t.AddDate(0, 0, p.add)
		*p.dst = &t
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rep, err := s.svc.Reports.SalesReport(ctx, f)
	if err != nil {
		return nil, err
	}
	out := salesReportBody{From: rep.From.Format(time.DateOnly), To: rep.To.AddDate(0, 0, -1).Format(time.DateOnly),
		Currency: rep.Currency, Orders: rep.Orders, Revenue: rep.Revenue, Months: rep.Months(), Customers: rep.Customers,
		RepeatCustomers: rep.Repeat, RepeatRate: rep.RepeatRate(), RepeatCustomersByDay: rep.RepeatDays, RepeatRateByDay: rep.RepeatDaysRate(),
		MedianDaysToSecond: rep.MedianDaysToSecond, MedianDaysToSecondDay: rep.MedianDaysToSecondDay,
		ReferenceRepeatRate: crm.ReferenceRepeatRate, Gaps: rep.Gaps, TopProducts: rep.TopProducts}
	if out.TopProducts == nil {
		out.TopProducts = []crm.ProductSales{}
	}
	return &salesReportOutput{out}, nil
}
