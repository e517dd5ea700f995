package api

import (
	"net/http"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

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
		next.ServeHTTP(w, r.WithContext(crm.WithActor(r.Context(), actor)))
	})
}
