package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// purchaseFilters are the choices of the contact list's purchases filter:
// never bought, bought exactly once (the 65 % who never come back) and
// bought two or more times.
var purchaseFilters = []string{"none", "once", "repeat"}

// readFacts reads the purchase-fact filters of a contact list, keeping only
// well-formed values so they never reach the store as anything else.
func (p *listParams) readFacts(q url.Values) {
	if v := q.Get("purchases"); slices.Contains(purchaseFilters, v) {
		p.Purchases = v
	}
	if v := strings.TrimSpace(q.Get("spent_min")); v != "" {
		if _, ok := parseMoney(v, "USD"); ok {
			p.SpentMin = v
		}
	}
	if n, ok := parseCount(q.Get("idle_days")); ok && n > 0 && n < 100000 {
		p.IdleDays = strconv.FormatInt(n, 10)
	}
}

// factsFilter turns the purchase-fact filters into the contact filter.
func (p listParams) factsFilter(f *crm.ContactFilter) {
	one, two, zero := 1, 2, 0
	switch p.Purchases {
	case "none":
		f.OrdersMax = &zero
	case "once":
		f.OrdersMin, f.OrdersMax = &one, &one
	case "repeat":
		f.OrdersMin = &two
	}
	if p.SpentMin != "" {
		if v, ok := parseMoneyDigits(p.SpentMin, p.Digits); ok {
			f.SpentMin = &v
		}
	}
	if p.IdleDays != "" {
		n, _ := strconv.Atoi(p.IdleDays)
		t := time.Now().AddDate(0, 0, -n)
		f.LastOrderBefore = &t
	}
}

// parseMoneyDigits is parseMoney for a currency known only by its digits.
func parseMoneyDigits(s string, digits int) (int64, bool) {
	code := map[int]string{0: "JPY", 3: "KWD"}[digits]
	if code == "" {
		code = "USD"
	}
	return parseMoney(s, code)
}

// shopDigits is the number of minor-unit digits of the shop currency, for
// reading amounts typed into list filters.
func (s *server) shopDigits(r *http.Request) int {
	st, err := s.svc.Facts.ShopSettings(r.Context())
	if err != nil {
		return 2
	}
	return crm.CurrencyDigits(st.Currency)
}
