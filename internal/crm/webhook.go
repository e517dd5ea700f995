package crm

import (
	"context"
	"time"
)

// WebhookEndpoint is a URL that hears of changes as they commit, signed
// per the Standard Webhooks specification. The signing secret is not part
// of this type on purpose: it is returned once, on creation and rotation,
// so it can never leak through a list, a read, the audit log or an export.
type WebhookEndpoint struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events" doc:"Event types this endpoint receives; [\"*\"] for all."`
	Active      bool     `json:"active"`
	// HasSecret is false after a restore from an export, which holds no
	// secrets; deliveries wait until the secret is rotated.
	HasSecret bool `json:"has_secret" doc:"False after a restore from an export (which holds no secrets): rotate the secret to resume deliveries."`
	// FailingSince is when deliveries began failing without a success
	// since; an endpoint failing for WebhookDisableAfter is disabled.
	FailingSince   *time.Time `json:"failing_since"`
	DisabledReason string     `json:"disabled_reason" doc:"Why the endpoint was disabled automatically, empty otherwise."`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Subscribed reports whether the endpoint receives event.
func (e *WebhookEndpoint) Subscribed(event string) bool {
	for _, s := range e.Events {
		if s == WebhookAllEvents || s == event {
			return true
		}
	}
	return false
}

// WebhookInput is what may be set on an endpoint; nil fields are unchanged.
type WebhookInput struct {
	URL         *string `json:"url,omitempty" maxLength:"2000"`
	Description *string `json:"description,omitempty" maxLength:"500"`
	// The enum repeats EventTypes for the OpenAPI document; a test keeps
	// the two equal.
	Events *[]string `json:"events,omitempty" maxItems:"50" enum:"*,contact.created,contact.updated,contact.deleted,contact.merged,contact.import_completed,order.created,order.status_changed,stock.low,deal.created,deal.stage_changed,deal.won,deal.lost,consent.changed,segment.entered,segment.left" doc:"Event types to receive, or [\"*\"] for all (the default)."`
	Active *bool     `json:"active,omitempty"`
}

// Delivery states. A pending delivery waits for its next attempt; the
// other two are final (a failed one may still be retried by hand).
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// DeliveryStatuses lists the states, for filters.
var DeliveryStatuses = []string{DeliveryPending, DeliverySucceeded, DeliveryFailed}

// WebhookPing is the event type of a test delivery; endpoints receive it
// whatever they subscribe to.
const WebhookPing = "ping"

// WebhookAllEvents subscribes an endpoint to every event type.
const WebhookAllEvents = "*"

// WebhookBackoff is the wait after each failed attempt: about three days
// in all, long enough to outlast a weekend outage. After the last wait's
// attempt fails the delivery is marked failed.
var WebhookBackoff = []time.Duration{
	5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 24 * time.Hour,
}

// WebhookMaxAttempts is the first attempt plus one per back-off step.
var WebhookMaxAttempts = len(WebhookBackoff) + 1

// WebhookDisableAfter is how long an endpoint may fail without a single
// success before it is disabled, so a dead URL stops costing attempts.
const WebhookDisableAfter = 5 * 24 * time.Hour

// WebhookDelivery is one message on its way to one endpoint. MessageID is
// the webhook-id header: the same on every retry, so receivers can drop
// duplicates.
type WebhookDelivery struct {
	ID            int64      `json:"id"`
	EndpointID    int64      `json:"endpoint_id"`
	MessageID     string     `json:"message_id"`
	Event         string     `json:"event"`
	Payload       string     `json:"payload" doc:"The JSON body sent, exactly as signed."`
	Status        string     `json:"status" enum:"pending,succeeded,failed"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastCode      int        `json:"last_response_code" doc:"HTTP status of the latest attempt; 0 when none answered."`
	LastError     string     `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
	// AttemptLog is filled when one delivery is read, newest first.
	AttemptLog []*WebhookAttempt `json:"attempt_log,omitempty"`
}

// WebhookAttempt is one try at a delivery: the delivery log.
type WebhookAttempt struct {
	ID           int64     `json:"id"`
	DeliveryID   int64     `json:"delivery_id"`
	At           time.Time `json:"at"`
	ResponseCode int       `json:"response_code"`
	ResponseBody string    `json:"response_body" doc:"The first 2 KB of the answer."`
	DurationMS   int64     `json:"duration_ms"`
	Error        string    `json:"error"`
}

// WebhookDeliveryFilter selects an endpoint's deliveries, newest first.
type WebhookDeliveryFilter struct {
	EndpointID int64
	Status     string
	After      string
	Limit      int
}

// WebhookService is implemented by the store. Endpoints are admin-only
// (ResWebhooks): their URLs and payloads carry every customer's data.
type WebhookService interface {
	FindWebhooks(ctx context.Context) ([]*WebhookEndpoint, error)
	FindWebhookByID(ctx context.Context, id int64) (*WebhookEndpoint, error)
	CreateWebhook(ctx context.Context, in WebhookInput) (ep *WebhookEndpoint, secret string, err error)
	UpdateWebhook(ctx context.Context, id int64, in WebhookInput) (*WebhookEndpoint, error)
	DeleteWebhook(ctx context.Context, id int64) error
	// RotateWebhookSecret replaces the secret; the old one still signs
	// (as a second signature) for WebhookSecretOverlap.
	RotateWebhookSecret(ctx context.Context, id int64) (ep *WebhookEndpoint, secret string, err error)
	FindWebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) (Page[*WebhookDelivery], error)
	FindWebhookDelivery(ctx context.Context, id int64) (*WebhookDelivery, error)
	// TestWebhook queues a ping to the endpoint.
	TestWebhook(ctx context.Context, id int64) (*WebhookDelivery, error)
	// RetryWebhookDelivery sends a delivery again now: one more attempt
	// for a failed one, no more waiting for a pending one.
	RetryWebhookDelivery(ctx context.Context, id int64) (*WebhookDelivery, error)
}

// WebhookSecretOverlap is how long a rotated-out secret keeps signing, so
// receivers can switch to the new one without dropping messages.
const WebhookSecretOverlap = 24 * time.Hour

// WebhookJob is a claimed delivery as the worker needs it: what to send
// where and with which secrets. It never leaves the process.
type WebhookJob struct {
	DeliveryID int64
	EndpointID int64
	URL        string
	MessageID  string
	Payload    []byte
	Attempt    int // 1 for the first try
	Secrets    []string
}

// WebhookResult is the outcome of one attempt, recorded by the store.
type WebhookResult struct {
	DeliveryID   int64
	Attempt      int
	At           time.Time
	ResponseCode int
	ResponseBody string
	Duration     time.Duration
	Error        string
}

// OK reports whether the attempt succeeded: any 2xx answer.
func (r WebhookResult) OK() bool {
	return r.Error == "" && r.ResponseCode >= 200 && r.ResponseCode < 300
}

// WebhookQueue is the durable outbox the delivery worker drains. Claims
// take a lease, so several servers on one database never send the same
// attempt twice.
type WebhookQueue interface {
	ClaimWebhookJobs(ctx context.Context, lease time.Duration, n int) ([]*WebhookJob, error)
	RecordWebhookResult(ctx context.Context, r WebhookResult) error
	// PruneWebhookDeliveries deletes final deliveries (and their
	// attempts) created before the cutoff, and returns how many.
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int64, error)
}

// WebhookRetention is how long the delivery log keeps finished
// deliveries: long enough to answer "did you send it?" about last month.
const WebhookRetention = 30 * 24 * time.Hour
