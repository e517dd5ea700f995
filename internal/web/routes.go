package web

import (
	"net/http"

	"github.com/ecrm/ecrm/internal/crm"
)

// handler is a console handler: it returns an error and serveError turns it
// into a page, so no handler writes error responses itself.
type handler func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the console's map. Public routes need no session;
// every other route needs a signed-in user holding all of perms (none means
// "any signed-in user"). The permission here gives an early 403 and hides
// links; the store checks again on every call.
type route struct {
	pattern string // "METHOD /path"
	public  bool
	perms   []crm.Permission
	h       handler
}

func p(res string, a crm.Action) crm.Permission { return crm.P(res, a) }

// routeTable is the map of the console: every URL, and what it needs.
func (s *server) routeTable() []route {
	const R, W = crm.Read, crm.Write
	pub := func(pattern string, h handler) route { return route{pattern: pattern, public: true, h: h} }
	auth := func(pattern string, h handler, perms ...crm.Permission) route {
		return route{pattern: pattern, perms: perms, h: h}
	}
	return []route{
		pub("GET /static/{file...}", s.static), // vendor files live one folder down
		pub("GET /favicon.ico", s.favicon),
		pub("GET /login", s.loginForm),
		pub("POST /login", s.login),
		// Public forms (form_public.go): the hosted page, its embed script
		// and the double opt-in confirmation (GET shows a button, POST confirms).
		pub("GET /f/{slug}", s.publicForm),
		pub("POST /f/{slug}", s.publicSubmit),
		pub("GET /f/{slug}/{part}", s.embedScript),
		pub("GET /f/confirm/{token}", s.optInPage),
		pub("POST /f/confirm/{token}", s.optInConfirm),

		// The preference centre: a signed link, no login (preferences.go).
		pub("GET /p/{token}", s.preferences),
		pub("POST /p/{token}", s.preferencesSave),
		// Public survey pages (survey_public.go): a personal link's token or
		// a survey open to anonymous answers; rate-limited per IP.
		pub("GET /s/{slug}", s.publicSurveyPage),
		pub("POST /s/{slug}", s.publicSurveyAnswer),

		auth("POST /logout", s.logout),
		auth("GET /account/password", s.passwordForm),
		auth("POST /account/password", s.changePassword),
		auth("GET /{$}", s.home),

		auth("GET /contacts", s.contactList, p(crm.ResContacts, R)),
		auth("GET /contacts/count", s.contactCount, p(crm.ResContacts, R)),
		auth("GET /contacts/export.csv", s.contactExport, p(crm.ResContacts, R), p(crm.ResExport, W)),
		auth("POST /contacts/views", s.saveView("contact"), p(crm.ResContacts, R)),
		auth("POST /contacts/bulk", s.contactBulk, p(crm.ResContacts, W)),
		auth("GET /contacts/new", s.contactNew, p(crm.ResContacts, W)),
		auth("POST /contacts", s.contactCreate, p(crm.ResContacts, W)),
		auth("GET /contacts/{id}", s.contactShow, p(crm.ResContacts, R)),
		auth("GET /contacts/{id}/edit", s.contactEdit, p(crm.ResContacts, W)),
		auth("POST /contacts/{id}", s.contactUpdate, p(crm.ResContacts, W)),
		auth("GET /contacts/{id}/delete", s.contactDeleteConfirm, p(crm.ResContacts, W)),
		auth("POST /contacts/{id}/delete", s.contactDelete, p(crm.ResContacts, W)),
		auth("GET /contacts/{id}/merge", s.contactMergeConfirm, p(crm.ResContacts, W)),
		auth("POST /contacts/{id}/merge", s.contactMerge, p(crm.ResContacts, W)),
		auth("GET /contacts/{id}/timeline", s.contactTimeline, p(crm.ResContacts, R), p(crm.ResActivities, R)),
		auth("POST /contacts/{id}/activities", s.contactActivity, p(crm.ResContacts, R), p(crm.ResActivities, W)),
		auth("POST /contacts/{id}/tasks", s.contactTask, p(crm.ResContacts, R), p(crm.ResTasks, W)),
		// The consent ledger of a contact (consent.go).
		auth("GET /contacts/{id}/consents", s.contactConsents, p(crm.ResContacts, R), p(crm.ResConsents, R)),
		auth("POST /contacts/{id}/consents", s.contactConsentRecord, p(crm.ResContacts, R), p(crm.ResConsents, W)),
		auth("POST /contacts/{id}/preference-link/revoke", s.contactPrefsRevoke, p(crm.ResContacts, R), p(crm.ResConsents, W)),

		auth("GET /companies", s.companyList, p(crm.ResCompanies, R)),
		auth("GET /companies/count", s.companyCount, p(crm.ResCompanies, R)),
		auth("GET /companies/export.csv", s.companyExport, p(crm.ResCompanies, R), p(crm.ResExport, W)),
		auth("POST /companies/views", s.saveView("company"), p(crm.ResCompanies, R)),
		auth("GET /companies/new", s.companyNew, p(crm.ResCompanies, W)),
		auth("POST /companies", s.companyCreate, p(crm.ResCompanies, W)),
		auth("GET /companies/{id}", s.companyShow, p(crm.ResCompanies, R)),
		auth("GET /companies/{id}/edit", s.companyEdit, p(crm.ResCompanies, W)),
		auth("POST /companies/{id}", s.companyUpdate, p(crm.ResCompanies, W)),
		auth("GET /companies/{id}/delete", s.companyDeleteConfirm, p(crm.ResCompanies, W)),
		auth("POST /companies/{id}/delete", s.companyDelete, p(crm.ResCompanies, W)),
		auth("GET /companies/{id}/timeline", s.companyTimeline, p(crm.ResCompanies, R), p(crm.ResActivities, R)),
		auth("POST /companies/{id}/activities", s.companyActivity, p(crm.ResCompanies, R), p(crm.ResActivities, W)),
		auth("POST /companies/{id}/tasks", s.companyTask, p(crm.ResCompanies, R), p(crm.ResTasks, W)),

		// Sales pipeline (deal*.go, pipeline.go). Pages that offer a
		// pipeline or stage choice also read pipelines.
		auth("GET /deals", s.dealList, p(crm.ResDeals, R), p(crm.ResPipelines, R)),
		auth("GET /deals/board", s.dealBoard, p(crm.ResDeals, R), p(crm.ResPipelines, R)),
		auth("GET /deals/forecast", s.dealForecast, p(crm.ResDeals, R), p(crm.ResPipelines, R)),
		auth("GET /deals/new", s.dealNew, p(crm.ResDeals, W), p(crm.ResPipelines, R)),
		auth("POST /deals", s.dealCreate, p(crm.ResDeals, W), p(crm.ResPipelines, R)),
		auth("GET /deals/{id}", s.dealShow, p(crm.ResDeals, R), p(crm.ResPipelines, R)),
		auth("GET /deals/{id}/edit", s.dealEdit, p(crm.ResDeals, W), p(crm.ResPipelines, R)),
		auth("POST /deals/{id}", s.dealUpdate, p(crm.ResDeals, W), p(crm.ResPipelines, R)),
		auth("POST /deals/{id}/stage", s.dealMove, p(crm.ResDeals, W)),
		auth("GET /deals/{id}/delete", s.dealDeleteConfirm, p(crm.ResDeals, W)),
		auth("POST /deals/{id}/delete", s.dealDelete, p(crm.ResDeals, W)),
		auth("GET /deals/{id}/quote", s.dealQuote, p(crm.ResDeals, R)),
		auth("POST /deals/{id}/quote/accept", s.dealAcceptQuote, p(crm.ResDeals, W), p(crm.ResOrders, W)),
		auth("GET /pipelines", s.pipelineList, p(crm.ResPipelines, R)),
		auth("POST /pipelines", s.pipelineCreate, p(crm.ResPipelines, W)),
		auth("POST /pipelines/{id}", s.pipelineRename, p(crm.ResPipelines, W)),
		auth("POST /pipelines/{id}/delete", s.pipelineDelete, p(crm.ResPipelines, W)),
		auth("POST /pipelines/{id}/stages", s.stageCreate, p(crm.ResPipelines, W)),
		auth("POST /stages/{id}", s.stageUpdate, p(crm.ResPipelines, W)),
		auth("POST /stages/{id}/delete", s.stageDelete, p(crm.ResPipelines, W)),

		// Commerce: products, inventory, orders (product*.go, inventory.go, order*.go).
		auth("GET /products", s.productList, p(crm.ResProducts, R)),
		auth("GET /products/new", s.productNew, p(crm.ResProducts, W)),
		auth("POST /products", s.productCreate, p(crm.ResProducts, W)),
		auth("GET /products/{id}", s.productShow, p(crm.ResProducts, R)),
		auth("GET /products/{id}/edit", s.productEdit, p(crm.ResProducts, W)),
		auth("POST /products/{id}", s.productUpdate, p(crm.ResProducts, W)),
		auth("GET /products/{id}/delete", s.productDeleteConfirm, p(crm.ResProducts, W)),
		auth("POST /products/{id}/delete", s.productDelete, p(crm.ResProducts, W)),
		auth("GET /inventory", s.inventoryList, p(crm.ResInventory, R)),
		auth("POST /inventory/movements", s.movementCreate, p(crm.ResInventory, W)),
		auth("GET /orders", s.orderList, p(crm.ResOrders, R)),
		auth("GET /orders/new", s.orderNew, p(crm.ResOrders, W)),
		auth("POST /orders", s.orderCreate, p(crm.ResOrders, W)),
		auth("GET /orders/{id}", s.orderShow, p(crm.ResOrders, R)),
		auth("POST /orders/{id}/status", s.orderStatus, p(crm.ResOrders, W)),

		// Surveys (survey*.go): marketing and managers build and send them;
		// every role that talks to customers reads the results. Sending
		// picks contacts, so it also needs contacts:read.
		auth("GET /surveys", s.surveyList, p(crm.ResSurveys, R)),
		auth("GET /surveys/new", s.surveyNew, p(crm.ResSurveys, W)),
		auth("POST /surveys", s.surveyCreate, p(crm.ResSurveys, W)),
		auth("GET /surveys/send", s.surveySendForm, p(crm.ResSurveys, W), p(crm.ResContacts, R)),
		auth("POST /surveys/send", s.surveySendList, p(crm.ResSurveys, W), p(crm.ResContacts, R)),
		auth("GET /surveys/{id}", s.surveyShow, p(crm.ResSurveys, R)),
		auth("GET /surveys/{id}/responses", s.surveyResponses, p(crm.ResSurveys, R)),
		auth("GET /surveys/{id}/edit", s.surveyEdit, p(crm.ResSurveys, W)),
		auth("POST /surveys/{id}", s.surveyUpdate, p(crm.ResSurveys, W)),
		auth("GET /surveys/{id}/delete", s.surveyDeleteConfirm, p(crm.ResSurveys, W)),
		auth("POST /surveys/{id}/delete", s.surveyDelete, p(crm.ResSurveys, W)),
		auth("POST /contacts/{id}/surveys", s.contactSurveySend, p(crm.ResContacts, R), p(crm.ResSurveys, W)),

		// Saved views belong to their user; the store only deletes the caller's.
		auth("POST /views/{id}/delete", s.deleteView),
		auth("POST /tasks/{id}/done", s.taskDone, p(crm.ResTasks, W)),

		// Sales dashboard (report.go).
		auth("GET /reports/sales", s.salesReport, p(crm.ResReports, R)),
		// Analytics home: customer value scores, the call list, the model (analytics.go).
		auth("GET /analytics", s.analytics, p(crm.ResAnalytics, R)),
		auth("POST /analytics/recompute", s.analyticsRecompute, p(crm.ResAnalytics, W)),
		// Cohorts, economics and costs (economics_*.go): costs are money the
		// business spent, so their page needs costs:read besides analytics.
		auth("GET /analytics/cohorts", s.cohortReport, p(crm.ResAnalytics, R)),
		auth("GET /analytics/economics", s.economicsReport, p(crm.ResAnalytics, R)),
		auth("GET /analytics/costs", s.costsList, p(crm.ResCosts, R)),
		auth("POST /analytics/costs", s.costCreate, p(crm.ResCosts, W)),
		auth("POST /analytics/costs/import", s.costImport, p(crm.ResCosts, W), p(crm.ResImport, W)),
		auth("GET /analytics/costs/{id}/edit", s.costEdit, p(crm.ResCosts, W)),
		auth("POST /analytics/costs/{id}", s.costUpdate, p(crm.ResCosts, W)),
		auth("POST /analytics/costs/{id}/delete", s.costDelete, p(crm.ResCosts, W)),
		// Historical order import (report_import.go): unknown customers become contacts.
		auth("GET /import/orders", s.orderImportForm, p(crm.ResImport, W), p(crm.ResOrders, W), p(crm.ResContacts, W)),
		auth("POST /import/orders", s.orderImport, p(crm.ResImport, W), p(crm.ResOrders, W), p(crm.ResContacts, W)),

		auth("GET /import", s.importForm, p(crm.ResImport, W)),
		auth("POST /import/preview", s.importPreview, p(crm.ResImport, W)),
		auth("POST /import/run", s.importRun, p(crm.ResImport, W)),

		auth("GET /admin/users", s.adminUsers, p(crm.ResUsers, R)),
		auth("POST /admin/users", s.adminUserCreate, p(crm.ResUsers, W)),
		auth("POST /admin/users/{id}", s.adminUserUpdate, p(crm.ResUsers, W)),
		auth("POST /admin/users/{id}/password", s.adminUserPassword, p(crm.ResUsers, W)),
		auth("GET /admin/roles", s.adminRoles, p(crm.ResUsers, R)),
		auth("POST /admin/roles", s.adminRoleUpdate, p(crm.ResUsers, W)),
		auth("GET /admin/apikeys", s.adminAPIKeys, p(crm.ResAPIKeys, R)),
		auth("POST /admin/apikeys", s.adminAPIKeyCreate, p(crm.ResAPIKeys, W)),
		auth("POST /admin/apikeys/{id}/revoke", s.adminAPIKeyRevoke, p(crm.ResAPIKeys, W)),
		// Defining fields is admin work even though every role reads them.
		auth("GET /admin/fields", s.adminFields, p(crm.ResCustomFields, W)),
		auth("POST /admin/fields", s.adminFieldCreate, p(crm.ResCustomFields, W)),
		auth("POST /admin/fields/{id}", s.adminFieldUpdate, p(crm.ResCustomFields, W)),
		auth("GET /admin/fields/{id}/delete", s.adminFieldDeleteConfirm, p(crm.ResCustomFields, W)),
		auth("POST /admin/fields/{id}/delete", s.adminFieldDelete, p(crm.ResCustomFields, W)),
		// Shop settings are admin work (users:write to change them).
		auth("GET /admin/shop", s.shopSettings, p(crm.ResUsers, R)),
		auth("POST /admin/shop", s.shopSettingsUpdate, p(crm.ResUsers, W)),
		auth("GET /admin/audit", s.adminAudit, p(crm.ResAudit, R)),
		// The full export holds every table, users included: admins only.
		auth("GET /admin/export", s.adminExportPage, p(crm.ResExport, W), p(crm.ResUsers, R)),
		auth("POST /admin/export", s.adminExport, p(crm.ResExport, W), p(crm.ResUsers, R)),

		// Passive collection (tracking*.go): sites are marketing's; the
		// web activity fragment of the 360 page is for every reader of events.
		auth("GET /tracking/sites", s.trackingSites, p(crm.ResSites, R)),
		auth("POST /tracking/sites", s.trackingSiteCreate, p(crm.ResSites, W)),
		auth("GET /tracking/sites/{id}", s.trackingSite, p(crm.ResSites, R)),
		auth("POST /tracking/sites/{id}", s.trackingSiteUpdate, p(crm.ResSites, W)),
		auth("POST /tracking/sites/{id}/rotate", s.trackingSiteRotate, p(crm.ResSites, W)),
		auth("GET /tracking/sites/{id}/delete", s.trackingSiteDeleteConfirm, p(crm.ResSites, W)),
		auth("POST /tracking/sites/{id}/delete", s.trackingSiteDelete, p(crm.ResSites, W)),
		auth("GET /contacts/{id}/web-activity", s.contactWebActivity, p(crm.ResContacts, R), p(crm.ResEvents, R)),

		// Outbound webhooks (webhook*.go): admins only.
		auth("GET /admin/webhooks", s.adminWebhooks, p(crm.ResWebhooks, R)),
		auth("POST /admin/webhooks", s.adminWebhookCreate, p(crm.ResWebhooks, W)),
		auth("GET /admin/webhooks/{id}", s.adminWebhook, p(crm.ResWebhooks, R)),
		auth("POST /admin/webhooks/{id}", s.adminWebhookUpdate, p(crm.ResWebhooks, W)),
		auth("POST /admin/webhooks/{id}/test", s.adminWebhookTest, p(crm.ResWebhooks, W)),
		auth("POST /admin/webhooks/{id}/rotate", s.adminWebhookRotate, p(crm.ResWebhooks, W)),
		auth("POST /admin/webhooks/{id}/enable", s.adminWebhookActive(true), p(crm.ResWebhooks, W)),
		auth("POST /admin/webhooks/{id}/disable", s.adminWebhookActive(false), p(crm.ResWebhooks, W)),
		auth("GET /admin/webhooks/{id}/delete", s.adminWebhookDeleteConfirm, p(crm.ResWebhooks, W)),
		auth("POST /admin/webhooks/{id}/delete", s.adminWebhookDelete, p(crm.ResWebhooks, W)),
		auth("POST /admin/webhook-deliveries/{id}/retry", s.adminDeliveryRetry, p(crm.ResWebhooks, W)),

		// Forms (form.go): builder and submissions. The builder offers the
		// owner and the custom fields, which every signed-in user may read.
		auth("GET /forms", s.formList, p(crm.ResForms, R)),
		auth("GET /forms/new", s.formNew, p(crm.ResForms, W)),
		auth("POST /forms", s.formCreate, p(crm.ResForms, W)),
		auth("GET /forms/{id}", s.formShow, p(crm.ResForms, R)),
		auth("GET /forms/{id}/edit", s.formEdit, p(crm.ResForms, W)),
		auth("POST /forms/{id}", s.formUpdate, p(crm.ResForms, W)),
		auth("GET /forms/{id}/delete", s.formDeleteConfirm, p(crm.ResForms, W)),
		auth("POST /forms/{id}/delete", s.formDelete, p(crm.ResForms, W)),

		// Segments (segment*.go): the builder and its live count, the list,
		// the member page and its bulk actions. Bulk tagging and owners
		// change contacts; adding to or removing from a list needs
		// segments:write and exporting export:write, which the service checks.
		auth("GET /segments", s.segmentList, p(crm.ResSegments, R)),
		auth("GET /segments/new", s.segmentNew, p(crm.ResSegments, W)),
		auth("POST /segments", s.segmentCreate, p(crm.ResSegments, W)),
		auth("POST /segments/preview", s.segmentPreview, p(crm.ResSegments, R)),
		auth("GET /segments/{id}", s.segmentShow, p(crm.ResSegments, R)),
		auth("GET /segments/{id}/edit", s.segmentEdit, p(crm.ResSegments, W)),
		auth("POST /segments/{id}", s.segmentUpdate, p(crm.ResSegments, W)),
		auth("POST /segments/{id}/refresh", s.segmentRefresh, p(crm.ResSegments, W)),
		auth("POST /segments/{id}/members", s.segmentAddMembers, p(crm.ResSegments, W)),
		auth("POST /segments/{id}/bulk", s.segmentBulk, p(crm.ResSegments, R), p(crm.ResContacts, W)),
		auth("GET /segments/{id}/export.csv", s.segmentExport, p(crm.ResSegments, R), p(crm.ResExport, W)),
		auth("GET /segments/{id}/delete", s.segmentDeleteConfirm, p(crm.ResSegments, W)),
		auth("POST /segments/{id}/delete", s.segmentDelete, p(crm.ResSegments, W)),
		// "Add to list" on the contact list: the picker is loaded into the
		// bulk form, whose selected rows it posts.
		auth("GET /segments/picker", s.segmentPicker, p(crm.ResSegments, W)),
		auth("POST /contacts/bulk/list", s.contactBulkList, p(crm.ResContacts, R), p(crm.ResSegments, W)),

		// Mail: SMTP settings, test send and the outbox (mail.go): admins only.
		auth("GET /admin/mail", s.adminMail, p(crm.ResMail, R)),
		auth("POST /admin/mail", s.adminMailUpdate, p(crm.ResMail, W)),
		auth("POST /admin/mail/test", s.adminMailTest, p(crm.ResMail, W)),
		auth("POST /admin/mail/outbox/{id}/retry", s.adminMailRetry, p(crm.ResMail, W)),
		auth("POST /admin/mail/outbox/retry-failed", s.adminMailRetryFailed, p(crm.ResMail, W)),

		// Recommendations (recs.go): the 360 page's and the product page's
		// panels, and the evaluation page; rebuilding is analytics:write.
		auth("GET /contacts/{id}/recommendations", s.contactRecs, p(crm.ResContacts, R), p(crm.ResAnalytics, R)),
		auth("GET /products/{id}/recommendations", s.productRecs, p(crm.ResProducts, R), p(crm.ResAnalytics, R)),
		auth("GET /analytics/recommendations", s.recsAnalytics, p(crm.ResAnalytics, R)),
		auth("POST /analytics/recommendations/rebuild", s.recsRebuild, p(crm.ResAnalytics, W)),
	}
}

// handler builds the console: security headers, cross-origin protection,
// the session, then the routes.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		if rt.public {
			mux.Handle(rt.pattern, s.adapt(rt.h))
		} else {
			mux.Handle(rt.pattern, s.adapt(s.guard(rt.perms, rt.h)))
		}
	}
	mux.Handle("/", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return crm.Errorf(crm.ENOTFOUND, "no such page")
	}))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return crm.Errorf(crm.EFORBIDDEN, "cross-origin request refused")
	}))
	h := securityHeaders(cop.Handler(s.session(mux)))
	if s.routed == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		// Matched again here because cross-origin refusals answer before
		// the mux runs, and the session middleware hands the mux a copy
		// of the request whose Pattern we would not see.
		_, pattern := mux.Handler(r)
		if pattern == "/" { // the catch-all "no such page"
			pattern = ""
		}
		s.routed(r, pattern)
	})
}
