package api

import (
	"fmt"
	"net/http"
	"testing"
)

// recordingTB notes failures instead of failing, to test the harness.
type recordingTB struct {
	testing.TB
	failed []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Helper() {}

// TestContractCatchesMismatch: the validating client reports responses
// the document does not describe, so "every response is validated"
// means something.
func TestContractCatchesMismatch(t *testing.T) {
	loadContract(t)
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		body   string
		ok     bool
	}{
		{"valid contact", 200, "application/json", `{"id":1,"first_name":"A","last_name":"","email":"","phone":"","emails":[],"phones":[],"company_id":null,"title":"","street":"","city":"","region":"","postal_code":"","country":"","birth_date":"","language":"","stage":"","source":"","owner_id":null,"tags":[],"custom":{},"created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z"}`, true},
		{"wrong type", 200, "application/json", `{"id":"one"}`, false},
		{"undocumented status", 418, "application/problem+json", `{"status":418}`, false},
		{"problem", 404, "application/problem+json", `{"type":"urn:ecrm:problem:not_found","title":"Not Found","status":404}`, true},
	} {
		rec := &recordingTB{TB: t}
		e := &env{t: rec}
		req, _ := http.NewRequest("GET", "/api/v1/contacts/1", nil)
		e.validate(req, &response{status: tc.status, header: http.Header{"Content-Type": {tc.ctype}}, body: []byte(tc.body)})
		if got := len(rec.failed) == 0; got != tc.ok {
			t.Errorf("%s: valid = %v, want %v (%v)", tc.name, got, tc.ok, rec.failed)
		}
	}
}
