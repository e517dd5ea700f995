// Package web is ecrm's staff console: server-rendered pages over the crm
// services, with htmx for the parts that update in place. Everything it
// shows goes through the message catalogue, every route names the
// permission it needs in routes.go, and the store stays the real guard.
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Options configures the console.
type Options struct {
	Logger        *slog.Logger
	SecureCookies bool     // set Secure on cookies (true unless serving plain HTTP on localhost)
	Transfer      Transfer // import/export back end, may be nil in tests → those pages answer 404
	// Routed, when set, is called after every request with the route
	// pattern that serves its path ("" when none does), so metrics can
	// label requests by route and never by the raw path.
	Routed func(r *http.Request, pattern string)
}

// Transfer is implemented by internal/transfer; the console only calls it.
type Transfer interface {
	// PreviewCSV reads the head of an uploaded CSV: headers, first rows, a suggested mapping header→field ("" = ignore), the detected encoding.
	PreviewCSV(r io.Reader, enc string, rows int) (headers []string, sample [][]string, mapping map[string]string, encoding string, err error)
	// ImportCSV imports contacts or companies ("contact"|"company") with the mapping; dedupe by email ("skip"|"update"|"create").
	ImportCSV(ctx context.Context, entity string, r io.Reader, enc string, mapping map[string]string, dedupe string) (ImportReport, error)
	// ExportList writes the current list (filter) as CSV with the given columns (formula-neutralised).
	ExportContacts(ctx context.Context, f crm.ContactFilter, columns []string, w io.Writer) error
	ExportCompanies(ctx context.Context, f crm.CompanyFilter, columns []string, w io.Writer) error
	// ExportAll writes the full data export (every table, CSV+JSON, README) as a zip.
	ExportAll(ctx context.Context, w io.Writer) error
}

// ImportReport is what an import did.
type ImportReport struct {
	Created, Updated, Skipped int
	// RejectedLines counts the lines of Rejected, which lists each
	// problem of a line.
	RejectedLines int
	Rejected      []RejectedRow
}

// RejectedRow is one CSV line the import refused, with the reason.
type RejectedRow struct {
	Line          int
	Field, Reason string
}

// server holds what every handler needs. It has no mutable state besides
// the login rate limiter, so any number of processes can serve the console.
type server struct {
	svc      *crm.Services
	log      *slog.Logger
	secure   bool
	transfer Transfer
	routed   func(*http.Request, string)
	pages    *pages
	assets   *assets
	// limiter counts failed sign-ins per IP and per (email, IP).
	limiter *loginFailures
	// prefsLimiter bounds preference-centre saves per IP and per link.
	prefsLimiter *loginLimiter
	routes       []route

	// forms limits public form traffic (form_limit.go).
	forms *formLimiter
	// surveys rate-limits the public survey pages (survey_public.go).
	surveys *surveyLimits
}

// New returns the console handler, to be mounted at "/".
func New(svc *crm.Services, opts Options) (http.Handler, error) {
	s, err := newServer(svc, opts)
	if err != nil {
		return nil, err
	}
	return s.handler(), nil
}

func newServer(svc *crm.Services, opts Options) (*server, error) {
	if svc == nil || svc.Users == nil {
		return nil, errors.New("web: services are required")
	}
	s := &server{
		svc:          svc,
		log:          opts.Logger,
		secure:       opts.SecureCookies,
		transfer:     opts.Transfer,
		routed:       opts.Routed,
		limiter:      newLoginFailures(),
		prefsLimiter: newLoginLimiter(),
		forms:        newFormLimiter(),
		surveys:      newSurveyLimits(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.assets, err = newAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(s.assets); err != nil {
		return nil, err
	}
	return s, nil
}

// now is the services' clock, so tests that move time see the same "today".
func (s *server) now() time.Time {
	if s.svc.Now != nil {
		return s.svc.Now()
	}
	return time.Now()
}
