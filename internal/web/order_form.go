package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// orderLineRows is how many line rows the console's order form offers.
const orderLineRows = 6

// orderFormPage is the form staff use for phone and in-store orders. Line
// options are written "size=XL; engraving=Sara".
type orderFormPage struct {
	Contact *crm.Contact // when ordering from a contact's page
	Rows    []int
}

func (s *server) orderFormView(r *http.Request, vals url.Values) (*view, error) {
	v := s.newView(r, "orders")
	v.Title = v.L.T("commerce.order.new")
	fp := orderFormPage{}
	for i := range orderLineRows {
		fp.Rows = append(fp.Rows, i)
	}
	if id, err := strconv.ParseInt(vals.Get("contact_id"), 10, 64); err == nil && id > 0 {
		c, err := s.svc.Contacts.FindContactByID(r.Context(), id)
		if err != nil {
			return nil, err
		}
		fp.Contact = c
	}
	v.Form = newForm(vals)
	v.Data = fp
	return v, nil
}

func (s *server) orderNew(w http.ResponseWriter, r *http.Request) error {
	st, err := s.svc.Facts.ShopSettings(r.Context())
	if err != nil {
		return err
	}
	vals := url.Values{"currency": {st.Currency}, "channel": {"phone"}, "contact_id": {r.URL.Query().Get("contact_id")}}
	v, err := s.orderFormView(r, vals)
	if err != nil {
		return err
	}
	return s.ok(w, r, "order_form", v)
}

// orderInput reads the order form: a contact id or an email, and the line
// rows that have a SKU.
func orderInput(f url.Values, cur string) (crm.OrderInput, error) {
	var v crm.Validation
	str := func(k string) *string {
		s := strings.TrimSpace(f.Get(k))
		if s == "" {
			return nil
		}
		return &s
	}
	in := crm.OrderInput{Email: str("email"), FirstName: str("first_name"), LastName: str("last_name"), Currency: str("currency"),
		Channel: str("channel"), Status: str("status"), ExternalID: str("external_id"), Note: str("note")}
	if id, err := strconv.ParseInt(f.Get("contact_id"), 10, 64); err == nil && id > 0 {
		in.ContactID = &id
		in.Email = nil
	}
	if d := strings.TrimSpace(f.Get("discount")); d != "" {
		amt, ok := parseMoney(d, cur)
		if !ok {
			v.Add("discount", "invalid_amount")
		}
		in.Discount = &amt
	}
	skus, qtys, opts := f["sku"], f["quantity"], f["options"]
	for i := range skus {
		sku := strings.TrimSpace(skus[i])
		if sku == "" {
			continue
		}
		li := crm.OrderLineInput{SKU: sku, Quantity: 1}
		if i < len(qtys) && strings.TrimSpace(qtys[i]) != "" {
			n, ok := parseCount(qtys[i])
			if !ok {
				v.Add("lines["+strconv.Itoa(len(in.Lines))+"].quantity", "out_of_range")
			}
			li.Quantity = n
		}
		if i < len(opts) && strings.TrimSpace(opts[i]) != "" {
			li.Options = map[string]string{}
			for _, kv := range strings.Split(opts[i], ";") {
				k, val, _ := strings.Cut(kv, "=")
				if k = strings.TrimSpace(k); k != "" {
					li.Options[k] = strings.TrimSpace(val)
				}
			}
		}
		in.Lines = append(in.Lines, li)
	}
	return in, v.Err()
}

func (s *server) orderCreate(w http.ResponseWriter, r *http.Request) error {
	v, err := s.orderFormView(r, r.PostForm)
	if err != nil {
		return err
	}
	cur, _ := crm.NormalizeCurrency(r.PostForm.Get("currency"))
	in, err := orderInput(r.PostForm, cur)
	if err != nil {
		return redisplay(err, "order_form", v)
	}
	o, err := s.svc.Orders.CreateOrder(r.Context(), in)
	if err != nil {
		return redisplay(err, "order_form", v)
	}
	http.Redirect(w, r, "/orders/"+strconv.FormatInt(o.ID, 10), http.StatusSeeOther)
	return nil
}
