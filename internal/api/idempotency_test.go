package api

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func countContacts(t *testing.T, db *store.DB) int {
	t.Helper()
	p, err := db.FindContacts(storetest.System(), crm.ContactFilter{WithTotal: true})
	must(t, err)
	return p.Total
}

func TestIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("contacts:write")
		other := e.key("contacts:write")
		// JSON is not HTML: markup and odd characters are stored and
		// returned exactly, never escaped or stripped.
		xss := `<script>alert("x")</script> & 'quotes' ‮ مریم 山田`
		body := map[string]any{"first_name": xss, "last_name": "O'Brien"}
		first := e.do("POST", "/api/v1/contacts", body, key, "Idempotency-Key", "abc-1")
		if first.status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		var c crm.Contact
		first.decode(t, &c)
		if c.FirstName != xss {
			t.Errorf("first_name = %q, want %q exactly", c.FirstName, xss)
		}
		again := e.do("POST", "/api/v1/contacts", body, key, "Idempotency-Key", "abc-1")
		if again.status != first.status || !bytes.Equal(again.body, first.body) {
			t.Errorf("replay = %d %s, want %d %s", again.status, again.body, first.status, first.body)
		}
		if got := again.header.Get("Idempotent-Replayed"); got != "true" {
			t.Errorf("Idempotent-Replayed = %q, want true", got)
		}
		if got, want := countContacts(t, db), 1; got != want {
			t.Errorf("contacts = %d, want %d", got, want)
		}
		stored, err := db.FindContactByID(storetest.System(), c.ID)
		must(t, err)
		if stored.FirstName != xss {
			t.Errorf("stored first_name = %q, want %q", stored.FirstName, xss)
		}

		e.run(t, []scenario{
			{name: "same key, different body", method: "POST", url: "/api/v1/contacts", key: key, body: map[string]any{"first_name": "Other"},
				headers: []string{"Idempotency-Key", "abc-1"}, wantStatus: 422, wantContains: []string{`header.Idempotency-Key`}},
			{name: "same key and body on another endpoint", method: "POST", url: "/api/v1/contacts/bulk", key: key, body: body,
				headers: []string{"Idempotency-Key", "abc-1"}, wantStatus: 422},
			{name: "keys are per caller", method: "POST", url: "/api/v1/contacts", key: other, body: body,
				headers: []string{"Idempotency-Key", "abc-1"}, wantStatus: 201},
			{name: "no key, no dedupe", method: "POST", url: "/api/v1/contacts", key: key, body: body, wantStatus: 201},
		})
		if got, want := countContacts(t, db), 3; got != want {
			t.Errorf("contacts = %d, want %d", got, want)
		}

		// A validation failure is an answer too: it is replayed.
		bad := map[string]any{"email": "nope"}
		r1 := e.do("POST", "/api/v1/contacts", bad, key, "Idempotency-Key", "bad-1")
		r2 := e.do("POST", "/api/v1/contacts", bad, key, "Idempotency-Key", "bad-1")
		if r1.status != 422 || r2.status != 422 || !bytes.Equal(r1.body, r2.body) || r2.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed 422: %d/%d %q", r1.status, r2.status, r2.header.Get("Idempotent-Replayed"))
		}

		// A key still held by a request in flight answers 409.
		ctx := crm.WithActor(storetest.System(), mustActor(t, db, key))
		if _, err := db.BeginIdempotent(ctx, "busy", requestHashFor("POST", "/api/v1/contacts", `{"first_name":"A"}`)); err != nil {
			t.Fatal(err)
		}
		r := e.do("POST", "/api/v1/contacts", `{"first_name":"A"}`, key, "Idempotency-Key", "busy")
		if r.status != http.StatusConflict {
			t.Errorf("in flight: %d %s, want 409", r.status, r.body)
		}
		if got, want := countContacts(t, db), 3; got != want {
			t.Errorf("contacts = %d, want %d", got, want)
		}
	})
}

func mustActor(t *testing.T, db *store.DB, secret string) *crm.Actor {
	t.Helper()
	a, err := db.ActorForAPIKey(storetest.System(), secret)
	must(t, err)
	return a
}

func requestHashFor(method, uri, body string) string {
	r, _ := http.NewRequest(method, uri, nil)
	return requestHash(r, []byte(body))
}

// TestPagination walks a list through next_cursor and the Link header and
// sees every contact exactly once.
func TestPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("contacts:read")
		const n = 23
		for i := range n {
			if _, err := db.CreateContact(storetest.System(), crm.ContactInput{LastName: ptr(fmt.Sprintf("Person %02d", i)), Tags: &[]string{"walk"}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, sort := range []string{"name", "-created_at", "email"} {
			seen := map[int64]bool{}
			url := "/api/v1/contacts?tag=walk&limit=5&total=true&sort=" + sort
			pages := 0
			for url != "" {
				r := e.do("GET", url, nil, key)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", url, r.status, r.body)
				}
				var p struct {
					Items []crm.Contact `json:"items"`
					Next  string        `json:"next_cursor"`
					Total int           `json:"total"`
				}
				r.decode(t, &p)
				if p.Total != n {
					t.Errorf("total = %d, want %d", p.Total, n)
				}
				for _, c := range p.Items {
					if seen[c.ID] {
						t.Errorf("sort %s: contact %d seen twice", sort, c.ID)
					}
					seen[c.ID] = true
				}
				url = ""
				link := r.header.Get("Link")
				if p.Next != "" {
					want := `; rel="next"`
					if !bytes.HasSuffix([]byte(link), []byte(want)) || !bytes.Contains([]byte(link), []byte("after="+p.Next)) {
						t.Errorf("Link = %q, want a rel=next link with after=%s", link, p.Next)
					}
					url = link[1:bytes.IndexByte([]byte(link), '>')]
				} else if link != "" {
					t.Errorf("last page has Link %q", link)
				}
				if pages++; pages > n {
					t.Fatal("pagination does not end")
				}
			}
			if len(seen) != n || pages != 5 {
				t.Errorf("sort %s: saw %d contacts in %d pages, want %d in 5", sort, len(seen), pages, n)
			}
		}
	})
}
