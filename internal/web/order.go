package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// orderListPage is the order list with its filters.
type orderListPage struct {
	Q, Status, Channel, Sort string
	ContactID                string
	Orders                   []*crm.Order
	Next, After              string
}

func (p orderListPage) query(after string) template.URL {
	v := url.Values{}
	for k, val := range map[string]string{"q": p.Q, "status": p.Status, "channel": p.Channel, "contact_id": p.ContactID, "sort": p.Sort, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return template.URL(v.Encode())
}

// NextQuery is the query of the following page.
func (p orderListPage) NextQuery() template.URL { return p.query(p.Next) }

// SortQuery sorts by col, flipping the direction when it already does.
func (p orderListPage) SortQuery(col string) template.URL {
	q := p
	q.Sort = "-" + col
	if p.Sort == "-"+col || (col == "placed_at" && p.Sort == "") {
		q.Sort = col
	}
	return q.query("")
}

func (s *server) orderList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lp := orderListPage{Q: strings.TrimSpace(q.Get("q")), After: q.Get("after")}
	if st := q.Get("status"); slices.Contains(crm.OrderStatuses, st) {
		lp.Status = st
	}
	if ch := q.Get("channel"); slices.Contains(crm.Channels, ch) {
		lp.Channel = ch
	}
	if so := q.Get("sort"); containsSort(crm.OrderSorts, so) {
		lp.Sort = so
	}
	f := crm.OrderFilter{Query: lp.Q, Status: lp.Status, Channel: lp.Channel, Sort: lp.Sort, After: lp.After, Limit: 50}
	if id, err := strconv.ParseInt(q.Get("contact_id"), 10, 64); err == nil && id > 0 {
		lp.ContactID, f.ContactID = strconv.FormatInt(id, 10), &id
	}
	page, err := s.svc.Orders.FindOrders(r.Context(), f)
	if err != nil {
		return err
	}
	lp.Orders, lp.Next = page.Items, page.Next
	v := s.newView(r, "orders")
	v.Title = v.L.T("commerce.orders.title")
	v.Data = lp
	if isHTMX(r) && r.Header.Get("HX-Target") == "results" {
		s.renderFragment(w, r, http.StatusOK, "orders", "results", v)
		return nil
	}
	return s.ok(w, r, "orders", v)
}

// orderPage is one order: lines, totals, tracking history and the next steps.
type orderPage struct {
	Order *crm.Order
	Next  []string
}

func (s *server) orderShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := s.svc.Orders.FindOrderByID(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "orders")
	v.Title = v.L.T("commerce.order.title", o.ID)
	v.Data = orderPage{Order: o, Next: crm.NextStatuses(o.Status)}
	return s.ok(w, r, "order", v)
}

func (s *server) orderStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := crm.OrderStatusInput{Status: f.Get("status"), Note: f.Get("note"), Carrier: f.Get("carrier"), TrackingNumber: f.Get("tracking_number")}
	if _, err := s.svc.Orders.SetOrderStatus(r.Context(), id, in); err != nil {
		o, ferr := s.svc.Orders.FindOrderByID(r.Context(), id)
		if ferr != nil {
			return ferr
		}
		v := s.newView(r, "orders")
		v.Title = v.L.T("commerce.order.title", o.ID)
		v.Data, v.Form = orderPage{Order: o, Next: crm.NextStatuses(o.Status)}, newForm(f)
		return redisplay(err, "order", v)
	}
	http.Redirect(w, r, "/orders/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
