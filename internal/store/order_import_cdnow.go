package store

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
)

// cdnowSource is the external-id source of CDNOW's customer ids.
const cdnowSource = "cdnow"

// parseCDNOW reads a CDNOW file (the data set of Fader and Hardie) and
// hands batches of orders to emit; it returns the rejected lines and the
// count of data lines. Each line is one order of one line (sku CDNOW-CD)
// placed at UTC midnight of its date. Its external id is the customer,
// the date and the purchase's rank among the customer's purchases of that
// day ("cdnow:00001:19970101#2"): two purchases on one day stay two
// orders, and a re-import matches them wherever the lines moved in the
// file (the line number, used before migration 0013, did not).
func parseCDNOW(r io.Reader, emit func([]crm.HistoricalOrder) error) ([]crm.RejectedLine, int, error) {
	var bad []crm.RejectedLine
	rank := map[string]int{} // "customer:date" → purchases seen
	lines := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	batch := make([]crm.HistoricalOrder, 0, orderFileBatch)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if line == 1 && !isDigits(f[0]) {
			continue // the header
		}
		lines++
		if len(f) != 4 {
			bad = append(bad, crm.RejectedLine{Line: line, Reason: rejectReason("cdnow_fields", []any{len(f)}), Key: "cdnow_fields", Args: []any{len(f)}})
			continue
		}
		o, rej := cdnowOrder(f, line)
		if rej != nil {
			bad = append(bad, *rej)
			continue
		}
		// Rejected lines take no rank: fixing one and importing again
		// adds it as the day's last purchase, not in place of another.
		day := o.CustomerID + ":" + f[1]
		rank[day]++
		o.ExternalID = "cdnow:" + day + "#" + strconv.Itoa(rank[day])
		batch = append(batch, o)
		if len(batch) == orderFileBatch {
			if err := emit(batch); err != nil {
				return bad, lines, err
			}
			batch = make([]crm.HistoricalOrder, 0, orderFileBatch)
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		// Reported like a CSV file's line over the limit: the line named,
		// what came before it imported, the rest not.
		le := &csvx.LineError{Line: line + 1, Msg: "line longer than 1 MiB", Key: csvx.KeyTooLong, Err: csvx.ErrTooLong}
		bad = append(bad, crm.RejectedLine{Line: le.Line, Reason: rejectLineReason(le), Key: le.Key})
		lines++
	} else if err != nil {
		return bad, lines, err
	}
	if len(batch) > 0 {
		return bad, lines, emit(batch)
	}
	return bad, lines, nil
}

func cdnowOrder(f []string, line int) (crm.HistoricalOrder, *crm.RejectedLine) {
	cust, date, qty, dollars := f[0], f[1], f[2], f[3]
	if !isDigits(cust) || len(cust) > 20 {
		return crm.HistoricalOrder{}, &crm.RejectedLine{Line: line, Field: "customer", Reason: rejectReason("invalid_value", nil), Key: "invalid_value"}
	}
	at, err := time.Parse("20060102", date)
	if err != nil || len(date) != 8 {
		return crm.HistoricalOrder{}, &crm.RejectedLine{Line: line, Field: "date", Reason: rejectReason("invalid_date", nil), Key: "invalid_date"}
	}
	q, err := strconv.ParseInt(qty, 10, 64)
	if err != nil || q <= 0 {
		return crm.HistoricalOrder{}, &crm.RejectedLine{Line: line, Field: "quantity", Reason: rejectReason("positive_quantity", nil), Key: "positive_quantity"}
	}
	total, ok := parseMinor(dollars, 2)
	if !ok || total < 0 {
		return crm.HistoricalOrder{}, &crm.RejectedLine{Line: line, Field: "amount", Reason: rejectReason("invalid_amount", nil), Key: "invalid_amount"}
	}
	return crm.HistoricalOrder{
		Line:           line,
		CustomerSource: cdnowSource, CustomerID: cust, CustomerName: "CDNOW customer",
		Status: crm.OrderDelivered, Channel: "web", Currency: "USD", PlacedAt: at,
		// The file gives the amount of the purchase, not a unit price: the
		// unit price is rounded down, the total stays exact.
		Lines: []crm.HistoricalLine{{Line: line, SKU: "CDNOW-CD", Name: "CD purchase", Quantity: q, UnitPrice: total / q, Total: total}},
	}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseMinor parses a decimal amount in major units ("12.5", "-3",
// "1234.56") into minor units with digits decimals, exactly: more
// decimals than the currency has are an error unless they are zeros.
func parseMinor(s string, digits int) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !isDigits(whole) || (frac != "" && !isDigits(frac)) || len(whole) > 15 {
		return 0, false
	}
	if strings.HasSuffix(s, ".") && frac == "" {
		return 0, false
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return 0, false
	}
	frac += strings.Repeat("0", digits-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseOrderDate accepts YYYY-MM-DD (UTC midnight) and RFC 3339.
func parseOrderDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}
