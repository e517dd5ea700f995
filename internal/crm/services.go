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
	// Data collection with consent (consent.go, mail.go). Keys signs the
	// links that act without a login.
	Consents ConsentService
	Mail     MailService
	Keys     KeyService
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// KeyService hands out the link signer, whose key every server shares.
type KeyService interface {
	Signer(ctx context.Context) (*sign.Signer, error)
}
