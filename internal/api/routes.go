package api

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Permission shorthands for the route table.
var (
	contactsR, contactsW         = crm.P(crm.ResContacts, crm.Read), crm.P(crm.ResContacts, crm.Write)
	companiesR, companiesW       = crm.P(crm.ResCompanies, crm.Read), crm.P(crm.ResCompanies, crm.Write)
	activitiesR, activitiesW     = crm.P(crm.ResActivities, crm.Read), crm.P(crm.ResActivities, crm.Write)
	tasksR, tasksW               = crm.P(crm.ResTasks, crm.Read), crm.P(crm.ResTasks, crm.Write)
	customFieldsR, customFieldsW = crm.P(crm.ResCustomFields, crm.Read), crm.P(crm.ResCustomFields, crm.Write)
	usersR, usersW               = crm.P(crm.ResUsers, crm.Read), crm.P(crm.ResUsers, crm.Write)
	apiKeysR, apiKeysW           = crm.P(crm.ResAPIKeys, crm.Read), crm.P(crm.ResAPIKeys, crm.Write)
	auditR                       = crm.P(crm.ResAudit, crm.Read)
)

const (
	get, post, patch, del = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
)

// routes is the map of the API: every operation, with the permission its
// caller's key needs. Paths are relative to /api/v1. The store checks the
// same permissions again (and own-records-only), so this table is for
// early answers and for the document, not the security boundary.
func (s *server) routes(a huma.API) {
	handle(s, a, op(get, "/contacts", "list-contacts", "List contacts", contactsR), s.listContacts)
	handle(s, a, op(post, "/contacts", "create-contact", "Create a contact", contactsW).status(201), s.createContact)
	handle(s, a, op(post, "/contacts/bulk", "bulk-contacts", "Tag, reassign or delete many contacts", contactsW), s.bulkContacts)
	handle(s, a, op(get, "/contacts/{id}", "get-contact", "Get a contact", contactsR), s.getContact)
	handle(s, a, op(patch, "/contacts/{id}", "update-contact", "Update a contact (only the fields sent)", contactsW), s.updateContact)
	handle(s, a, op(del, "/contacts/{id}", "delete-contact", "Delete a contact", contactsW).status(204), s.deleteContact)
	handle(s, a, op(get, "/contacts/{id}/duplicates", "contact-duplicates", "Find likely duplicates of a contact", contactsR), s.contactDuplicates)
	handle(s, a, op(post, "/contacts/{id}/merge", "merge-contacts", "Merge another contact into this one", contactsW), s.mergeContacts)
	handle(s, a, op(get, "/contacts/{id}/activities", "contact-timeline", "A contact's timeline", contactsR, activitiesR), s.contactTimeline)

	handle(s, a, op(get, "/companies", "list-companies", "List companies", companiesR), s.listCompanies)
	handle(s, a, op(post, "/companies", "create-company", "Create a company", companiesW).status(201), s.createCompany)
	handle(s, a, op(get, "/companies/{id}", "get-company", "Get a company", companiesR), s.getCompany)
	handle(s, a, op(patch, "/companies/{id}", "update-company", "Update a company (only the fields sent)", companiesW), s.updateCompany)
	handle(s, a, op(del, "/companies/{id}", "delete-company", "Delete a company", companiesW).status(204), s.deleteCompany)

	handle(s, a, op(get, "/activities", "list-activities", "List activities, newest first", activitiesR), s.listActivities)
	handle(s, a, op(post, "/activities", "create-activity", "Log a note, call, meeting or email", activitiesW).status(201), s.createActivity)
	handle(s, a, op(get, "/activities/{id}", "get-activity", "Get an activity", activitiesR), s.getActivity)
	handle(s, a, op(patch, "/activities/{id}", "update-activity", "Update an activity (only the fields sent)", activitiesW), s.updateActivity)
	handle(s, a, op(del, "/activities/{id}", "delete-activity", "Delete an activity", activitiesW).status(204), s.deleteActivity)

	handle(s, a, op(get, "/tasks", "list-tasks", "List tasks, soonest due first", tasksR), s.listTasks)
	handle(s, a, op(post, "/tasks", "create-task", "Create a task", tasksW).status(201), s.createTask)
	handle(s, a, op(get, "/tasks/{id}", "get-task", "Get a task", tasksR), s.getTask)
	handle(s, a, op(patch, "/tasks/{id}", "update-task", "Update a task (only the fields sent)", tasksW), s.updateTask)
	handle(s, a, op(del, "/tasks/{id}", "delete-task", "Delete a task", tasksW).status(204), s.deleteTask)

	handle(s, a, op(get, "/custom-fields", "list-custom-fields", "List custom field definitions", customFieldsR), s.listCustomFields)
	handle(s, a, op(post, "/custom-fields", "create-custom-field", "Define a custom field", customFieldsW).status(201), s.createCustomField)
	handle(s, a, op(get, "/custom-fields/{id}", "get-custom-field", "Get a custom field definition", customFieldsR), s.getCustomField)
	handle(s, a, op(patch, "/custom-fields/{id}", "update-custom-field", "Update a custom field (key and entity are fixed)", customFieldsW), s.updateCustomField)
	handle(s, a, op(del, "/custom-fields/{id}", "delete-custom-field", "Delete a custom field definition", customFieldsW).status(204), s.deleteCustomField)

	handle(s, a, op(get, "/users", "list-users", "List staff users", usersR), s.listUsers)
	handle(s, a, op(post, "/users", "create-user", "Create a staff user", usersW).status(201), s.createUser)
	handle(s, a, op(patch, "/users/{id}", "update-user", "Update a staff user", usersW), s.updateUser)

	handle(s, a, op(get, "/api-keys", "list-api-keys", "List API keys (never their secrets)", apiKeysR), s.listAPIKeys)
	handle(s, a, op(post, "/api-keys", "create-api-key", "Create an API key; the secret is returned once", apiKeysW).status(201), s.createAPIKey)
	handle(s, a, op(del, "/api-keys/{id}", "revoke-api-key", "Revoke an API key", apiKeysW).status(204), s.revokeAPIKey)

	handle(s, a, op(get, "/audit", "list-audit", "Read the audit log, newest first", auditR), s.listAudit)

	// Outbound webhooks (webhooks.go): admin-only endpoints and their delivery log.
	handle(s, a, op(get, "/webhooks", "list-webhooks", "List webhook endpoints (never their secrets)", webhooksR), s.listWebhooks)
	handle(s, a, op(post, "/webhooks", "create-webhook", "Create a webhook endpoint; its signing secret is returned once", webhooksW).status(201).doc(webhookDoc), s.createWebhook)
	handle(s, a, op(get, "/webhooks/{id}", "get-webhook", "Get a webhook endpoint", webhooksR), s.getWebhook)
	handle(s, a, op(patch, "/webhooks/{id}", "update-webhook", "Update a webhook endpoint (only the fields sent)", webhooksW), s.updateWebhook)
	handle(s, a, op(del, "/webhooks/{id}", "delete-webhook", "Delete a webhook endpoint with its delivery log", webhooksW).status(204), s.deleteWebhook)
	handle(s, a, op(post, "/webhooks/{id}/rotate-secret", "rotate-webhook-secret", "Issue a new signing secret, returned once; the old one keeps signing for 24 hours", webhooksW), s.rotateWebhookSecret)
	handle(s, a, op(post, "/webhooks/{id}/test", "test-webhook", "Queue a ping event to the endpoint", webhooksW).status(202), s.testWebhook)
	handle(s, a, op(get, "/webhooks/{id}/deliveries", "list-webhook-deliveries", "An endpoint's deliveries, newest first", webhooksR), s.listWebhookDeliveries)
	handle(s, a, op(get, "/webhook-deliveries/{id}", "get-webhook-delivery", "Get a delivery with its attempt log", webhooksR), s.getWebhookDelivery)
	handle(s, a, op(post, "/webhook-deliveries/{id}/retry", "retry-webhook-delivery", "Send a delivery again now", webhooksW), s.retryWebhookDelivery)

	// Forms and their submissions (forms.go).
	registerForms(s, a)

	// Commerce (products.go, inventory.go, orders.go).
	productsR, productsW := crm.P(crm.ResProducts, crm.Read), crm.P(crm.ResProducts, crm.Write)
	inventoryR, inventoryW := crm.P(crm.ResInventory, crm.Read), crm.P(crm.ResInventory, crm.Write)
	ordersR, ordersW := crm.P(crm.ResOrders, crm.Read), crm.P(crm.ResOrders, crm.Write)
	handle(s, a, op(get, "/products", "list-products", "List products with their stock", productsR), s.listProducts)
	handle(s, a, op(post, "/products", "create-product", "Create a product; stock books the opening receipt (needs inventory:write too)", productsW).status(201), s.createProduct)
	handle(s, a, op(get, "/products/{id}", "get-product", "Get a product with on-hand, reserved and available stock", productsR), s.getProduct)
	handle(s, a, op(patch, "/products/{id}", "update-product", "Update a product (only the fields sent); placed orders keep their prices", productsW), s.updateProduct)
	handle(s, a, op(del, "/products/{id}", "delete-product", "Delete a product that was never ordered", productsW).status(204), s.deleteProduct)
	handle(s, a, op(get, "/inventory", "list-stock", "Stock levels per product and location", inventoryR), s.listStock)
	handle(s, a, op(get, "/inventory/movements", "list-movements", "The stock ledger, newest first", inventoryR), s.listMovements)
	handle(s, a, op(post, "/inventory/movements", "create-movement", "Book a receipt or a stock-count adjustment", inventoryW).status(201), s.createMovement)
	handle(s, a, op(get, "/orders", "list-orders", "List orders, newest first", ordersR), s.listOrders)
	handle(s, a, op(post, "/orders", "create-order", "Place an order: stock is reserved for every line or nothing happens (409 names the line)", ordersW).status(201), s.createOrder)
	handle(s, a, op(get, "/orders/{id}", "get-order", "Get an order with its lines and tracking history", ordersR), s.getOrder)
	handle(s, a, op(post, "/orders/{id}/status", "set-order-status", "Move an order along pending → paid → shipped → delivered, or cancel, return, refund", ordersW), s.setOrderStatus)
	handle(s, a, op(get, "/contacts/{id}/facts", "contact-facts", "A contact's purchase facts", contactsR, ordersR), s.contactFacts)
	handle(s, a, op(get, "/shop-settings", "get-shop-settings", "Shop settings (the reporting currency)", ordersR), s.getShopSettings)
	handle(s, a, op(patch, "/shop-settings", "update-shop-settings", "Change the shop currency; purchase facts are recomputed", usersW), s.updateShopSettings)

	// Historical order import and the sales report (order_import.go, reports.go).
	registerOrderImport(s, a, op(post, "/orders/import", "import-orders", "Import historical orders from a CDNOW or CSV file; returns the report",
		crm.P(crm.ResImport, crm.Write), crm.P(crm.ResOrders, crm.Write), crm.P(crm.ResContacts, crm.Write)))
	handle(s, a, op(get, "/reports/sales", "sales-report", "Sales figures: revenue by month, new vs returning, repeat rate, purchase gaps, top products",
		crm.P(crm.ResReports, crm.Read)), s.salesReport)

	// Sales pipeline (pipelines.go, deals.go).
	pipelinesR, pipelinesW := crm.P(crm.ResPipelines, crm.Read), crm.P(crm.ResPipelines, crm.Write)
	dealsR, dealsW := crm.P(crm.ResDeals, crm.Read), crm.P(crm.ResDeals, crm.Write)
	handle(s, a, op(get, "/pipelines", "list-pipelines", "List pipelines with their stages", pipelinesR), s.listPipelines)
	handle(s, a, op(post, "/pipelines", "create-pipeline", "Create a pipeline (the default five stages when none are given)", pipelinesW).status(201), s.createPipeline)
	handle(s, a, op(get, "/pipelines/{id}", "get-pipeline", "Get a pipeline", pipelinesR), s.getPipeline)
	handle(s, a, op(patch, "/pipelines/{id}", "update-pipeline", "Rename a pipeline or replace its stage list", pipelinesW), s.updatePipeline)
	handle(s, a, op(del, "/pipelines/{id}", "delete-pipeline", "Delete a pipeline without deals", pipelinesW).status(204), s.deletePipeline)
	handle(s, a, op(post, "/pipelines/{id}/stages", "create-stage", "Add a stage to a pipeline", pipelinesW).status(201), s.createStage)
	handle(s, a, op(patch, "/pipelines/{id}/stages/{stage_id}", "update-stage", "Rename, reweigh or move a stage", pipelinesW), s.updateStage)
	handle(s, a, op(del, "/pipelines/{id}/stages/{stage_id}", "delete-stage", "Delete a stage without deals", pipelinesW).status(204), s.deleteStage)
	handle(s, a, op(get, "/deals", "list-deals", "List deals", dealsR), s.listDeals)
	handle(s, a, op(post, "/deals", "create-deal", "Create a deal", dealsW).status(201), s.createDeal)
	handle(s, a, op(get, "/deals/forecast", "deal-forecast", "Weighted pipeline by month and owner, per currency", dealsR), s.dealForecast)
	handle(s, a, op(get, "/deals/{id}", "get-deal", "Get a deal with its lines and stage history", dealsR), s.getDeal)
	handle(s, a, op(patch, "/deals/{id}", "update-deal", "Update a deal (only the fields sent)", dealsW), s.updateDeal)
	handle(s, a, op(del, "/deals/{id}", "delete-deal", "Delete a deal", dealsW).status(204), s.deleteDeal)
	handle(s, a, op(post, "/deals/{id}/stage", "move-deal", "Move a deal to another stage of its pipeline", dealsW), s.moveDeal)
	handle(s, a, op(post, "/deals/{id}/accept-quote", "accept-quote", "Turn the deal's quote into an order and mark the deal won", dealsW, crm.P(crm.ResOrders, crm.Write)).status(201), s.acceptQuote)

	// Passive collection: tracking sites, events, visitors, identify (tracking.go).
	registerTracking(s, a)

	// Consent ledger (consents.go).
	s.consentRoutes(a)
	// Mail settings, outbox and test send (mail.go): admins.
	s.mailRoutes(a)
	// Surveys (surveys.go).
	s.surveyRoutes(a)
	// Segments (segments.go).
	s.segmentRoutes(a)
	// Customer value scores and the value report (scores.go).
	s.scoreRoutes(a)
	// Costs and the cohort and economics reports (costs.go).
	s.costRoutes(a)
	// Recommendations (recommendations.go).
	s.recommendationRoutes(a)
}
