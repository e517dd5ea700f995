package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// uploadReadTimeout is how long an authenticated request body may take to
// arrive (an order file of 64 MB at 110 kB/s); the server's read timeout,
// which applies before the key is checked, is much shorter. The console
// uses the same figure (web.UploadReadTimeout).
const uploadReadTimeout = 10 * time.Minute

// authenticate turns a bearer API key into the actor in the request
// context. Only the OpenAPI document is public: it describes the API and
// holds no data. What the actor may do is decided by the store.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, Prefix+"/openapi") {
			next.ServeHTTP(w, r)
			return
		}
		scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		secret = strings.TrimSpace(secret)
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			s.writeProblem(w, r, crm.Errorf(crm.EUNAUTHORIZED, "missing API key"))
			return
		}
		actor, err := s.svc.APIKeys.ActorForAPIKey(r.Context(), secret)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if r.ContentLength != 0 {
			// An authenticated body (an order file of tens of MB) may
			// take longer than the server's read timeout for the public.
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout))
		}
		next.ServeHTTP(w, r.WithContext(crm.WithActor(r.Context(), actor)))
	})
}
