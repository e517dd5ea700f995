package api

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Costs (costs:read|write) and the cohort and economics reports
// (analytics:read). One resource holds the four kinds of cost: acquisition
// spend per channel and month, product cost (COGS) per SKU, and the rates
// of a message and of a minute of staff time, each from a date on.

var costsR, costsW = crm.P(crm.ResCosts, crm.Read), crm.P(crm.ResCosts, crm.Write)

const costsDoc = "kind acquisition: key is the marketing channel (compared in lower case with the contact's source, else the first order's channel), " +
	"date the month (YYYY-MM or any day of it), amount the month's spend. kind product: key is the SKU, amount the cost of `per` units from date on " +
	"(an order line costs the product cost in effect on the day its order was placed). kind message: key email or sms, amount per `per` messages sent. " +
	"kind staff: key an activity kind (call, meeting, note, email), task, ticket or * (any), amount per `per` minutes. " +
	"Amounts are integers in minor units; currency defaults to the shop's, and only costs in the shop currency enter the reports. " +
	"kind, key, date and currency identify a cost (409 on a second one)."

func (s *server) costRoutes(a huma.API) {
	handle(s, a, op(get, "/costs", "list-costs", "List costs by date", costsR), s.listCosts)
	handle(s, a, op(post, "/costs", "create-cost", "Record a cost: acquisition spend, product cost, message or staff-time rate", costsW).status(201).doc(costsDoc), s.createCost)
	handle(s, a, op(get, "/costs/{id}", "get-cost", "Get a cost", costsR), s.getCost)
	handle(s, a, op(patch, "/costs/{id}", "update-cost", "Update a cost (only the fields sent)", costsW).doc(costsDoc), s.updateCost)
	handle(s, a, op(del, "/costs/{id}", "delete-cost", "Delete a cost", costsW).status(204), s.deleteCost)
	registerCostImport(s, a, op(post, "/costs/import", "import-costs", "Import costs from a CSV file (kind,key,date,amount[,currency,per,note])",
		costsW, crm.P(crm.ResImport, crm.Write)))
	handle(s, a, op(get, "/reports/cohorts", "cohort-report", "Acquisition cohorts × months: repeat purchase, revenue per customer, time to second purchase, never-returned shares", analyticsR).doc(cohortDoc), s.cohortReport)
	handle(s, a, op(get, "/reports/economics", "economics-report", "Revenue, margin, cost to serve, acquisition cost and profit per customer, segment and account manager; retention vs acquisition", analyticsR).doc(economicsDoc), s.economicsReport)
}

type costListInput struct {
	request
	Kind     string `query:"kind" enum:"acquisition,product,message,staff"`
	Key      string `query:"key" maxLength:"64" doc:"Only costs of this channel, SKU, message channel or activity kind."`
	Currency string `query:"currency" maxLength:"3"`
	From     string `query:"from" format:"date" doc:"Only costs dated on or after this day."`
	To       string `query:"to" format:"date" doc:"Only costs dated on or before this day."`
	Total    bool   `query:"total" doc:"Also count the matching costs."`
	Paging
}

func (in *costListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"kind", "key", "currency", "from", "to", "total", "limit", "after"}, false)
}

func (s *server) listCosts(ctx context.Context, in *costListInput) (*listOutput[*crm.Cost], error) {
	p, err := s.svc.Costs.FindCosts(ctx, crm.CostFilter{Kind: in.Kind, Key: in.Key, Currency: in.Currency, From: in.From, To: in.To, Limit: in.Limit, After: in.After})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, in.Total), nil
}

type costOut struct{ Body *crm.Cost }

func (s *server) getCost(ctx context.Context, in *IDPath) (*costOut, error) {
	c, err := s.svc.Costs.FindCostByID(ctx, in.ID)
	return &costOut{c}, err
}

type costCreateInput struct {
	Idempotency
	Body crm.CostInput
}

func (s *server) createCost(ctx context.Context, in *costCreateInput) (*costOut, error) {
	c, err := s.svc.Costs.CreateCost(ctx, in.Body)
	return &costOut{c}, err
}

type costUpdateInput struct {
	IDPath
	Body crm.CostInput
}

func (s *server) updateCost(ctx context.Context, in *costUpdateInput) (*costOut, error) {
	c, err := s.svc.Costs.UpdateCost(ctx, in.ID, in.Body)
	return &costOut{c}, err
}

func (s *server) deleteCost(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Costs.DeleteCost(ctx, in.ID)
}

type costImportInput struct {
	ContentType string `header:"Content-Type"`
	Encoding    string `query:"encoding" enum:"utf-8,shift_jis,windows-1256" doc:"Detected when left out."`
	DryRun      bool   `query:"dry_run" doc:"Check the file and count what would change, storing nothing."`
	MinorUnits  bool   `query:"minor_units" doc:"Amounts are integers in minor units instead of decimals in major units (1250.00)."`
	RawBody     []byte `contentType:"text/csv"`
}

type costImportOutput struct{ Body *crm.CostImportReport }

// registerCostImport is handle for the cost file upload (the body is the
// CSV, or the "file" part of a multipart form), like the order import.
func registerCostImport(s *server, a huma.API, o operation) {
	ho := uploadOperation(a, o, "The file is the request body (text/csv), or the \"file\" part of a multipart form, with the header "+
		"kind,key,date,amount and optionally currency, per, note (see create-cost for their meaning; amounts in major units such as 1250.00 "+
		"unless minor_units). Lines whose kind, key, date and currency are stored already update that cost, so importing a file twice changes "+
		"nothing. A file with any rejected line (listed with its line and field) stores nothing.", "the cost file")
	huma.Register(a, ho, func(ctx context.Context, in *costImportInput) (*costImportOutput, error) {
		body, err := uploadedFile(in.ContentType, in.RawBody)
		if err == nil {
			var rep *crm.CostImportReport
			rep, err = s.svc.Costs.ImportCosts(ctx, body, crm.CostImportOptions{Encoding: in.Encoding, DryRun: in.DryRun, MinorUnits: in.MinorUnits})
			if err == nil {
				return &costImportOutput{rep}, nil
			}
		}
		return nil, s.problem(ho.Method, ho.Path, err, "query")
	})
}

const cohortDoc = "Customers are grouped by the month of their first purchase (customer_firsts). A customer *bought again* in a month when they " +
	"bought on a later UTC day than their first purchase (orders of one day are one visit). Revenue is net of credit notes and in the shop currency; " +
	"guest orders belong to no cohort. Months are Gregorian (UTC) here; the console shows Jalali months to Persian readers. " +
	"never_returned: of the cohorts' customers whose first purchase came at least N days before the end of the range, the share who did not buy " +
	"again within N days. An own-only user's report covers their own customers."

const economicsDoc = "Minor units of the shop currency. margin = revenue − cogs (units × the product cost in effect when the order was placed, " +
	"returned units netted); cost_to_serve = message cost (sent outbox messages × the email rate) + staff cost (activity minutes × the rate of the " +
	"activity's kind, else *); acquisition cost: each channel's spend in a month (spread evenly over the days of the month it was entered for) " +
	"÷ that month's new customers of the channel, given to each of them; profit = margin − cost_to_serve − acquisition cost. " +
	"Retention vs acquisition: retention spend (messages to existing customers + their account manager's logged time after the first purchase) " +
	"÷ returning purchases (purchases that are not their customer's first), against acquisition spend ÷ new customers. " +
	"An own-only user sees their own customers only, and the acquisition spend allocated to them."

type ReportRange struct {
	From string `query:"from" format:"date" doc:"First day (YYYY-MM-DD, UTC)."`
	To   string `query:"to" format:"date" doc:"Last day, included (YYYY-MM-DD, UTC)."`
}

// dates parses the range; To becomes the day after (exclusive).
func (r ReportRange) dates() (from, to *time.Time, err error) {
	var v crm.Validation
	for _, p := range []struct {
		name, val string
		dst       **time.Time
		add       int
	}{{"from", r.From, &from, 0}, {"to", r.To, &to, 1}} {
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
	return from, to, v.Err()
}

type cohortInput struct {
	ReportRange
	Days string `query:"days" maxLength:"60" doc:"Windows of the never-returned share in days, comma-separated (default 90,180,365; at most 6, each 1–3650)."`
}

type cohortBody struct {
	crm.CohortReport
	LastDay string `json:"last_day" format:"date" doc:"The last day of the range (to is the instant after it)."`
}

type cohortOut struct{ Body cohortBody }

func (s *server) cohortReport(ctx context.Context, in *cohortInput) (*cohortOut, error) {
	from, to, err := in.dates()
	if err != nil {
		return nil, err
	}
	f := crm.CohortFilter{From: from, To: to}
	for _, d := range strings.Split(in.Days, ",") {
		if strings.TrimSpace(d) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			var v crm.Validation
			v.Add("days", "invalid_number")
			return nil, v.Err()
		}
		f.Days = append(f.Days, n)
	}
	rep, err := s.svc.Costs.CohortReport(ctx, f)
	if err != nil {
		return nil, err
	}
	return &cohortOut{cohortBody{*rep, rep.To.AddDate(0, 0, -1).Format(time.DateOnly)}}, nil
}

type economicsInput struct {
	ReportRange
	Sort   string `query:"sort" enum:"profit,-profit,revenue,-revenue,cost,-cost" doc:"Order of the customer list (default -profit: the most profitable first; profit lists the least profitable first)."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"20"`
	Offset int    `query:"offset" minimum:"0" maximum:"1000000"`
}

type economicsBody struct {
	crm.EconomicsReport
	LastDay string `json:"last_day" format:"date" doc:"The last day of the period (to is the instant after it)."`
}

type economicsOut struct{ Body economicsBody }

func (s *server) economicsReport(ctx context.Context, in *economicsInput) (*economicsOut, error) {
	from, to, err := in.dates()
	if err != nil {
		return nil, err
	}
	if !slices.Contains(append(crm.EconomicsSorts, ""), in.Sort) {
		return nil, invalid("query.sort", "invalid_sort")
	}
	rep, err := s.svc.Costs.EconomicsReport(ctx, crm.EconomicsFilter{From: from, To: to, Sort: in.Sort, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, err
	}
	if rep.Customers == nil {
		rep.Customers = []crm.CustomerEconomics{}
	}
	return &economicsOut{economicsBody{*rep, rep.To.AddDate(0, 0, -1).Format(time.DateOnly)}}, nil
}
