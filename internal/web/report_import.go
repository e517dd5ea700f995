package web

import (
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// orderImportPage is the historical order import: a form, then the report.
// It is its own page rather than a third entity of the contact/company
// wizard, because an order file has no column-by-column preview to map:
// CDNOW has no header, and the CSV's columns are found by name or mapped
// in one line (field=Header,…), as on the command line.
type orderImportPage struct {
	Done      bool
	Report    *crm.OrderImportReport
	Rejected  []orderRejectedRow
	Encodings []string
	// Currencies are the stored orders in currencies other than the
	// shop's, which count in no revenue: each is a warning.
	Currencies []orderCurrency
}

type orderCurrency struct {
	Code   string
	Orders int
}

type orderRejectedRow struct{ Line, Field, Reason string }

func (s *server) orderImportForm(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "import")
	v.Title = v.L.T("reports.import.title")
	v.Data = orderImportPage{Encodings: importEncodings}
	return s.ok(w, r, "report_import", v)
}

// orderImport runs the import on the uploaded file, or on the text pasted
// in the form when no file was chosen.
func (s *server) orderImport(w http.ResponseWriter, r *http.Request) error {
	if s.svc.OrderImports == nil {
		return crm.Errorf(crm.ENOTFOUND, "order import is not available")
	}
	format, enc := r.PostFormValue("format"), r.PostFormValue("encoding")
	var bad crm.Validation
	if format != crm.OrderFormatCSV && format != crm.OrderFormatCDNOW {
		bad.Add("format", "invalid_choice")
	}
	if !slices.Contains(importEncodings, enc) {
		bad.Add("encoding", "invalid_choice")
	}
	dateFormat := r.PostFormValue("date_format")
	if !slices.Contains(orderDateFormats, dateFormat) {
		bad.Add("date_format", "invalid_choice")
	}
	opts := crm.OrderFileOptions{Format: format, Encoding: enc, MinorUnits: r.PostFormValue("minor_units") != "",
		Currency: strings.TrimSpace(r.PostFormValue("currency")), Timeline: r.PostFormValue("timeline") != "", Mapping: map[string]string{},
		DateFormat: dateFormat, TimeZone: strings.TrimSpace(r.PostFormValue("tz")), MaxRejects: strings.TrimSpace(r.PostFormValue("max_rejects"))}
	for _, pair := range strings.Split(r.PostFormValue("map"), ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		field, header, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(field) == "" || strings.TrimSpace(header) == "" {
			bad.Add("map", "invalid_value")
			break
		}
		opts.Mapping[strings.TrimSpace(field)] = strings.TrimSpace(header)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	var body io.Reader = strings.NewReader(r.PostFormValue("content"))
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		body = file
	} else if strings.TrimSpace(r.PostFormValue("content")) == "" {
		bad.Add("file", "required")
		return bad.Err()
	}
	rep, err := s.svc.OrderImports.ImportOrders(r.Context(), body, opts)
	if err != nil {
		return err
	}
	v := s.newView(r, "import")
	v.Title = v.L.T("reports.import.title")
	p := orderImportPage{Done: true, Report: rep, Encodings: importEncodings}
	for _, x := range rep.Rejected {
		p.Rejected = append(p.Rejected, orderRejectedRow{Line: v.L.Number(int64(x.Line)), Field: x.Field, Reason: rejectedReason(v.L, x)})
	}
	for _, c := range slices.Sorted(maps.Keys(rep.OtherCurrencies)) {
		p.Currencies = append(p.Currencies, orderCurrency{c, rep.OtherCurrencies[c]})
	}
	v.Data = p
	return s.ok(w, r, "report_import", v)
}

// orderDateFormats are the form's date formats ("" detects); a Go layout
// is for the command line and the API.
var orderDateFormats = []string{"", "iso", "mdy", "dmy"}

// rejectedReason words a rejected line in the reader's language when the
// catalogue has its key, else in the store's English.
func rejectedReason(l *i18n.Locale, x crm.RejectedLine) string {
	en := i18n.Get("en")
	switch {
	case x.Key != "" && en.Has("error."+x.Key):
		return l.T("error."+x.Key, x.Args...)
	case x.Key != "" && en.Has(x.Key):
		return l.T(x.Key, x.Args...)
	}
	return x.Reason
}
