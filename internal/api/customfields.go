package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type customFieldOut struct{ Body *crm.CustomField }

type customFieldListInput struct {
	request
	Entity string `query:"entity" enum:"contact,company" doc:"Only the fields of contacts or of companies; both when absent."`
}

func (in *customFieldListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"entity"}, false)
}

func (s *server) listCustomFields(ctx context.Context, in *customFieldListInput) (*items[*crm.CustomField], error) {
	list, err := s.svc.CustomFields.FindCustomFields(ctx, in.Entity)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

func (s *server) getCustomField(ctx context.Context, in *IDPath) (*customFieldOut, error) {
	f, err := s.svc.CustomFields.FindCustomFieldByID(ctx, in.ID)
	return &customFieldOut{f}, err
}

type customFieldCreateInput struct {
	Idempotency
	Body crm.CustomFieldInput
}

func (s *server) createCustomField(ctx context.Context, in *customFieldCreateInput) (*customFieldOut, error) {
	f, err := s.svc.CustomFields.CreateCustomField(ctx, in.Body)
	return &customFieldOut{f}, err
}

type customFieldUpdateInput struct {
	IDPath
	Body crm.CustomFieldInput
}

func (s *server) updateCustomField(ctx context.Context, in *customFieldUpdateInput) (*customFieldOut, error) {
	f, err := s.svc.CustomFields.UpdateCustomField(ctx, in.ID, in.Body)
	return &customFieldOut{f}, err
}

func (s *server) deleteCustomField(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.CustomFields.DeleteCustomField(ctx, in.ID)
}
