package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/wire"
)

// contract is the OpenAPI document loaded with kin-openapi, built once:
// every response in these tests is checked against it.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadContract(t testing.TB) routers.Router {
	t.Helper()
	contract.once.Do(func() {
		b, err := OpenAPI(nil)
		if err != nil {
			contract.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(b)
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			contract.err = err
			return
		}
		contract.doc = doc
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatalf("load OpenAPI document: %v", contract.err)
	}
	return contract.router
}

// env is a running API on a real database with a client that validates
// every response against the document.
type env struct {
	t   testing.TB
	db  *store.DB
	srv *httptest.Server
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	loadContract(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", New(wire.Services(db), Options{Logger: log, Version: "test"}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, srv: srv}
}

// key creates an API key with the scopes and returns its secret.
func (e *env) key(scopes ...string) string {
	e.t.Helper()
	_, secret, err := e.db.CreateAPIKey(storetest.System(), "test "+strings.Join(scopes, " "), scopes)
	if err != nil {
		e.t.Fatalf("create key %v: %v", scopes, err)
	}
	return secret
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request with a bearer key (none when key is "") and checks
// the response against the OpenAPI document. body is sent as is when it
// is a string or []byte and as JSON otherwise.
func (e *env) do(method, path string, body any, key string, headers ...string) *response {
	e.t.Helper()
	return e.send(method, path, body, key, true, headers...)
}

func (e *env) send(method, path string, body any, key string, validate bool, headers ...string) *response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: got}
	if validate {
		e.validate(req, r)
	}
	return r
}

// validate checks one response against the document: the status must be
// documented for the operation and the body must match its schema.
func (e *env) validate(req *http.Request, r *response) {
	e.t.Helper()
	router := loadContract(e.t)
	// The router matches on path only; the test server's host is not a
	// server of the document.
	match := req.Clone(context.Background())
	match.URL.Scheme, match.URL.Host, match.Host = "", "", ""
	route, params, err := router.FindRoute(match)
	if err != nil {
		e.t.Errorf("%s %s: no operation in the document: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: match, PathParams: params, Route: route}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		e.t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %.500s", req.Method, req.URL.String(), r.status, err, r.body)
	}
}

// snapshot reads everything a request could change, as the system, so a
// denied request can be shown to have changed nothing.
func snapshot(t testing.TB, db *store.DB) string {
	t.Helper()
	ctx := storetest.System()
	var parts []any
	contacts, err := db.FindContacts(ctx, crm.ContactFilter{Limit: 500})
	must(t, err)
	companies, err := db.FindCompanies(ctx, crm.CompanyFilter{Limit: 500})
	must(t, err)
	acts, err := db.FindActivities(ctx, crm.ActivityFilter{Limit: 500})
	must(t, err)
	tasks, err := db.FindTasks(ctx, crm.TaskFilter{Limit: 500})
	must(t, err)
	fields, err := db.FindCustomFields(ctx, "")
	must(t, err)
	users, err := db.FindUsers(ctx)
	must(t, err)
	keys, err := db.FindAPIKeys(ctx)
	must(t, err)
	for _, k := range keys {
		k.LastUsedAt = nil // touched by authentication itself, by design
	}
	audit, err := db.FindAudit(ctx, crm.AuditFilter{Limit: 500})
	must(t, err)
	parts = append(parts, contacts.Items, companies.Items, acts.Items, tasks.Items, fields, users, keys, audit.Items)
	b, err := json.Marshal(parts)
	must(t, err)
	return string(b)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// scenario is one HTTP exchange and what must come back, in the style of
// PocketBase's ApiScenario.
type scenario struct {
	name         string
	method, url  string
	body         any
	key          string
	headers      []string
	wantStatus   int
	wantContains []string
	wantAbsent   []string
}

func (e *env) run(t *testing.T, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			saved := e.t
			e.t = t
			defer func() { e.t = saved }()
			r := e.do(sc.method, sc.url, sc.body, sc.key, sc.headers...)
			if r.status != sc.wantStatus {
				t.Errorf("status = %d, want %d; body %.600s", r.status, sc.wantStatus, r.body)
			}
			for _, s := range sc.wantContains {
				if !bytes.Contains(r.body, []byte(s)) {
					t.Errorf("body does not contain %q: %.600s", s, r.body)
				}
			}
			for _, s := range sc.wantAbsent {
				if bytes.Contains(r.body, []byte(s)) {
					t.Errorf("body contains %q: %.600s", s, r.body)
				}
			}
		})
	}
}
