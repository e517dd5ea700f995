package web

import (
	"net/http"
	"net/url"

	"github.com/ecrm/ecrm/internal/crm"
)

type keysPage struct {
	Keys      []*crm.APIKey
	Resources []string
	Secret    string // shown once, right after creation
	Created   *crm.APIKey
}

func (s *server) keysView(r *http.Request, vals url.Values) (*view, error) {
	keys, err := s.svc.APIKeys.FindAPIKeys(r.Context())
	if err != nil {
		return nil, err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.admin.apikeys")
	v.Form = newForm(vals)
	v.Data = keysPage{Keys: keys, Resources: crm.Resources}
	return v, nil
}

func (s *server) adminAPIKeys(w http.ResponseWriter, r *http.Request) error {
	v, err := s.keysView(r, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "admin_apikeys", v)
}

// adminAPIKeyCreate makes a key and shows its secret on the response page
// only: it is never stored in clear and never shown again.
func (s *server) adminAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	name, scopes := r.PostFormValue("name"), r.PostForm["scope"]
	key, secret, err := s.svc.APIKeys.CreateAPIKey(r.Context(), name, scopes)
	if err != nil {
		v, verr := s.keysView(r, url.Values{"name": {name}, "scope": scopes})
		if verr != nil {
			return verr
		}
		return redisplay(err, "admin_apikeys", v)
	}
	v, err := s.keysView(r, nil)
	if err != nil {
		return err
	}
	kp := v.Data.(keysPage)
	kp.Secret, kp.Created = secret, key
	v.Data = kp
	s.render(w, r, http.StatusCreated, "admin_apikeys", v)
	return nil
}

func (s *server) adminAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.APIKeys.RevokeAPIKey(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/apikeys", http.StatusSeeOther)
	return nil
}
