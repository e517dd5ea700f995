package store

import (
	"context"
	"io"
	"slices"

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
// file twice creates nothing.
func (db *DB) ImportOrders(ctx context.Context, r io.Reader, opts crm.OrderFileOptions) (*crm.OrderImportReport, error) {
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	if opts.CustomerSource == "" {
		opts.CustomerSource = "csv"
	}
	var bad []crm.RejectedLine
	var orders []crm.HistoricalOrder
	switch opts.Format {
	case crm.OrderFormatCDNOW:
	case "", crm.OrderFormatCSV:
		// Authorise before reading a possibly large file.
		if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
			return nil, err
		}
		var err error
		if orders, bad, err = csvOrders(r, opts); err != nil {
			return &crm.OrderImportReport{Rejected: bad}, err
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
		bad, err = parseCDNOW(r, write)
	} else {
		for from := 0; from < len(orders) && err == nil; from += orderFileBatch {
			err = write(orders[from:min(from+orderFileBatch, len(orders))])
		}
	}
	if err != nil {
		imp.Abort(ctx)
		return &crm.OrderImportReport{Rejected: bad}, err
	}
	res, err := imp.Finish(context.WithoutCancel(ctx))
	rep := &crm.OrderImportReport{Orders: res.Orders, Lines: res.Lines, Skipped: res.Skipped, ContactsCreated: res.ContactsCreated,
		ContactsMatched: res.ContactsMatched, FactsUpdated: res.FactsUpdated, Rejected: bad}
	for _, e := range res.Errors {
		rep.Rejected = append(rep.Rejected, crm.RejectedLine{Line: e.Line, Field: e.Field, Reason: rejectReason(e.Key, e.Args), Key: e.Key, Args: e.Args})
	}
	slices.SortStableFunc(rep.Rejected, func(a, b crm.RejectedLine) int { return a.Line - b.Line })
	if rep.Rejected == nil {
		rep.Rejected = []crm.RejectedLine{}
	}
	return rep, err
}
