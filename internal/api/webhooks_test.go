package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, webhookMatrix) }

// webhookMatrix adds every webhook operation to the authorisation
// matrix; its snapshot is the endpoints and their deliveries.
func webhookMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	ep, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr("https://shop.example/hooks")})
	must(t, err)
	gone, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr("https://old.example/hooks")})
	must(t, err)
	d, err := db.TestWebhook(ctx, ep.ID)
	must(t, err)
	id, did := fmt.Sprint(ep.ID), fmt.Sprint(d.ID)
	routes := []matrixRoute{
		{"GET", "/webhooks", nil, ps(webhooksR)},
		{"POST", "/webhooks", map[string]any{"url": "https://new.example/hooks", "events": []string{"contact.created"}}, ps(webhooksW)},
		{"GET", "/webhooks/" + id, nil, ps(webhooksR)},
		{"PATCH", "/webhooks/" + id, map[string]any{"description": "Shop"}, ps(webhooksW)},
		{"POST", "/webhooks/" + id + "/rotate-secret", nil, ps(webhooksW)},
		{"POST", "/webhooks/" + id + "/test", nil, ps(webhooksW)},
		{"GET", "/webhooks/" + id + "/deliveries", nil, ps(webhooksR)},
		{"GET", "/webhook-deliveries/" + did, nil, ps(webhooksR)},
		{"POST", "/webhook-deliveries/" + did + "/retry", nil, ps(webhooksW)},
		{"DELETE", fmt.Sprintf("/webhooks/%d", gone.ID), nil, ps(webhooksW)},
	}
	snap := func() any {
		list, err := db.FindWebhooks(ctx)
		must(t, err)
		out := []any{list}
		for _, e := range list {
			p, err := db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: e.ID, Limit: 500})
			must(t, err)
			out = append(out, p.Items)
		}
		return out
	}
	return routes, snap
}

// TestWebhooksAPI: the secret is in the create and rotate answers only;
// bad input is a 422 naming the field; the delivery log is readable and
// a delivery can be retried.
func TestWebhooksAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		key := e.key("webhooks:write")
		reader := e.key("webhooks:read")
		r := e.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://shop.example/hooks", "description": "Shop", "events": []string{"order.created", "contact.created"}}, key)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created NewWebhookSecret
		r.decode(t, &created)
		secret, id := created.Secret, fmt.Sprint(created.Webhook.ID)
		if !strings.HasPrefix(secret, "whsec_") || created.Webhook.Events[0] != "contact.created" {
			t.Fatalf("created %s", r.body)
		}
		e.run(t, []scenario{
			{name: "list hides the secret", method: "GET", url: "/api/v1/webhooks", key: reader, wantStatus: 200, wantContains: []string{`"url":"https://shop.example/hooks"`}, wantAbsent: []string{secret, "whsec_"}},
			{name: "get hides the secret", method: "GET", url: "/api/v1/webhooks/" + id, key: reader, wantStatus: 200, wantContains: []string{`"has_secret":true`}, wantAbsent: []string{secret, "whsec_"}},
			{name: "bad scheme", method: "POST", url: "/api/v1/webhooks", key: key, body: map[string]any{"url": "file:///etc/passwd"}, wantStatus: 422, wantContains: []string{`body.url`}},
			{name: "credentials in URL", method: "POST", url: "/api/v1/webhooks", key: key, body: map[string]any{"url": "https://u:p@shop.example/"}, wantStatus: 422, wantContains: []string{`body.url`}},
			{name: "numeric host", method: "POST", url: "/api/v1/webhooks", key: key, body: map[string]any{"url": "http://2130706433/"}, wantStatus: 422, wantContains: []string{`body.url`}},
			{name: "unknown event", method: "POST", url: "/api/v1/webhooks", key: key, body: map[string]any{"url": "https://shop.example/", "events": []string{"order.exploded"}}, wantStatus: 422, wantContains: []string{`body.events`}},
			{name: "unknown field", method: "POST", url: "/api/v1/webhooks", key: key, body: map[string]any{"url": "https://shop.example/", "secret": "whsec_mine"}, wantStatus: 422},
			{name: "update", method: "PATCH", url: "/api/v1/webhooks/" + id, key: key, body: map[string]any{"events": []string{"*"}, "active": false}, wantStatus: 200, wantContains: []string{`"events":["*"]`, `"active":false`, `"description":"Shop"`}},
			{name: "ping to a disabled endpoint", method: "POST", url: "/api/v1/webhooks/" + id + "/test", key: key, wantStatus: 409},
			{name: "enable", method: "PATCH", url: "/api/v1/webhooks/" + id, key: key, body: map[string]any{"active": true}, wantStatus: 200, wantContains: []string{`"active":true`}},
			{name: "ping", method: "POST", url: "/api/v1/webhooks/" + id + "/test", key: key, wantStatus: 202, wantContains: []string{`"event":"ping"`, `"status":"pending"`}},
			{name: "deliveries", method: "GET", url: "/api/v1/webhooks/" + id + "/deliveries?status=pending", key: reader, wantStatus: 200, wantContains: []string{`"event":"ping"`}, wantAbsent: []string{secret}},
			{name: "deliveries bad status", method: "GET", url: "/api/v1/webhooks/" + id + "/deliveries?status=lost", key: reader, wantStatus: 422},
			{name: "deliveries unknown parameter", method: "GET", url: "/api/v1/webhooks/" + id + "/deliveries?state=pending", key: reader, wantStatus: 422},
			{name: "deliveries of a missing endpoint", method: "GET", url: "/api/v1/webhooks/999999/deliveries", key: reader, wantStatus: 404},
			{name: "reader cannot rotate", method: "POST", url: "/api/v1/webhooks/" + id + "/rotate-secret", key: reader, wantStatus: 403},
		})
		var list struct{ Items []crm.WebhookDelivery }
		e.do("GET", "/api/v1/webhooks/"+id+"/deliveries", nil, reader).decode(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("deliveries: %+v", list)
		}
		did := fmt.Sprint(list.Items[0].ID)
		r = e.do("POST", "/api/v1/webhooks/"+id+"/rotate-secret", nil, key)
		var rotated NewWebhookSecret
		r.decode(t, &rotated)
		if r.status != 200 || rotated.Secret == secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		e.run(t, []scenario{
			{name: "delivery with its log", method: "GET", url: "/api/v1/webhook-deliveries/" + did, key: reader, wantStatus: 200, wantContains: []string{`"attempts":0`, `"message_id":"msg_`}},
			{name: "retry", method: "POST", url: "/api/v1/webhook-deliveries/" + did + "/retry", key: key, wantStatus: 200, wantContains: []string{`"status":"pending"`}},
			{name: "retry missing", method: "POST", url: "/api/v1/webhook-deliveries/999999/retry", key: key, wantStatus: 404},
			{name: "audit has no secret", method: "GET", url: "/api/v1/audit?entity=webhook", key: e.key("audit:read"), wantStatus: 200, wantContains: []string{`"rotate_secret"`}, wantAbsent: []string{secret, rotated.Secret}},
			{name: "delete", method: "DELETE", url: "/api/v1/webhooks/" + id, key: key, wantStatus: 204},
			{name: "gone", method: "GET", url: "/api/v1/webhooks/" + id, key: reader, wantStatus: 404},
			{name: "its deliveries are gone", method: "GET", url: "/api/v1/webhook-deliveries/" + did, key: reader, wantStatus: 404},
		})
	})
}
