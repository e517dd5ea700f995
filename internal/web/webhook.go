package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
)

// The webhooks console (admins): endpoints with a create form, and per
// endpoint its settings, actions and delivery log. A signing secret is
// shown on the page that answers its creation or rotation, and never
// again.

type webhooksPage struct {
	Endpoints []*crm.WebhookEndpoint
	Events    []string
	Secret    string
	Created   *crm.WebhookEndpoint
}

func (s *server) webhooksView(r *http.Request, vals url.Values) (*view, error) {
	list, err := s.svc.Webhooks.FindWebhooks(r.Context())
	if err != nil {
		return nil, err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("webhooks.title")
	if vals == nil {
		vals = url.Values{"event": {crm.WebhookAllEvents}}
	}
	v.Form = newForm(vals)
	v.Data = webhooksPage{Endpoints: list, Events: crm.EventTypes}
	return v, nil
}

func (s *server) adminWebhooks(w http.ResponseWriter, r *http.Request) error {
	v, err := s.webhooksView(r, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "admin_webhooks", v)
}

// webhookInput reads the endpoint form. The events are checkboxes; "*"
// among them means every event.
func webhookInput(f url.Values) crm.WebhookInput {
	u, desc := f.Get("url"), f.Get("description")
	events := f["event"]
	if events == nil {
		events = []string{}
	}
	return crm.WebhookInput{URL: &u, Description: &desc, Events: &events}
}

func (s *server) adminWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	ep, secret, err := s.svc.Webhooks.CreateWebhook(r.Context(), webhookInput(r.PostForm))
	if err != nil {
		v, verr := s.webhooksView(r, url.Values{"url": {r.PostFormValue("url")}, "description": {r.PostFormValue("description")}, "event": r.PostForm["event"]})
		if verr != nil {
			return verr
		}
		return redisplay(err, "admin_webhooks", v)
	}
	v, err := s.webhooksView(r, nil)
	if err != nil {
		return err
	}
	p := v.Data.(webhooksPage)
	p.Secret, p.Created = secret, ep
	v.Data = p
	s.render(w, r, http.StatusCreated, "admin_webhooks", v)
	return nil
}

// webhookDone are the notices a redirect back to an endpoint may ask
// for; anything else in ?done= is ignored.
var webhookDone = []string{"test", "retry", "enabled", "disabled", "saved"}

func webhookURL(id int64, done string) string {
	u := "/admin/webhooks/" + strconv.FormatInt(id, 10)
	if done != "" {
		u += "?done=" + done
	}
	return u
}

func (s *server) adminWebhookUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	if _, err := s.svc.Webhooks.UpdateWebhook(r.Context(), id, webhookInput(r.PostForm)); err != nil {
		v, verr := s.webhookView(r, id, url.Values{"url": {r.PostFormValue("url")}, "description": {r.PostFormValue("description")}, "event": r.PostForm["event"]})
		if verr != nil {
			return verr
		}
		return redisplay(err, "admin_webhooks_show", v)
	}
	http.Redirect(w, r, webhookURL(id, "saved"), http.StatusSeeOther)
	return nil
}

// adminWebhookActive switches an endpoint on or off.
func (s *server) adminWebhookActive(on bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if _, err := s.svc.Webhooks.UpdateWebhook(r.Context(), id, crm.WebhookInput{Active: &on}); err != nil {
			return err
		}
		done := "disabled"
		if on {
			done = "enabled"
		}
		http.Redirect(w, r, webhookURL(id, done), http.StatusSeeOther)
		return nil
	}
}

func (s *server) adminWebhookTest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.Webhooks.TestWebhook(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, webhookURL(id, "test"), http.StatusSeeOther)
	return nil
}

// adminWebhookRotate answers with the endpoint page showing the new
// secret: a redirect would have to carry it in a URL.
func (s *server) adminWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, secret, err := s.svc.Webhooks.RotateWebhookSecret(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.webhookView(r, id, nil)
	if err != nil {
		return err
	}
	p := v.Data.(webhookPage)
	p.Secret = secret
	v.Data = p
	return s.ok(w, r, "admin_webhooks_show", v)
}

func (s *server) adminWebhookDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ep, err := s.svc.Webhooks.FindWebhookByID(r.Context(), id)
	if err != nil {
		return err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("webhooks.delete_title")
	v.Data = confirmPage{Message: v.L.T("webhooks.delete_confirm"), Detail: []string{ep.URL},
		Action: webhookURL(id, "") + "/delete", Submit: v.L.T("console.delete"), Cancel: webhookURL(id, ""), Danger: true}
	return s.ok(w, r, "confirm", v)
}

func (s *server) adminWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Webhooks.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/webhooks", http.StatusSeeOther)
	return nil
}

func (s *server) adminDeliveryRetry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.svc.Webhooks.RetryWebhookDelivery(r.Context(), id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, webhookURL(d.EndpointID, "retry"), http.StatusSeeOther)
	return nil
}

func doneNotice(v *view, done string) {
	if slices.Contains(webhookDone, done) {
		v.Message = v.L.T("webhooks.done." + done)
	}
}
