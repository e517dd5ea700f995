package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// maxImportBody bounds an order file sent to the API: CDNOW's 69,659
// purchases are 2 MB, a shop's history a few tens.
const maxImportBody = 64 << 20

type orderImportInput struct {
	ContentType string `header:"Content-Type"`
	Format      string `query:"format" enum:"csv,cdnow" default:"csv" doc:"csv: a header and one order line per row; cdnow: the CDNOW data set (customer_id yyyymmdd quantity dollars)."`
	Encoding    string `query:"encoding" enum:"utf-8,shift_jis,windows-1256" doc:"CSV encoding; detected when left out."`
	Map         string `query:"map" maxLength:"2000" doc:"Column mapping field=Header,… for the fields order_id, email, customer_id, date, sku, name, quantity, unit_price, currency, status, channel; unmapped fields are found by their usual header names."`
	MinorUnits  bool   `query:"minor_units" doc:"Unit prices are integers in minor units (cents) instead of decimals in major units (12.50)."`
	Currency    string `query:"currency" maxLength:"3" doc:"Currency of rows without a currency column (default: the shop currency). Orders in another currency than the shop's are stored but count in no revenue or spend; the report warns about them."`
	DateFormat  string `query:"date_format" maxLength:"100" doc:"How the CSV's dates are written: iso, mdy, dmy or a Go layout. Left out, the format is detected from every date of the file, and a file whose day/month order cannot be told is refused (422 on date_format). Accepted: 2010-12-01, 2010-12-01 08:26[:00], 2010-12-01T08:26:00[Z|+01:00] (iso); 12/1/2010[ 8:26[:00][ AM]] (mdy); 1/12/2010[ 08:26[:00]] or 01.12.2010 (dmy)."`
	TimeZone    string `query:"tz" maxLength:"64" doc:"IANA time zone of dates written without an offset (default UTC)."`
	MaxRejects  string `query:"max_rejects" maxLength:"12" doc:"Store nothing when more lines than this are rejected: a count (100) or a share of the file's lines (5%). Default: 10% of the lines, at least 10."`
	Source      string `query:"source" maxLength:"40" doc:"System the customer_id column comes from (default csv)."`
	Timeline    bool   `query:"timeline" doc:"Also put every order on its customer's timeline (off by default: the contact's purchases list shows them anyway)."`
	RawBody     []byte `contentType:"text/csv"`
}

type orderImportOutput struct{ Body *crm.OrderImportReport }

// importOrders takes the file as the body (text/csv or any other type) or
// as the "file" part of a multipart form, and returns the report: rejected
// lines are listed, and an order with a rejected line is not stored.
func (s *server) importOrders(ctx context.Context, in *orderImportInput) (*orderImportOutput, error) {
	if s.svc.OrderImports == nil {
		return nil, crm.Errorf(crm.ENOTFOUND, "order import is not available")
	}
	opts := crm.OrderFileOptions{Format: in.Format, Encoding: in.Encoding, MinorUnits: in.MinorUnits, Currency: in.Currency,
		CustomerSource: in.Source, Timeline: in.Timeline, Mapping: map[string]string{}, DateFormat: in.DateFormat, TimeZone: in.TimeZone,
		MaxRejects: in.MaxRejects}
	var v crm.Validation
	for _, pair := range strings.Split(in.Map, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		field, header, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(field) == "" || strings.TrimSpace(header) == "" {
			v.Add("map", "invalid_value")
			break
		}
		opts.Mapping[strings.TrimSpace(field)] = strings.TrimSpace(header)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	body, err := uploadedFile(in.ContentType, in.RawBody)
	if err != nil {
		return nil, err
	}
	rep, err := s.svc.OrderImports.ImportOrders(ctx, body, opts)
	if err != nil {
		return nil, err
	}
	return &orderImportOutput{rep}, nil
}

// uploadedFile returns the file of a multipart form's "file" part, or the
// body itself.
func uploadedFile(contentType string, body []byte) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return bytes.NewReader(body), nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			var v crm.Validation
			v.Add("file", "required")
			return nil, v.Err()
		}
		if err != nil {
			return nil, crm.Errorf(crm.EINVALID, "the multipart body cannot be read: %v", err)
		}
		if p.FormName() == "file" {
			return p, nil
		}
	}
}

// uploadOperation is o made ready for a file upload: a body limit for
// files, no JSON decoding, the multipart form documented beside the raw
// CSV body, and the same permission check and errors as every route.
// desc starts the description; the required scopes are appended.
func uploadOperation(a huma.API, o operation, desc, fileDesc string) huma.Operation {
	ho := o.Operation
	ho.MaxBodyBytes = maxImportBody
	// The body is a file, not JSON: huma must not try to decode it.
	ho.SkipValidateBody = true
	scopes := make([]string, len(o.perms))
	for i, p := range o.perms {
		scopes[i] = p.String()
	}
	ho.Security = []map[string][]string{{"bearer": scopes}}
	ho.Description = desc + "\n\nRequires scope " + strings.Join(scopes, " and ") + " (or `*`)."
	ho.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
		"multipart/form-data": {Schema: &huma.Schema{Type: "object", Properties: map[string]*huma.Schema{
			"file": {Type: "string", Format: "binary", Description: fileDesc}}}},
	}}
	ho.Errors = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge,
		http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusInternalServerError}
	ho.Middlewares = huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
		actor := crm.ActorFrom(ctx.Context())
		for _, p := range o.perms {
			if !actor.Can(p) {
				huma.WriteErr(a, ctx, http.StatusForbidden, "")
				return
			}
		}
		next(ctx)
	}}
	return ho
}

// registerOrderImport registers the order file upload.
func registerOrderImport(s *server, a huma.API, o operation) {
	ho := uploadOperation(a, o, "The file is the request body (text/csv), or the \"file\" part of a multipart form. "+
		"Everything is stored in one transaction; orders whose external id was imported before are skipped. "+
		"Unknown customers become contacts, so contacts:write is needed too.", "the order file")
	huma.Register(a, ho, func(ctx context.Context, in *orderImportInput) (*orderImportOutput, error) {
		out, err := s.importOrders(ctx, in)
		if err != nil {
			return nil, s.problem(ho.Method, ho.Path, err, "query")
		}
		return out, nil
	})
}
