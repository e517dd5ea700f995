package web

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// The costs page (analytics): every cost with a kind filter, a form to add
// one and a CSV upload. Amounts are typed in major units ("12.50") of the
// cost's currency, like prices on the product form.

type costsPage struct {
	Kind       string
	Kinds      []string
	Rows       []costRow
	Next       string
	Total      string
	Currency   string
	Import     *crm.CostImportReport
	ImportText string
	Rejected   []orderRejectedRow
	Edit       *crm.Cost
}

type costRow struct {
	ID                           int64
	Kind, Key, Date, Amount, Per string
	Note                         string
}

// costsView lists the costs of the kind asked for and prepares the form.
func (s *server) costsView(r *http.Request, vals url.Values) (*view, error) {
	v := s.newView(r, "analytics")
	v.Title = v.L.T("economics.costs.title")
	kind := r.URL.Query().Get("kind")
	if !slices.Contains(crm.CostKinds, kind) {
		kind = ""
	}
	p, err := s.svc.Costs.FindCosts(r.Context(), crm.CostFilter{Kind: kind, Limit: 100, After: r.URL.Query().Get("after")})
	if err != nil {
		return nil, err
	}
	shop, err := s.svc.Facts.ShopSettings(r.Context())
	cur := "USD"
	if err == nil {
		cur = shop.Currency
	}
	page := costsPage{Kind: kind, Kinds: crm.CostKinds, Currency: cur}
	for _, c := range p.Items {
		page.Rows = append(page.Rows, costRowOf(v.L, c))
	}
	if p.Next != "" {
		q := url.Values{"after": {p.Next}}
		if kind != "" {
			q.Set("kind", kind)
		}
		page.Next = "/analytics/costs?" + q.Encode()
	}
	if vals == nil {
		vals = url.Values{"kind": {crm.CostAcquisition}, "currency": {cur}, "per": {"1"}}
	}
	v.Form = newForm(vals)
	v.Data = page
	return v, nil
}

func costRowOf(l *i18n.Locale, c *crm.Cost) costRow {
	row := costRow{ID: c.ID, Kind: l.T("economics.kind." + c.Kind), Key: c.Key, Date: l.Digits(c.Date), Amount: formatMoney(l, c.Amount, c.Currency), Note: c.Note}
	if c.Kind == crm.CostAcquisition {
		row.Date = l.Digits(c.Date[:7])
	} else {
		row.Per = l.T("economics.per."+c.Kind, l.Number(c.Per))
	}
	return row
}

func (s *server) costsList(w http.ResponseWriter, r *http.Request) error {
	v, err := s.costsView(r, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "analytics_costs", v)
}

// costFormInput reads the cost form; the amount is in major units.
func costFormInput(f url.Values) (crm.CostInput, error) {
	in := crm.CostInput{}
	for _, k := range []struct {
		name string
		dst  **string
	}{{"kind", &in.Kind}, {"key", &in.Key}, {"date", &in.Date}, {"currency", &in.Currency}, {"note", &in.Note}} {
		val := f.Get(k.name)
		*k.dst = &val
	}
	var bad crm.Validation
	cur := strings.ToUpper(strings.TrimSpace(f.Get("currency")))
	if amount, ok := parseMoney(f.Get("amount"), cur); ok {
		in.Amount = &amount
	} else {
		bad.Add("amount", "invalid_amount")
	}
	per := int64(1)
	if s := strings.TrimSpace(normalizeDigits(f.Get("per"))); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			bad.Add("per", "invalid_number")
		}
		per = n
	}
	in.Per = &per
	return in, bad.Err()
}

func (s *server) costCreate(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	in, err := costFormInput(r.PostForm)
	if err == nil {
		_, err = s.svc.Costs.CreateCost(r.Context(), in)
	}
	if err != nil {
		v, verr := s.costsView(r, r.PostForm)
		if verr != nil {
			return verr
		}
		return redisplay(err, "analytics_costs", v)
	}
	http.Redirect(w, r, "/analytics/costs?kind="+url.QueryEscape(*in.Kind), http.StatusSeeOther)
	return nil
}

func (s *server) costEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.svc.Costs.FindCostByID(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "analytics")
	v.Title = v.L.T("economics.costs.edit")
	v.Form = newForm(url.Values{"kind": {c.Kind}, "key": {c.Key}, "date": {c.Date}, "amount": {moneyInput(c.Amount, c.Currency)},
		"per": {strconv.FormatInt(c.Per, 10)}, "currency": {c.Currency}, "note": {c.Note}})
	v.Data = costsPage{Kinds: crm.CostKinds, Edit: c}
	return s.ok(w, r, "analytics_cost_edit", v)
}

func (s *server) costUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	in, err := costFormInput(r.PostForm)
	if err == nil {
		_, err = s.svc.Costs.UpdateCost(r.Context(), id, in)
	}
	if err != nil {
		c, ferr := s.svc.Costs.FindCostByID(r.Context(), id)
		if ferr != nil {
			return ferr
		}
		v := s.newView(r, "analytics")
		v.Title = v.L.T("economics.costs.edit")
		v.Form = newForm(r.PostForm)
		v.Data = costsPage{Kinds: crm.CostKinds, Edit: c}
		return redisplay(err, "analytics_cost_edit", v)
	}
	http.Redirect(w, r, "/analytics/costs?kind="+url.QueryEscape(*in.Kind), http.StatusSeeOther)
	return nil
}

func (s *server) costDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Costs.DeleteCost(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/analytics/costs", http.StatusSeeOther)
	return nil
}

// costImport runs the CSV upload (or pasted text) and shows its report
// above the list.
func (s *server) costImport(w http.ResponseWriter, r *http.Request) error {
	var body io.Reader = strings.NewReader(r.PostFormValue("content"))
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		body = file
	} else if strings.TrimSpace(r.PostFormValue("content")) == "" {
		var bad crm.Validation
		bad.Add("file", "required")
		v, verr := s.costsView(r, nil)
		if verr != nil {
			return verr
		}
		return redisplay(bad.Err(), "analytics_costs", v)
	}
	rep, err := s.svc.Costs.ImportCosts(r.Context(), body, crm.CostImportOptions{DryRun: r.PostFormValue("dry_run") != "",
		MinorUnits: r.PostFormValue("minor_units") != ""})
	if err != nil {
		v, verr := s.costsView(r, nil)
		if verr != nil {
			return verr
		}
		return redisplay(err, "analytics_costs", v)
	}
	v, err := s.costsView(r, nil)
	if err != nil {
		return err
	}
	p := v.Data.(costsPage)
	p.Import = rep
	p.ImportText = v.L.T("economics.import.done", v.L.Number(int64(rep.FileLines)), v.L.Number(int64(rep.Created)), v.L.Number(int64(rep.Updated)), v.L.Number(int64(rep.Unchanged)))
	for _, x := range rep.Rejected {
		p.Rejected = append(p.Rejected, orderRejectedRow{Line: v.L.Number(int64(x.Line)), Field: x.Field, Reason: rejectedReason(v.L, x)})
	}
	v.Data = p
	return s.ok(w, r, "analytics_costs", v)
}
