package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

type quotePage struct {
	dealFmt
	Q         *crm.Quote
	Contact   *crm.Contact
	Company   *crm.Company
	CanAccept bool
}

// TaxRate writes a rate in basis points as a percentage: "20%", "۹٪".
func (p quotePage) TaxRate(bp int) string {
	s := p.L.Decimal(float64(bp)/100, 0)
	if bp%100 != 0 {
		s = p.L.Decimal(float64(bp)/100, 2)
	}
	if p.L.Lang() == "fa" {
		return s + "٪"
	}
	return s + "%"
}

func (s *server) quoteView(r *http.Request, d *crm.Deal) *view {
	ctx, a := r.Context(), stateOf(r).actor
	v := s.newView(r, "deals")
	v.Title = v.L.T("deals.quote.number", d.Title)
	p := quotePage{dealFmt: s.dealFmt(r), Q: crm.NewQuote(d, s.now().UTC().Truncate(24*time.Hour))}
	p.CanAccept = d.Status == crm.DealOpen && len(d.Lines) > 0 && a.Can(crm.P(crm.ResDeals, crm.Write)) && a.Can(crm.P(crm.ResOrders, crm.Write))
	// The customer's address is a courtesy: a reader who may not see the
	// contact still sees the quote.
	if d.ContactID != nil && a.Can(crm.P(crm.ResContacts, crm.Read)) {
		p.Contact, _ = s.svc.Contacts.FindContactByID(ctx, *d.ContactID)
	}
	if d.CompanyID != nil && a.Can(crm.P(crm.ResCompanies, crm.Read)) {
		p.Company, _ = s.svc.Companies.FindCompanyByID(ctx, *d.CompanyID)
	}
	v.Data = p
	return v
}

func (s *server) dealQuote(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pathDeal(r)
	if err != nil {
		return err
	}
	return s.ok(w, r, "quote", s.quoteView(r, d))
}

// dealAcceptQuote turns the quote into an order. A refusal (out of stock,
// no contact) shows the quote again with what went wrong, per line.
func (s *server) dealAcceptQuote(w http.ResponseWriter, r *http.Request) error {
	d, err := s.pathDeal(r)
	if err != nil {
		return err
	}
	o, err := s.svc.Deals.AcceptQuote(r.Context(), d.ID)
	if err != nil {
		v := s.quoteView(r, d)
		err = redisplay(err, "quote", v)
		v.Form.All = append([]string{v.L.T("deals.quote.refused")}, lineMessages(v, d, err)...)
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/deals/%d?order=%d", d.ID, o.ID), http.StatusSeeOther)
	return nil
}

// lineMessages names the line (by SKU) of each field error of a refusal.
func lineMessages(v *view, d *crm.Deal, err error) []string {
	var out []string
	for _, fe := range crm.FieldErrors(err) {
		msg := fieldError(v.L, fe)
		if rest, ok := strings.CutPrefix(fe.Field, "lines["); ok {
			if i, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, ']'), 0)]); err == nil && i < len(d.Lines) {
				msg = d.Lines[i].SKU + ": " + msg
			}
		}
		out = append(out, msg)
	}
	if len(out) == 0 {
		out = append(out, v.L.T("code."+crm.ErrorCode(err)))
	}
	return out
}
