package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type productOut struct{ Body *crm.Product }

type productListInput struct {
	request
	Q        string   `query:"q" maxLength:"200" doc:"Search in SKUs, names (every language) and categories."`
	Category string   `query:"category" maxLength:"200"`
	Active   bool     `query:"active" doc:"Only active (true) or inactive (false) products."`
	LowStock bool     `query:"low_stock" doc:"Only products whose available stock is at or below their low_stock threshold."`
	SKU      []string `query:"sku,explode" doc:"Only these SKUs; repeat for several."`
	Sort     string   `query:"sort" doc:"name, sku, price, available or created_at; prefix - for descending."`
	Paging
}

var productParams = []string{"q", "category", "active", "low_stock", "sku", "sort", "limit", "after"}

func (in *productListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams(productParams, false)
}

func (s *server) listProducts(ctx context.Context, in *productListInput) (*listOutput[*crm.Product], error) {
	if err := checkSort(in.Sort, crm.ProductSorts); err != nil {
		return nil, err
	}
	if len(in.SKU) > 100 {
		return nil, invalid("query.sku", "too_many", 100)
	}
	f := crm.ProductFilter{Query: in.Q, Category: in.Category, LowStock: in.LowStock, SKUs: in.SKU, Sort: in.Sort, After: in.After, Limit: in.Limit}
	if in.url.Query().Has("active") {
		f.Active = &in.Active
	}
	p, err := s.svc.Products.FindProducts(ctx, f)
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

func (s *server) getProduct(ctx context.Context, in *IDPath) (*productOut, error) {
	p, err := s.svc.Products.FindProductByID(ctx, in.ID)
	return &productOut{p}, err
}

type productCreateInput struct {
	Idempotency
	Body crm.ProductInput
}

func (s *server) createProduct(ctx context.Context, in *productCreateInput) (*productOut, error) {
	p, err := s.svc.Products.CreateProduct(ctx, in.Body)
	return &productOut{p}, err
}

type productUpdateInput struct {
	IDPath
	Body crm.ProductInput
}

func (s *server) updateProduct(ctx context.Context, in *productUpdateInput) (*productOut, error) {
	p, err := s.svc.Products.UpdateProduct(ctx, in.ID, in.Body)
	return &productOut{p}, err
}

func (s *server) deleteProduct(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Products.DeleteProduct(ctx, in.ID)
}
