package api

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"reflect"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.golden.json")

const golden = "testdata/openapi.golden.json"

// TestOpenAPIGolden keeps the document in review: a change to the API's
// shape shows up as a diff of this file (go test -run Golden -update).
func TestOpenAPIGolden(t *testing.T) {
	got, err := OpenAPI(nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("OpenAPI document differs from %s; run go test ./internal/api -run Golden -update and review the diff", golden)
	}
}

// TestOpenAPIServed checks the public document endpoint serves the same
// document, without a key.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	r := e.send(http.MethodGet, "/api/v1/openapi.json", nil, "", false)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", r.status)
	}
	var served, built any
	if err := json.Unmarshal(r.body, &served); err != nil {
		t.Fatal(err)
	}
	b, err := OpenAPI(nil)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &built)
	// The served document carries the running version; the rest is equal.
	served.(map[string]any)["info"].(map[string]any)["version"] = "dev"
	if !reflect.DeepEqual(served, built) {
		t.Errorf("served document differs from OpenAPI()")
	}
}
