package api

import (
	"context"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type orderOut struct{ Body *crm.Order }

type orderListInput struct {
	request
	Q            string    `query:"q" maxLength:"200" doc:"An order id, the shop's external id or the customer's email."`
	ContactID    int64     `query:"contact_id" minimum:"1"`
	DealID       int64     `query:"deal_id" minimum:"1"`
	Status       string    `query:"status" doc:"pending, paid, shipped, delivered, cancelled, returned or refunded."`
	Channel      string    `query:"channel" doc:"web, phone, partner or store."`
	PlacedAfter  time.Time `query:"placed_after" doc:"RFC 3339; inclusive."`
	PlacedBefore time.Time `query:"placed_before" doc:"RFC 3339; exclusive."`
	Sort         string    `query:"sort" doc:"placed_at, total or status; prefix - for descending. Default -placed_at."`
	Paging
}

var orderParams = []string{"q", "contact_id", "deal_id", "status", "channel", "placed_after", "placed_before", "sort", "limit", "after"}

func (in *orderListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams(orderParams, false)
}

func (s *server) listOrders(ctx context.Context, in *orderListInput) (*listOutput[*crm.Order], error) {
	if err := checkSort(in.Sort, crm.OrderSorts); err != nil {
		return nil, err
	}
	if in.Status != "" && !slices.Contains(crm.OrderStatuses, in.Status) {
		return nil, invalid("query.status", "invalid_choice")
	}
	if in.Channel != "" && !slices.Contains(crm.Channels, in.Channel) {
		return nil, invalid("query.channel", "invalid_choice")
	}
	f := crm.OrderFilter{Query: in.Q, ContactID: in.optionalID("contact_id", in.ContactID), DealID: in.optionalID("deal_id", in.DealID),
		Status: in.Status, Channel: in.Channel, Sort: in.Sort, After: in.After, Limit: in.Limit}
	if !in.PlacedAfter.IsZero() {
		f.PlacedAfter = &in.PlacedAfter
	}
	if !in.PlacedBefore.IsZero() {
		f.PlacedBefore = &in.PlacedBefore
	}
	p, err := s.svc.Orders.FindOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

func (s *server) getOrder(ctx context.Context, in *IDPath) (*orderOut, error) {
	o, err := s.svc.Orders.FindOrderByID(ctx, in.ID)
	return &orderOut{o}, err
}

type orderCreateInput struct {
	Idempotency
	Body crm.OrderInput
}

func (s *server) createOrder(ctx context.Context, in *orderCreateInput) (*orderOut, error) {
	o, err := s.svc.Orders.CreateOrder(ctx, in.Body)
	return &orderOut{o}, err
}

type orderStatusInput struct {
	IDPath
	Idempotency
	Body crm.OrderStatusInput
}

func (s *server) setOrderStatus(ctx context.Context, in *orderStatusInput) (*orderOut, error) {
	o, err := s.svc.Orders.SetOrderStatus(ctx, in.ID, in.Body)
	return &orderOut{o}, err
}

type factsOut struct{ Body *crm.CustomerFacts }

func (s *server) contactFacts(ctx context.Context, in *IDPath) (*factsOut, error) {
	f, err := s.svc.Facts.FindCustomerFacts(ctx, in.ID)
	return &factsOut{f}, err
}

type shopSettingsOut struct{ Body *crm.ShopSettings }

func (s *server) getShopSettings(ctx context.Context, _ *struct{}) (*shopSettingsOut, error) {
	st, err := s.svc.Facts.ShopSettings(ctx)
	return &shopSettingsOut{st}, err
}

type shopSettingsInput struct {
	Body crm.ShopSettings
}

func (s *server) updateShopSettings(ctx context.Context, in *shopSettingsInput) (*shopSettingsOut, error) {
	st, err := s.svc.Facts.UpdateShopSettings(ctx, in.Body)
	return &shopSettingsOut{st}, err
}
