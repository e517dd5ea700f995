package web

import (
	"net/http"

	"github.com/ecrm/ecrm/internal/crm"
)

// purchaseBlock is the purchases part of a contact's 360° page: their
// purchase facts and latest orders. Shown is false for viewers who may not
// read orders.
type purchaseBlock struct {
	Shown     bool
	ContactID int64
	Facts     *crm.CustomerFacts
	Orders    []*crm.Order
	More      bool
}

func (s *server) purchaseSection(r *http.Request, contactID int64) (purchaseBlock, error) {
	pb := purchaseBlock{ContactID: contactID}
	if !stateOf(r).actor.Can(crm.P(crm.ResOrders, crm.Read)) {
		return pb, nil
	}
	f, err := s.svc.Facts.FindCustomerFacts(r.Context(), contactID)
	if err != nil {
		return pb, err
	}
	page, err := s.svc.Orders.FindOrders(r.Context(), crm.OrderFilter{ContactID: &contactID, Limit: 5})
	if err != nil {
		return pb, err
	}
	pb.Shown, pb.Facts, pb.Orders, pb.More = true, f, page.Items, page.Next != ""
	return pb, nil
}
