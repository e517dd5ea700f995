package tracking

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// nullSink accepts every write and knows one site.
type nullSink struct{ site *crm.TrackedSite }

func (n nullSink) SiteByKey(ctx context.Context, key string) (*crm.TrackedSite, error) {
	if key != n.site.Key {
		return nil, crm.Errorf(crm.ENOTFOUND, "unknown")
	}
	return n.site, nil
}

func (nullSink) WriteEvents(ctx context.Context, b crm.EventBatch) error { return nil }

func (nullSink) VisitorWithdrawn(context.Context, string) (bool, error) { return false, nil }

var fuzzSeeds = []string{
	`{"e":[{"n":"pageview","u":"/"}]}`,
	`{"v":"0123456789abcdef0123456789abcdef","s":"0123456789abcdef","e":[{"n":"product_view","u":"https://shop.example/p?utm_source=x","t":"T","r":"https://r.example/","a":5,"sku":"K","pn":"Kettle","val":1.5,"cur":"JPY","p":{"a":"b","c":1,"d":true,"e":null}}]}`,
	`{"v":"0123456789abcdef0123456789abcdef","e":[],"id":{"email":"a@b.c","sig":"00"}}`,
	`{"e":[{"n":"pageview","u":"%zz?%%#"}]}`,
	`{"e":[{"n":"pageview","u":"https://[::1"}]}`,
	`{"v":"0123456789abcdef0123456789abcdef","e":[{"n":"a","u":"https://x/%ff%fe","val":-1e12,"cur":"BHD"}]}`,
	`{"e":null}`, `[]`, `null`, `{"e":[{"n":"a","p":[1]}]}`, "\x00", `{"e":[{"n":"pageview","u":"/\u0000"}]}`,
}

// FuzzParse: no input panics the parser; a refusal is always a
// *ParseError, and an accepted batch respects every bound.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), true)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, body []byte, consent bool) {
		b, err := Parse(body, 1, now, consent)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(b.Events)+len(b.Paths) > MaxEvents {
			t.Fatalf("%d events", len(b.Events)+len(b.Paths))
		}
		for _, e := range b.Events {
			if !crm.EventNameRe.MatchString(e.Name) || len(e.Props) > MaxProps || !crm.VisitorIDRe.MatchString(e.VisitorID) {
				t.Fatalf("accepted %+v", e)
			}
		}
		for _, p := range b.Paths {
			if len(p) > maxPath || strings.ContainsAny(p, "?#\x00") {
				t.Fatalf("count path %q", p)
			}
		}
	})
}

// FuzzCollect: through the handler, no body gives a 5xx other than the
// queue's 503 (which a one-item queue may answer).
func FuzzCollect(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	c, err := New(context.Background(), nullSink{&crm.TrackedSite{ID: 1, Key: "pk_f", Active: true, Origins: []string{shopOrigin}}}, nil, Options{IPRate: -1, SiteRate: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close(context.Background())
	mux := http.NewServeMux()
	c.Register(mux)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/t/collect?k=pk_f", strings.NewReader(body))
		req.Header.Set("Origin", shopOrigin)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%d for %q: %s", w.Code, body, w.Body)
		}
	})
}

// TestNameChecks: the hand-written checks agree with the patterns.
func TestNameChecks(t *testing.T) {
	for _, s := range []string{"", "a", "pageview", "add_to_cart", "x.y:z-1", "A", "1a", "a b", "é", "a<", strings.Repeat("a", 48), strings.Repeat("a", 49), "_x", "Ab.c-1", ".a", "a/b"} {
		if got, want := eventName(s), crm.EventNameRe.MatchString(s); got != want {
			t.Errorf("eventName(%q) = %v, pattern says %v", s, got, want)
		}
		if got, want := propKey(s), propKeyRe.MatchString(s); got != want {
			t.Errorf("propKey(%q) = %v, pattern says %v", s, got, want)
		}
	}
}
