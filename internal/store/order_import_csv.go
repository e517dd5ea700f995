package store

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
)

// OrderFields are the fields of a generic order CSV, and the header
// names each is found under by default (compared case-insensitively,
// ignoring spaces, dashes and underscores).
var OrderFields = map[string][]string{
	"order_id":    {"orderid", "order", "ordernumber", "orderno", "externalid", "id"},
	"email":       {"email", "customeremail", "mail"},
	"customer_id": {"customerid", "customer", "customerno", "customernumber", "clientid"},
	"date":        {"date", "orderdate", "placedat", "created", "createdat"},
	"sku":         {"sku", "productsku", "itemsku", "code"},
	"name":        {"name", "product", "productname", "item", "description"},
	"quantity":    {"quantity", "qty", "count"},
	"unit_price":  {"unitprice", "price", "itemprice"},
	"currency":    {"currency", "curr"},
	"status":      {"status", "orderstatus"},
	"channel":     {"channel"},
}

// OrderFieldNames lists OrderFields in the order the documentation uses.
var OrderFieldNames = []string{"order_id", "email", "customer_id", "date", "sku", "name", "quantity", "unit_price", "currency", "status", "channel"}

func headerKey(h string) string {
	return strings.NewReplacer(" ", "", "-", "", "_", "", ".", "").Replace(strings.ToLower(strings.TrimSpace(h)))
}

// orderPlan maps columns to fields: mapping (field → header) first, then
// the default names for the fields mapping leaves out.
func orderPlan(header []string, mapping map[string]string) ([]string, error) {
	plan := make([]string, len(header))
	taken := map[string]bool{}
	for field, h := range mapping {
		if !slices.Contains(OrderFieldNames, field) {
			return nil, crm.Errorf(crm.EINVALID, "unknown order field %q in the mapping (fields: %s)", field, strings.Join(OrderFieldNames, ", "))
		}
		i := slices.IndexFunc(header, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(h)) })
		if i < 0 {
			return nil, crm.Errorf(crm.EINVALID, "the file has no column %q (for %s)", h, field)
		}
		plan[i], taken[field] = field, true
	}
	for _, field := range OrderFieldNames {
		if taken[field] {
			continue
		}
		for i, h := range header {
			if plan[i] == "" && slices.Contains(OrderFields[field], headerKey(h)) {
				plan[i], taken[field] = field, true
				break
			}
		}
	}
	var missing []string
	for _, f := range []string{"order_id", "date", "sku", "quantity", "unit_price"} {
		if !taken[f] {
			missing = append(missing, f)
		}
	}
	if !taken["email"] && !taken["customer_id"] {
		missing = append(missing, "email or customer_id")
	}
	if len(missing) > 0 {
		return nil, crm.Errorf(crm.EINVALID, "no column for %s: name it in the header or map it (--map field=Header)", strings.Join(missing, ", "))
	}
	return plan, nil
}

// csvOrders reads a generic order CSV. Rows with the same order id become
// the lines of one order; an order with a bad row is rejected whole. The
// file is read into memory first, since an order's rows need not be
// adjacent (shop exports are a few hundred thousand rows at most).
func csvOrders(r io.Reader, opts crm.OrderFileOptions) ([]crm.HistoricalOrder, []crm.RejectedLine, error) {
	cr, err := csvx.NewReader(r, opts.Encoding)
	if err != nil {
		return nil, nil, crm.Errorf(crm.EINVALID, "%v", err)
	}
	header, _, err := cr.Read()
	if err == io.EOF {
		return nil, nil, crm.Errorf(crm.EINVALID, "the file is empty")
	}
	if err != nil {
		return nil, nil, crm.Errorf(crm.EINVALID, "cannot read the header: %v", err)
	}
	plan, err := orderPlan(header, opts.Mapping)
	if err != nil {
		return nil, nil, err
	}
	var bad []crm.RejectedLine
	var orders []crm.HistoricalOrder
	index := map[string]int{}   // order id → index in orders
	broken := map[string]bool{} // order ids with a rejected row
	for {
		rec, line, err := cr.Read()
		if err == io.EOF {
			break
		}
		var le *csvx.LineError
		if errors.As(err, &le) {
			bad = append(bad, crm.RejectedLine{Line: le.Line, Reason: rejectLineReason(le), Key: le.Key})
			if le.Fatal() {
				break
			}
			continue
		}
		if err != nil {
			return nil, bad, err
		}
		row := map[string]string{}
		for i, v := range rec {
			if i < len(plan) && plan[i] != "" {
				row[plan[i]] = csvx.Unneutralize(strings.TrimSpace(v))
			}
		}
		o, l, rej := csvRow(row, line, opts)
		id := row["order_id"]
		if len(rej) > 0 {
			bad = append(bad, rej...)
			if id != "" {
				broken[id] = true
			}
			continue
		}
		if i, ok := index[id]; ok {
			orders[i].Lines = append(orders[i].Lines, l)
			continue
		}
		index[id] = len(orders)
		o.Lines = []crm.HistoricalLine{l}
		orders = append(orders, o)
	}
	kept := orders[:0]
	for _, o := range orders {
		if broken[o.ExternalID] {
			for _, l := range o.Lines {
				bad = append(bad, crm.RejectedLine{Line: l.Line, Field: "order_id", Reason: rejectReason("order_line_rejected", nil), Key: "order_line_rejected"})
			}
			continue
		}
		kept = append(kept, o)
	}
	return kept, bad, nil
}

// csvRow checks one row; every problem is reported with the field.
func csvRow(row map[string]string, line int, opts crm.OrderFileOptions) (crm.HistoricalOrder, crm.HistoricalLine, []crm.RejectedLine) {
	var rej []crm.RejectedLine
	fail := func(field, key string, args ...any) {
		rej = append(rej, crm.RejectedLine{Line: line, Field: field, Reason: rejectReason(key, args), Key: key, Args: args})
	}
	o := crm.HistoricalOrder{Line: line, ExternalID: row["order_id"], Email: row["email"], CustomerID: row["customer_id"],
		CustomerSource: opts.CustomerSource, Status: strings.ToLower(row["status"]), Channel: strings.ToLower(row["channel"])}
	if o.ExternalID == "" {
		fail("order_id", "required")
	}
	if o.Email == "" && o.CustomerID == "" {
		fail("customer", "missing_customer")
	} else if o.Email != "" {
		if e, ok := crm.NormalizeEmail(o.Email); ok {
			o.Email = e
		} else {
			fail("email", "invalid_email")
		}
	}
	at, ok := parseOrderDate(row["date"])
	if !ok {
		fail("date", "invalid_date")
	}
	o.PlacedAt = at
	cur := row["currency"]
	if cur == "" {
		cur = opts.Currency
	}
	if c, ok := crm.NormalizeCurrency(cur); ok {
		o.Currency = c
	} else {
		fail("currency", "invalid_currency")
	}
	if o.Status != "" && !slices.Contains(crm.OrderStatuses, o.Status) {
		fail("status", "invalid_choice")
	}
	if o.Channel != "" && !slices.Contains(crm.Channels, o.Channel) {
		fail("channel", "invalid_choice")
	}
	l := crm.HistoricalLine{Line: line, SKU: row["sku"], Name: row["name"]}
	if l.SKU == "" || len(l.SKU) > 64 {
		fail("sku", "invalid_sku")
	}
	q, err := strconv.ParseInt(strings.TrimSpace(row["quantity"]), 10, 64)
	if err != nil || q <= 0 || q > 1e6 {
		fail("quantity", "positive_quantity")
	}
	l.Quantity = q
	var price int64
	if opts.MinorUnits {
		price, err = strconv.ParseInt(strings.TrimSpace(row["unit_price"]), 10, 64)
		ok = err == nil
	} else {
		price, ok = parseMinor(row["unit_price"], crm.CurrencyDigits(o.Currency))
	}
	if !ok || price < 0 || price > crm.MaxHistoricalAmount {
		fail("unit_price", "invalid_amount")
	}
	l.UnitPrice = price
	if len(rej) == 0 {
		if l.Total = q * price; q != 0 && l.Total/q != price || l.Total > crm.MaxHistoricalAmount {
			fail("unit_price", "amount_too_large")
		}
	}
	return o, l, rej
}
