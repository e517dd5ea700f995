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
	From                string             `json:"from" format:"date"`
	To                  string             `json:"to" format:"date" doc:"Last day included."`
	Currency            string             `json:"currency"`
	Orders              int                `json:"orders" doc:"Purchases (paid, shipped or delivered) in the range, in any currency."`
	Revenue             int64              `json:"revenue" doc:"Their total in the shop currency."`
	Months              []crm.SalesMonth   `json:"months" doc:"An order is new when it is its customer's first purchase ever."`
	Customers           int                `json:"customers" doc:"Customers whose first purchase came before the end of the range."`
	RepeatCustomers     int                `json:"repeat_customers" doc:"Of them, those whose second purchase did too."`
	RepeatRate          float64            `json:"repeat_rate"`
	ReferenceRepeatRate float64            `json:"reference_repeat_rate" doc:"The reference drawn on the dashboard: 65 % never buy again."`
	Gaps                []crm.GapBucket    `json:"gaps" doc:"Repeat customers by days between first and second purchase; max_days -1 has no upper bound."`
	TopProducts         []crm.ProductSales `json:"top_products"`
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
		RepeatCustomers: rep.Repeat, RepeatRate: rep.RepeatRate(), ReferenceRepeatRate: crm.ReferenceRepeatRate,
		Gaps: rep.Gaps, TopProducts: rep.TopProducts}
	if out.TopProducts == nil {
		out.TopProducts = []crm.ProductSales{}
	}
	return &salesReportOutput{out}, nil
}
