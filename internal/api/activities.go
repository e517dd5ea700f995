package api

import (
	"context"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type activityOut struct{ Body *crm.Activity }

type activityListInput struct {
	request
	ContactID int64  `query:"contact_id" minimum:"1"`
	CompanyID int64  `query:"company_id" minimum:"1" doc:"A company's timeline, including its contacts' entries."`
	Kind      string `query:"kind" doc:"note, call, meeting or email."`
	Paging
}

func (in *activityListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"contact_id", "company_id", "kind", "limit", "after"}, false)
}

func (s *server) listActivities(ctx context.Context, in *activityListInput) (*listOutput[*crm.Activity], error) {
	if in.Kind != "" && !slices.Contains(crm.ActivityKinds, in.Kind) {
		return nil, invalid("query.kind", "invalid_choice")
	}
	p, err := s.svc.Activities.FindActivities(ctx, crm.ActivityFilter{
		ContactID: in.optionalID("contact_id", in.ContactID), CompanyID: in.optionalID("company_id", in.CompanyID),
		Kind: in.Kind, After: in.After, Limit: in.Limit,
	})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

func (s *server) getActivity(ctx context.Context, in *IDPath) (*activityOut, error) {
	a, err := s.svc.Activities.FindActivityByID(ctx, in.ID)
	return &activityOut{a}, err
}

type activityCreateInput struct {
	Idempotency
	Body crm.ActivityInput
}

func (s *server) createActivity(ctx context.Context, in *activityCreateInput) (*activityOut, error) {
	a, err := s.svc.Activities.CreateActivity(ctx, in.Body)
	return &activityOut{a}, err
}

type activityUpdateInput struct {
	IDPath
	Body crm.ActivityInput
}

func (s *server) updateActivity(ctx context.Context, in *activityUpdateInput) (*activityOut, error) {
	a, err := s.svc.Activities.UpdateActivity(ctx, in.ID, in.Body)
	return &activityOut{a}, err
}

func (s *server) deleteActivity(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Activities.DeleteActivity(ctx, in.ID)
}
