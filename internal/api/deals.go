package api

import (
	"context"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type dealOut struct{ Body *crm.Deal }

type dealListInput struct {
	request
	Q          string `query:"q" maxLength:"200" doc:"Search in titles."`
	PipelineID int64  `query:"pipeline_id" minimum:"1"`
	StageID    int64  `query:"stage_id" minimum:"1"`
	OwnerID    int64  `query:"owner_id" minimum:"0" doc:"Only deals of this owner; 0 for deals without one."`
	ContactID  int64  `query:"contact_id" minimum:"1"`
	CompanyID  int64  `query:"company_id" minimum:"1" doc:"Deals of the company and of its people."`
	Status     string `query:"status" enum:"open,won,lost"`
	CloseFrom  string `query:"close_from" format:"date" doc:"Expected close on or after this day (YYYY-MM-DD)."`
	CloseTo    string `query:"close_to" format:"date" doc:"Expected close on or before this day (YYYY-MM-DD)."`
	Sort       string `query:"sort" doc:"title, amount, expected_close, probability, created_at or updated_at; prefix - for descending."`
	Total      bool   `query:"total" doc:"Also count all matching deals."`
	Paging
}

var dealParams = []string{"q", "pipeline_id", "stage_id", "owner_id", "contact_id", "company_id", "status", "close_from", "close_to", "sort", "total", "limit", "after"}

func (in *dealListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams(dealParams, false)
}

func (s *server) listDeals(ctx context.Context, in *dealListInput) (*listOutput[*crm.Deal], error) {
	if err := checkSort(in.Sort, crm.DealSorts); err != nil {
		return nil, err
	}
	if in.Status != "" && !slices.Contains(crm.DealStatuses, in.Status) {
		return nil, invalid("query.status", "invalid_choice")
	}
	p, err := s.svc.Deals.FindDeals(ctx, crm.DealFilter{
		Query: in.Q, PipelineID: in.optionalID("pipeline_id", in.PipelineID), StageID: in.optionalID("stage_id", in.StageID),
		OwnerID: in.optionalID("owner_id", in.OwnerID), ContactID: in.optionalID("contact_id", in.ContactID),
		CompanyID: in.optionalID("company_id", in.CompanyID), Status: in.Status, CloseFrom: in.CloseFrom, CloseTo: in.CloseTo,
		Sort: in.Sort, After: in.After, Limit: in.Limit, WithTotal: in.Total,
	})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, in.Total), nil
}

func (s *server) getDeal(ctx context.Context, in *IDPath) (*dealOut, error) {
	d, err := s.svc.Deals.FindDealByID(ctx, in.ID)
	return &dealOut{d}, err
}

type dealCreateInput struct {
	Idempotency
	Body crm.DealInput
}

func (s *server) createDeal(ctx context.Context, in *dealCreateInput) (*dealOut, error) {
	d, err := s.svc.Deals.CreateDeal(ctx, in.Body)
	return &dealOut{d}, err
}

type dealUpdateInput struct {
	IDPath
	Body crm.DealInput
}

func (s *server) updateDeal(ctx context.Context, in *dealUpdateInput) (*dealOut, error) {
	d, err := s.svc.Deals.UpdateDeal(ctx, in.ID, in.Body)
	return &dealOut{d}, err
}

func (s *server) deleteDeal(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Deals.DeleteDeal(ctx, in.ID)
}

type dealStageInput struct {
	IDPath
	Body crm.DealStageInput
}

func (s *server) moveDeal(ctx context.Context, in *dealStageInput) (*dealOut, error) {
	d, err := s.svc.Deals.MoveDeal(ctx, in.ID, in.Body)
	return &dealOut{d}, err
}

type forecastInput struct {
	request
	PipelineID int64  `query:"pipeline_id" minimum:"1"`
	OwnerID    int64  `query:"owner_id" minimum:"0" doc:"Only deals of this owner; 0 for deals without one."`
	From       string `query:"from" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"First month, YYYY-MM; the current month by default."`
	To         string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"Last month, YYYY-MM; eleven months after from by default."`
}

func (in *forecastInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"pipeline_id", "owner_id", "from", "to"}, false)
}

type forecastOut struct{ Body *crm.Forecast }

func (s *server) dealForecast(ctx context.Context, in *forecastInput) (*forecastOut, error) {
	f, err := s.svc.Deals.Forecast(ctx, crm.ForecastFilter{PipelineID: in.optionalID("pipeline_id", in.PipelineID),
		OwnerID: in.optionalID("owner_id", in.OwnerID), From: in.From, To: in.To})
	return &forecastOut{f}, err
}

type acceptQuoteInput struct {
	Idempotency
	IDPath
}

type acceptedOrderOut struct{ Body *crm.Order }

func (s *server) acceptQuote(ctx context.Context, in *acceptQuoteInput) (*acceptedOrderOut, error) {
	o, err := s.svc.Deals.AcceptQuote(ctx, in.ID)
	return &acceptedOrderOut{o}, err
}
