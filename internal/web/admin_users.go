package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

type usersPage struct {
	Users []*crm.User
}

func (s *server) usersView(r *http.Request, vals url.Values) (*view, error) {
	users, err := s.svc.Users.FindUsers(r.Context())
	if err != nil {
		return nil, err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.admin.users")
	v.Form = newForm(vals)
	v.Data = usersPage{Users: users}
	return v, nil
}

func (s *server) adminUsers(w http.ResponseWriter, r *http.Request) error {
	v, err := s.usersView(r, url.Values{"role": {string(crm.RoleSales)}, "language": {"en"}})
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") == "1" {
		v.Message = v.L.T("console.saved")
	}
	return s.ok(w, r, "admin_users", v)
}

// adminUserCreate reads only email, name, role, language and password.
func (s *server) adminUserCreate(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	email, name, lang, pw := f.Get("email"), f.Get("name"), f.Get("language"), f.Get("password")
	role := crm.Role(f.Get("role"))
	in := crm.UserInput{Email: &email, Name: &name, Role: &role, Language: &lang, Password: &pw}
	if _, err := s.svc.Users.CreateUser(r.Context(), in); err != nil {
		v, verr := s.usersView(r, url.Values{"email": {email}, "name": {name}, "role": {string(role)}, "language": {lang}})
		if verr != nil {
			return verr
		}
		return redisplay(err, "admin_users", v)
	}
	http.Redirect(w, r, "/admin/users?saved=1", http.StatusSeeOther)
	return nil
}

// adminUserUpdate changes a user's name, role and whether they may sign in.
func (s *server) adminUserUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	name := strings.TrimSpace(f.Get("name"))
	role := crm.Role(f.Get("role"))
	active := f.Get("active") == "true"
	lang := f.Get("language")
	if id == stateOf(r).actor.UserID && (!active || role != crm.RoleAdmin) {
		// An admin cannot lock themselves out by accident.
		var v crm.Validation
		v.Add("role", "self_lockout")
		return v.Err()
	}
	if _, err := s.svc.Users.UpdateUser(r.Context(), id, crm.UserInput{Name: &name, Role: &role, Active: &active, Language: &lang}); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?saved=1", http.StatusSeeOther)
	return nil
}

// adminUserPassword sets a new password; the store ends the user's sessions.
func (s *server) adminUserPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pw := r.PostFormValue("password")
	if _, err := s.svc.Users.UpdateUser(r.Context(), id, crm.UserInput{Password: &pw}); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?saved=1", http.StatusSeeOther)
	return nil
}

type rolesPage struct {
	Settings  []crm.RoleSetting
	Resources []string
	Matrix    [][]string // per role, per resource: "write", "read" or ""
}

func (s *server) adminRoles(w http.ResponseWriter, r *http.Request) error {
	settings, err := s.svc.Users.RoleSettings(r.Context())
	if err != nil {
		return err
	}
	rp := rolesPage{Settings: settings, Resources: crm.Resources}
	for _, role := range crm.Roles {
		row := make([]string, len(crm.Resources))
		for i, res := range crm.Resources {
			switch {
			case crm.RoleCan(role, crm.P(res, crm.Write)):
				row[i] = "write"
			case crm.RoleCan(role, crm.P(res, crm.Read)):
				row[i] = "read"
			}
		}
		rp.Matrix = append(rp.Matrix, row)
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("console.admin.roles")
	v.Data = rp
	if r.URL.Query().Get("saved") == "1" {
		v.Message = v.L.T("console.saved")
	}
	return s.ok(w, r, "admin_roles", v)
}

func (s *server) adminRoleUpdate(w http.ResponseWriter, r *http.Request) error {
	role := crm.Role(r.PostFormValue("role"))
	if err := s.svc.Users.SetRoleOwnOnly(r.Context(), role, r.PostFormValue("own_only") == "true"); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/roles?saved=1", http.StatusSeeOther)
	return nil
}
