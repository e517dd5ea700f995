package api

import (
	"context"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type stockListInput struct {
	request
	ProductID int64  `query:"product_id" minimum:"1"`
	Location  string `query:"location" maxLength:"40"`
	Low       bool   `query:"low" doc:"Only levels at or below the product's low-stock threshold."`
	Paging
}

func (in *stockListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"product_id", "location", "low", "limit", "after"}, false)
}

func (s *server) listStock(ctx context.Context, in *stockListInput) (*listOutput[*crm.StockLevel], error) {
	p, err := s.svc.Inventory.FindStockLevels(ctx, crm.StockFilter{ProductID: in.optionalID("product_id", in.ProductID),
		Location: in.Location, LowOnly: in.Low, After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

type movementListInput struct {
	request
	ProductID int64  `query:"product_id" minimum:"1"`
	OrderID   int64  `query:"order_id" minimum:"1"`
	Kind      string `query:"kind" doc:"receipt, adjustment, reservation, sale, cancellation or return."`
	Paging
}

func (in *movementListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"product_id", "order_id", "kind", "limit", "after"}, false)
}

func (s *server) listMovements(ctx context.Context, in *movementListInput) (*listOutput[*crm.StockMovement], error) {
	if in.Kind != "" && !slices.Contains(crm.MovementKinds, in.Kind) {
		return nil, invalid("query.kind", "invalid_choice")
	}
	p, err := s.svc.Inventory.FindMovements(ctx, crm.MovementFilter{ProductID: in.optionalID("product_id", in.ProductID),
		OrderID: in.optionalID("order_id", in.OrderID), Kind: in.Kind, After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

type movementCreateInput struct {
	Idempotency
	Body crm.MovementInput
}

type movementOut struct{ Body *crm.StockMovement }

func (s *server) createMovement(ctx context.Context, in *movementCreateInput) (*movementOut, error) {
	m, err := s.svc.Inventory.CreateMovement(ctx, in.Body)
	return &movementOut{m}, err
}
