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
	"order_id":    {"orderid", "order", "ordernumber", "orderno", "externalid", "id", "invoiceno", "invoice", "invoicenumber", "invoiceid"},
	"email":       {"email", "customeremail", "mail"},
	"customer_id": {"customerid", "customer", "customerno", "customernumber", "clientid"},
	"date":        {"date", "orderdate", "placedat", "created", "createdat", "invoicedate"},
	"sku":         {"sku", "productsku", "itemsku", "code", "stockcode", "productcode", "itemcode"},
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
	// Without email and customer_id columns every order is a guest's:
	// that is a file mapped wrongly far more often than a shop without
	// customers.
	if !taken["email"] && !taken["customer_id"] {
		missing = append(missing, "email or customer_id")
	}
	if len(missing) > 0 {
		return nil, crm.Errorf(crm.EINVALID, "no column for %s: name it in the header or map it (--map field=Header)", strings.Join(missing, ", "))
	}
	return plan, nil
}

// csvFile is what csvOrders read besides the orders: how many data lines
// the file has and the date format they were read with.
type csvFile struct {
	lines      int
	dateFormat string
}

type csvRecord struct {
	line int
	row  map[string]string
}

// csvOrders reads a generic order CSV. Rows with the same order id become
// the lines of one order; an order with a bad row is rejected whole. An
// order whose quantities are all negative is a credit note (a shop's
// cancellation or return, "C536379" in many exports); one that mixes
// signs is rejected. The file is read into memory first, since an order's
// rows need not be adjacent and the date format is detected from every
// date (shop exports are a few hundred thousand rows at most).
func csvOrders(r io.Reader, opts crm.OrderFileOptions) ([]crm.HistoricalOrder, []crm.RejectedLine, csvFile, error) {
	var info csvFile
	cr, err := csvx.NewReader(r, opts.Encoding)
	if err != nil {
		return nil, nil, info, crm.Errorf(crm.EINVALID, "%v", err)
	}
	header, _, err := cr.Read()
	if err == io.EOF {
		return nil, nil, info, crm.Errorf(crm.EINVALID, "the file is empty")
	}
	if err != nil {
		return nil, nil, info, crm.Errorf(crm.EINVALID, "cannot read the header: %v", err)
	}
	plan, err := orderPlan(header, opts.Mapping)
	if err != nil {
		return nil, nil, info, err
	}
	var bad []crm.RejectedLine
	var recs []csvRecord
	var dates []string
	for {
		rec, line, err := cr.Read()
		if err == io.EOF {
			break
		}
		var le *csvx.LineError
		if errors.As(err, &le) {
			info.lines++
			bad = append(bad, crm.RejectedLine{Line: le.Line, Reason: rejectLineReason(le), Key: le.Key})
			if le.Fatal() {
				break
			}
			continue
		}
		if err != nil {
			return nil, bad, info, err
		}
		info.lines++
		row := map[string]string{}
		for i, v := range rec {
			if i < len(plan) && plan[i] != "" {
				row[plan[i]] = csvx.Unneutralize(strings.TrimSpace(v))
			}
		}
		recs = append(recs, csvRecord{line, row})
		dates = append(dates, row["date"])
	}
	format := opts.DateFormat
	if strings.TrimSpace(format) == "" {
		f, ambiguous, mixed := detectDateFormat(dates)
		example := firstNumericDate(dates)
		var v crm.Validation
		switch {
		case ambiguous:
			v.Add("date_format", "ambiguous_dates", example, DateFormatsHelp)
		case mixed:
			v.Add("date_format", "mixed_dates", DateFormatsHelp)
		}
		if err := v.Err(); err != nil {
			return nil, bad, info, err
		}
		format = f
	}
	dr, err := newDateReader(format, opts.TimeZone)
	if err != nil {
		return nil, bad, info, err
	}
	info.dateFormat = dr.format
	var orders []crm.HistoricalOrder
	index := map[string]int{}   // order id → index in orders
	broken := map[string]bool{} // order ids with a rejected row
	for _, rec := range recs {
		o, l, rej := csvRow(rec.row, rec.line, opts, dr)
		id := rec.row["order_id"]
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
	// Sales first, then credit notes: a credit note is linked to its sale
	// when the import ends, and restoring an export inserts orders by id,
	// so the sale must have the smaller id.
	var sales, credits []crm.HistoricalOrder
	for _, o := range orders {
		if broken[o.ExternalID] {
			for _, l := range o.Lines {
				bad = append(bad, crm.RejectedLine{Line: l.Line, Field: "order_id", Reason: rejectReason("order_line_rejected", nil), Key: "order_line_rejected"})
			}
			continue
		}
		neg := 0
		for _, l := range o.Lines {
			if l.Quantity < 0 {
				neg++
			}
		}
		switch neg {
		case 0:
			sales = append(sales, o)
		case len(o.Lines):
			// A credit note's lines count the units given back (as
			// order_lines.quantity is positive) and its amounts are
			// negative: the sign is the document's.
			o.Kind = crm.OrderKindCredit
			for i := range o.Lines {
				o.Lines[i].Quantity = -o.Lines[i].Quantity
			}
			credits = append(credits, o)
		default:
			for _, l := range o.Lines {
				bad = append(bad, crm.RejectedLine{Line: l.Line, Field: "quantity", Reason: rejectReason("mixed_credit", nil), Key: "mixed_credit"})
			}
		}
	}
	return append(sales, credits...), bad, info, nil
}

// firstNumericDate is an example date for the ambiguous-date message.
func firstNumericDate(dates []string) string {
	for _, s := range dates {
		if numDate.MatchString(strings.TrimSpace(s)) {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// customerNumber turns a customer id a spreadsheet exported as a number
// ("17850.0") back into the id ("17850"), so it matches the contact the
// same customer's other rows, and other files, name.
func customerNumber(s string) string {
	whole, frac, ok := strings.Cut(s, ".")
	if ok && isDigits(whole) && frac != "" && strings.Trim(frac, "0") == "" {
		return whole
	}
	return s
}

// csvRow checks one row; every problem is reported with the field. A
// row without email and customer id is a guest's; a negative quantity is
// a credit note's line.
func csvRow(row map[string]string, line int, opts crm.OrderFileOptions, dr *dateReader) (crm.HistoricalOrder, crm.HistoricalLine, []crm.RejectedLine) {
	var rej []crm.RejectedLine
	fail := func(field, key string, args ...any) {
		rej = append(rej, crm.RejectedLine{Line: line, Field: field, Reason: rejectReason(key, args), Key: key, Args: args})
	}
	o := crm.HistoricalOrder{Line: line, ExternalID: row["order_id"], Email: row["email"], CustomerID: customerNumber(row["customer_id"]),
		CustomerSource: opts.CustomerSource, Status: strings.ToLower(row["status"]), Channel: strings.ToLower(row["channel"])}
	if o.ExternalID == "" {
		fail("order_id", "required")
	}
	if o.Email != "" {
		if e, ok := crm.NormalizeEmail(o.Email); ok {
			o.Email = e
		} else {
			fail("email", "invalid_email")
		}
	}
	at, ok := dr.parse(row["date"])
	if !ok {
		fail("date", "invalid_order_date", row["date"], DateFormatsHelp)
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
	q, err := strconv.ParseInt(customerNumber(strings.TrimSpace(row["quantity"])), 10, 64)
	if err != nil || q == 0 || q > 1e6 || q < -1e6 {
		fail("quantity", "nonzero_quantity")
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
		aq := max(q, -q)
		if total := aq * price; aq != 0 && total/aq != price || total > crm.MaxHistoricalAmount {
			fail("unit_price", "amount_too_large")
		}
		l.Total = q * price
	}
	return o, l, rej
}
