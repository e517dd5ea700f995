package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

// deliveryPageSize keeps the log page light: each delivery brings its
// attempts along.
const deliveryPageSize = 20

type webhookPage struct {
	Endpoint   *crm.WebhookEndpoint
	Events     []string
	Statuses   []string
	Status     string
	Deliveries []deliveryRow
	Next       string // URL of the next (older) page
	Secret     string // shown once, right after a rotation
}

// deliveryRow is a delivery with its payload indented for reading (by
// indentJSON of the audit page); the template escapes it like any text.
type deliveryRow struct {
	*crm.WebhookDelivery
	Pretty string
}

func (s *server) webhookView(r *http.Request, id int64, vals url.Values) (*view, error) {
	ctx := r.Context()
	ep, err := s.svc.Webhooks.FindWebhookByID(ctx, id)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	status := q.Get("status")
	if !slices.Contains(crm.DeliveryStatuses, status) {
		status = ""
	}
	page, err := s.svc.Webhooks.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: id, Status: status, After: q.Get("after"), Limit: deliveryPageSize})
	if err != nil {
		return nil, err
	}
	p := webhookPage{Endpoint: ep, Events: crm.EventTypes, Statuses: crm.DeliveryStatuses, Status: status}
	for _, d := range page.Items {
		full, err := s.svc.Webhooks.FindWebhookDelivery(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		p.Deliveries = append(p.Deliveries, deliveryRow{full, indentJSON(full.Payload)})
	}
	if page.Next != "" {
		next := url.Values{"after": {page.Next}}
		if status != "" {
			next.Set("status", status)
		}
		p.Next = webhookURL(id, "") + "?" + next.Encode()
	}
	v := s.newView(r, "admin")
	v.Title = ep.URL
	if vals == nil {
		vals = url.Values{"url": {ep.URL}, "description": {ep.Description}, "event": ep.Events}
	}
	v.Form = newForm(vals)
	v.Data = p
	doneNotice(v, q.Get("done"))
	return v, nil
}

func (s *server) adminWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.webhookView(r, id, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "admin_webhooks_show", v)
}
