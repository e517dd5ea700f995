package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Outbound webhook endpoints and their delivery log (admin-only,
// webhooks:read|write). An endpoint never carries its signing secret:
// the secret is in the answer to creating the endpoint and to rotating
// its secret, and nowhere else.

var webhooksR, webhooksW = crm.P(crm.ResWebhooks, crm.Read), crm.P(crm.ResWebhooks, crm.Write)

// webhookDoc is what an integrator needs to receive ecrm's webhooks; it
// is the description of create-webhook in the OpenAPI document.
const webhookDoc = "Each event is a POST with a JSON body `{\"type\", \"timestamp\", \"data\"}` and the Standard Webhooks headers: " +
	"`webhook-id` (the message id, the same on every retry: use it to drop duplicates), `webhook-timestamp` (unix seconds of the attempt) " +
	"and `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded " +
	"part of the secret after `whsec_` (during the 24 hours after a rotation two signatures, space-separated). " +
	"A 2xx answer within 15 seconds is success. Anything else is retried after 5 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h and 24 h, " +
	"then the delivery is marked failed; an endpoint failing for five days without a success is disabled. Redirects are not followed. " +
	"Events are sent when the change commits, without an ordering guarantee. Private, loopback and link-local addresses are refused " +
	"unless the server allows them (`webhook_allow_private`)."

// doc sets the operation's description.
func (o operation) doc(d string) operation {
	o.Description = d
	return o
}

type webhookOut struct{ Body *crm.WebhookEndpoint }

func (s *server) listWebhooks(ctx context.Context, _ *struct{}) (*items[*crm.WebhookEndpoint], error) {
	list, err := s.svc.Webhooks.FindWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

func (s *server) getWebhook(ctx context.Context, in *IDPath) (*webhookOut, error) {
	e, err := s.svc.Webhooks.FindWebhookByID(ctx, in.ID)
	return &webhookOut{e}, err
}

type webhookCreateInput struct {
	Idempotency
	Body crm.WebhookInput
}

// NewWebhookSecret is the answer to creating an endpoint or rotating its
// secret: the only time the secret is shown.
type NewWebhookSecret struct {
	Webhook *crm.WebhookEndpoint `json:"webhook"`
	Secret  string               `json:"secret" doc:"The signing secret (whsec_…, Standard Webhooks). It is shown only in this response; store it now."`
}

type webhookSecretOut struct{ Body NewWebhookSecret }

func (s *server) createWebhook(ctx context.Context, in *webhookCreateInput) (*webhookSecretOut, error) {
	e, secret, err := s.svc.Webhooks.CreateWebhook(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &webhookSecretOut{NewWebhookSecret{Webhook: e, Secret: secret}}, nil
}

type webhookUpdateInput struct {
	IDPath
	Body crm.WebhookInput
}

func (s *server) updateWebhook(ctx context.Context, in *webhookUpdateInput) (*webhookOut, error) {
	e, err := s.svc.Webhooks.UpdateWebhook(ctx, in.ID, in.Body)
	return &webhookOut{e}, err
}

func (s *server) deleteWebhook(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Webhooks.DeleteWebhook(ctx, in.ID)
}

type webhookIDInput struct {
	Idempotency
	IDPath
}

func (s *server) rotateWebhookSecret(ctx context.Context, in *webhookIDInput) (*webhookSecretOut, error) {
	e, secret, err := s.svc.Webhooks.RotateWebhookSecret(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &webhookSecretOut{NewWebhookSecret{Webhook: e, Secret: secret}}, nil
}

type deliveryOut struct{ Body *crm.WebhookDelivery }

func (s *server) testWebhook(ctx context.Context, in *webhookIDInput) (*deliveryOut, error) {
	d, err := s.svc.Webhooks.TestWebhook(ctx, in.ID)
	return &deliveryOut{d}, err
}

type deliveryListInput struct {
	request
	IDPath
	Status string `query:"status" enum:"pending,succeeded,failed" doc:"Only deliveries in this state."`
	Paging
}

func (in *deliveryListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"status", "limit", "after"}, false)
}

func (s *server) listWebhookDeliveries(ctx context.Context, in *deliveryListInput) (*listOutput[*crm.WebhookDelivery], error) {
	p, err := s.svc.Webhooks.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: in.ID, Status: in.Status, After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

func (s *server) getWebhookDelivery(ctx context.Context, in *IDPath) (*deliveryOut, error) {
	d, err := s.svc.Webhooks.FindWebhookDelivery(ctx, in.ID)
	return &deliveryOut{d}, err
}

func (s *server) retryWebhookDelivery(ctx context.Context, in *webhookIDInput) (*deliveryOut, error) {
	d, err := s.svc.Webhooks.RetryWebhookDelivery(ctx, in.ID)
	return &deliveryOut{d}, err
}
