package store

import (
	"context"
	"io"
	gomaps "maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
	"github.com/ecrm/ecrm/internal/i18n"
)

// orderFileBatch is how many orders go to the import at a time; the
// import is one transaction whatever the batch size, this bounds memory.
const orderFileBatch = 8192

// en words rejection reasons: reports are read by whoever ran the import,
// and English is the catalogue's complete language.
var en = i18n.Get("en")

func rejectReason(key string, args []any) string {
	return en.FieldError(crm.FieldError{Key: key, Args: args})
}

func rejectLineReason(le *csvx.LineError) string {
	msg := le.Msg
	if en.Has(le.Key) {
		msg = en.T(le.Key)
	}
	if le.Fatal() {
		msg += " The rest of the file was not imported."
	}
	return msg
}

// ImportOrders imports historical orders from an order file (CDNOW or a
// generic CSV): all of them in one transaction, rejected lines reported.
// Orders already imported (same external id) are skipped, so importing a
// file twice creates nothing. When more lines are rejected than
// opts.MaxRejects allows, nothing is stored: the error names the count,
// and the report lists the lines.
func (db *DB) ImportOrders(ctx context.Context, r io.Reader, opts crm.OrderFileOptions) (*crm.OrderImportReport, error) {
	if opts.CustomerSource == "" {
		opts.CustomerSource = "csv"
	}
	limit, err := parseMaxRejects(opts.MaxRejects)
	if err != nil {
		return nil, err
	}
	var bad []crm.RejectedLine
	var orders []crm.HistoricalOrder
	var file csvFile
	switch opts.Format {
	case crm.OrderFormatCDNOW:
	case "", crm.OrderFormatCSV:
		// Authorise before reading a possibly large file.
		if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
			return nil, err
		}
		if opts.Currency == "" {
			// Amounts without a currency are in the shop's: a file
			// read as another would count in no revenue.
			s, err := db.shopSettings(ctx)
			if err != nil {
				return nil, err
			}
			opts.Currency = s.Currency
		}
		if orders, bad, file, err = csvOrders(r, opts); err != nil {
			return rejectedReport(bad, file.lines), err
		}
	default:
		var v crm.Validation
		v.Add("format", "invalid_choice")
		return nil, v.Err()
	}
	imp, err := db.BeginOrderImport(ctx, OrderImportOptions{Timeline: opts.Timeline})
	if err != nil {
		return nil, err
	}
	write := func(batch []crm.HistoricalOrder) error { return imp.Write(ctx, batch) }
	if opts.Format == crm.OrderFormatCDNOW {
		bad, file.lines, err = parseCDNOW(r, write)
	} else {
		for from := 0; from < len(orders) && err == nil; from += orderFileBatch {
			err = write(orders[from:min(from+orderFileBatch, len(orders))])
		}
	}
	if err != nil {
		imp.Abort(ctx)
		return rejectedReport(bad, file.lines), err
	}
	rep := rejectedReport(bad, file.lines)
	for _, e := range imp.res.Errors {
		rep.Rejected = append(rep.Rejected, crm.RejectedLine{Line: e.Line, Field: e.Field, Reason: rejectReason(e.Key, e.Args), Key: e.Key, Args: e.Args})
	}
	slices.SortStableFunc(rep.Rejected, func(a, b crm.RejectedLine) int { return a.Line - b.Line })
	rep.CountRejectedLines()
	if n := limit.allowed(rep.FileLines); rep.RejectedLines > n {
		imp.Abort(ctx)
		first, text := rep.Rejected[0], limit.String()
		var v crm.Validation
		v.Add("max_rejects", "too_many_rejects", rep.RejectedLines, rep.FileLines, text, first.Line, first.Reason)
		return rep, v.Err()
	}
	imp.fileLines, imp.rejectedLines = rep.FileLines, rep.RejectedLines
	res, err := imp.Finish(context.WithoutCancel(ctx))
	rep.Orders, rep.Lines, rep.Skipped, rep.ContactsCreated = res.Orders, res.Lines, res.Skipped, res.ContactsCreated
	rep.ContactsMatched, rep.FactsUpdated, rep.Credits, rep.CreditsLinked, rep.Guests = res.ContactsMatched, res.FactsUpdated, res.Credits, res.CreditsLinked, res.Guests
	rep.DateFormat, rep.ShopCurrency = file.dateFormat, imp.currency
	if len(res.OtherCurrencies) > 0 {
		rep.OtherCurrencies = res.OtherCurrencies
		for _, c := range slices.Sorted(gomaps.Keys(res.OtherCurrencies)) {
			rep.Warnings = append(rep.Warnings, en.T("order_import.other_currency", res.OtherCurrencies[c], c, imp.currency))
		}
	}
	return rep, err
}

// rejectedReport starts a report with the lines the file's reader
// rejected.
func rejectedReport(bad []crm.RejectedLine, lines int) *crm.OrderImportReport {
	rep := &crm.OrderImportReport{Rejected: bad, FileLines: lines, Warnings: []string{}}
	if rep.Rejected == nil {
		rep.Rejected = []crm.RejectedLine{}
	}
	rep.CountRejectedLines()
	return rep
}

// rejectLimit is a parsed MaxRejects: a count, or a share of the lines
// (rounded up) but never fewer than count.
type rejectLimit struct {
	count   int
	percent float64 // used when ≥ 0
	text    string
}

func parseMaxRejects(s string) (rejectLimit, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		// The default: a small file with a few bad lines still imports.
		return rejectLimit{count: 10, percent: 10, text: crm.DefaultMaxRejects}, nil
	}
	l := rejectLimit{percent: -1, text: s}
	var err error
	if p, ok := strings.CutSuffix(s, "%"); ok {
		l.percent, err = strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err == nil && (l.percent < 0 || l.percent > 100) {
			err = strconv.ErrRange
		}
	} else {
		l.count, err = strconv.Atoi(s)
		if err == nil && l.count < 0 {
			err = strconv.ErrRange
		}
	}
	if err != nil {
		var v crm.Validation
		v.Add("max_rejects", "invalid_max_rejects")
		return l, v.Err()
	}
	return l, nil
}

// allowed is how many of lines may be rejected.
func (l rejectLimit) allowed(lines int) int {
	if l.percent >= 0 {
		return max(l.count, int(math.Ceil(float64(lines)*l.percent/100)))
	}
	return l.count
}

func (l rejectLimit) String() string { return l.text }
