// Package api is ecrm's JSON REST API under /api/v1. It is built on huma so
// that the OpenAPI 3.1 document is generated from the same Go types the
// handlers use and can never drift from them. The package only
// authenticates, translates HTTP to domain calls and maps errors:
// authorisation and validation live in the store and internal/crm, shared
// with the console and the CLI.
package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/ecrm/ecrm/internal/crm"
)

// Options configure the API.
type Options struct {
	Logger  *slog.Logger
	Version string
	// Routed, when set, is called after every request with the operation
	// pattern that serves its path ("" when none does), so metrics can
	// label requests by route without ever seeing the raw path. It is
	// called even when the request was refused before routing (no key).
	Routed func(r *http.Request, pattern string)
}

// Prefix is where the API lives; every operation path starts with it.
const Prefix = "/api/v1"

// maxBody bounds request bodies. Contacts are small; a megabyte is far more
// than any legitimate request and keeps a client from making us buffer
// arbitrary amounts of memory.
const maxBody = 1 << 20

// server holds what the handlers need.
type server struct {
	svc *crm.Services
	log *slog.Logger
}

// New returns the handler for every path under /api/v1/. It expects full
// paths (mount it at "/api/v1/" without stripping the prefix).
func New(svc *crm.Services, opts Options) http.Handler {
	s := &server{svc: svc, log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	mux := http.NewServeMux()
	newHumaAPI(s, mux, opts.Version)
	// Anything that matched no operation still answers as a problem, so
	// clients only ever parse one error shape.
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, crm.Errorf(crm.ENOTFOUND, "no such endpoint"))
	})
	h := apiHeaders(s.authenticate(s.idempotency(mux)))
	if opts.Routed == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		// Matched again here rather than inside the mux because requests
		// without a valid key are answered before the mux runs.
		_, pattern := mux.Handler(r)
		if pattern == Prefix+"/" { // the catch-all "no such endpoint"
			pattern = ""
		}
		opts.Routed(r, pattern)
	})
}

// apiHeaders marks every API answer as JSON that must not be sniffed as
// something else and must not be kept by shared caches or the browser:
// responses carry customer data and are only ever meant for the key holder.
func apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// OpenAPI returns the OpenAPI document as indented JSON, for the golden
// test and for `ecrm docs`.
func OpenAPI(svc *crm.Services) ([]byte, error) {
	s := &server{svc: svc, log: slog.Default()}
	a := newHumaAPI(s, http.NewServeMux(), "")
	return json.MarshalIndent(a.OpenAPI(), "", "  ")
}

// newHumaAPI builds the huma API on mux with every operation registered.
func newHumaAPI(s *server, mux *http.ServeMux, version string) huma.API {
	if version == "" {
		version = "dev"
	}
	cfg := huma.DefaultConfig("ecrm API", version)
	cfg.Info.Description = "The JSON API of ecrm. Authenticate with `Authorization: Bearer <API key>`; " +
		"a key's scopes (`contacts:read`, `contacts:write`, …, or `*`) limit what it may do. " +
		"Errors are RFC 9457 problem details."
	cfg.OpenAPIPath = Prefix + "/openapi"
	// The interactive docs page loads scripts from a CDN, which the
	// console's strict CSP forbids; the JSON document is enough.
	cfg.DocsPath = ""
	// No "$schema" links in bodies: they point at a schemas endpoint we do
	// not serve and would make every response carry noise.
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API key created in the console or with `ecrm apikey create`."},
	}
	a := humago.New(mux, cfg)
	s.routes(a)
	return a
}
