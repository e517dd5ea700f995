package crm

import (
	"context"
	"time"

	"github.com/ecrm/ecrm/internal/sign"
)

// Services bundles every service an adapter (console, API, CLI) needs. The
// store fills it; the adapters never see SQL.
type Services struct {
	Contacts     ContactService
	Companies    CompanyService
	Activities   ActivityService
	Tasks        TaskService
	CustomFields CustomFieldService
	Users        UserService
	APIKeys      APIKeyService
	Audit        AuditService
	Views        ViewService
	Idempotency  IdempotencyService
	Products     ProductService
	Inventory    InventoryService
	Orders       OrderService
	Facts        FactsService
	// Sales pipeline (deals.go, pipeline.go).
	Pipelines PipelineService
	Deals     DealService
	// Outbound webhooks (webhook.go).
	Webhooks WebhookService
	// Sales reports and historical order import (report.go).
	Reports      ReportService
	OrderImports OrderImportService
	// Data collection with consent (consent.go, mail.go). Links signs the
	// links that act without a login.
	Consents ConsentService
	Mail     MailService
	Links    LinkService
	// Passive collection: tracking sites, visitors and events (tracking.go).
	Tracking TrackingService
	// Forms with double opt-in (form.go).
	Forms FormService
	// NPS, CSAT and custom surveys (survey.go).
	Surveys SurveyService
	// Costs and the cohort and economics reports (cost.go, economics.go).
	Costs CostService
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Segments select people for every later feature (segment.go).
	Segments SegmentService
	// Customer value scores: RFM, BG/NBD, Gamma-Gamma, CLV (scores.go).
	Scores ScoreService
	// Recommendations: similar products and next best products (recommend.go).
	Recommendations RecommendationService
}

// LinkService makes the links that act without a login (double opt-in,
// preference centre, surveys) and are sent by mail: the signer, whose key
// every server shares, and the public base URL the links start with.
type LinkService interface {
	Signer(ctx context.Context) (*sign.Signer, error)
	// PublicURL is the settings' "public_url" (no trailing slash), or
	// DefaultPublicURL when unset.
	PublicURL(ctx context.Context) string
	// PreferencesURL is a contact's preference-centre link (/p/{token}),
	// for the footer of every message to them: the newest, once revoked.
	PreferencesURL(ctx context.Context, contactID int64) (string, error)
	PreferenceLinkService
}

// DefaultPublicURL is where links point before an admin sets the public URL.
const DefaultPublicURL = "http://localhost:8080"

// Token purposes: a token made for one never opens another.
const (
	TokenOptIn       = "optin"       // subject: form submission id
	TokenPreferences = "preferences" // subject: contact id, then ":version" once revoked
	TokenSurvey      = "survey"      // subject: "surveyID:contactID"
)
