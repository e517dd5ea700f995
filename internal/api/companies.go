package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type companyOut struct{ Body *crm.Company }

type companyListInput struct {
	request
	Q        string   `query:"q" maxLength:"200" doc:"Search in names and domains."`
	Tag      []string `query:"tag,explode" doc:"Only companies with this tag; repeat for all of several tags."`
	OwnerID  int64    `query:"owner_id" minimum:"0" doc:"Only companies of this owner; 0 for companies without one."`
	Country  string   `query:"country" maxLength:"2"`
	Industry string   `query:"industry" maxLength:"200"`
	Sort     string   `query:"sort" doc:"name, domain, country, created_at or updated_at; prefix - for descending."`
	Total    bool     `query:"total" doc:"Also count all matching companies."`
	Paging
	custom []crm.CustomFilter
}

var companyParams = []string{"q", "tag", "owner_id", "country", "industry", "sort", "total", "limit", "after"}

func (in *companyListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	errs := in.checkParams(companyParams, true)
	custom, cerrs := in.customFilters()
	in.custom = custom
	return append(errs, cerrs...)
}

func (s *server) listCompanies(ctx context.Context, in *companyListInput) (*listOutput[*crm.Company], error) {
	if err := checkSort(in.Sort, crm.CompanySorts); err != nil {
		return nil, err
	}
	p, err := s.svc.Companies.FindCompanies(ctx, crm.CompanyFilter{
		Query: in.Q, Tags: in.Tag, OwnerID: in.optionalID("owner_id", in.OwnerID), Country: in.Country, Industry: in.Industry,
		Custom: in.custom, Sort: in.Sort, After: in.After, Limit: in.Limit, WithTotal: in.Total,
	})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, in.Total), nil
}

func (s *server) getCompany(ctx context.Context, in *IDPath) (*companyOut, error) {
	c, err := s.svc.Companies.FindCompanyByID(ctx, in.ID)
	return &companyOut{c}, err
}

type companyCreateInput struct {
	Idempotency
	Body crm.CompanyInput
}

func (s *server) createCompany(ctx context.Context, in *companyCreateInput) (*companyOut, error) {
	c, err := s.svc.Companies.CreateCompany(ctx, in.Body)
	return &companyOut{c}, err
}

type companyUpdateInput struct {
	IDPath
	Body crm.CompanyInput
}

func (s *server) updateCompany(ctx context.Context, in *companyUpdateInput) (*companyOut, error) {
	c, err := s.svc.Companies.UpdateCompany(ctx, in.ID, in.Body)
	return &companyOut{c}, err
}

func (s *server) deleteCompany(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Companies.DeleteCompany(ctx, in.ID)
}
