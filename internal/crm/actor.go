package crm

import (
	"context"
	"slices"
	"strings"
)

// Role is a staff user's role. The set is fixed; what a role may do is the
// matrix in rolePermissions, and whether it sees only its own records is a
// per-role setting admins change at run time (RoleSetting).
type Role string

const (
	RoleAdmin     Role = "admin"
	RoleManager   Role = "manager"
	RoleSales     Role = "sales"
	RoleSupport   Role = "support"
	RoleMarketing Role = "marketing"
	RoleReadOnly  Role = "read-only"
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RoleManager, RoleSales, RoleSupport, RoleMarketing, RoleReadOnly}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Resources that permissions and API key scopes name.
const (
	ResContacts     = "contacts"
	ResCompanies    = "companies"
	ResActivities   = "activities"
	ResTasks        = "tasks"
	ResCustomFields = "custom-fields"
	ResUsers        = "users"
	ResAPIKeys      = "apikeys"
	ResAudit        = "audit"
	ResExport       = "export"
	ResImport       = "import"
	ResProducts     = "products"
	ResInventory    = "inventory"
	ResOrders       = "orders"
	ResDeals        = "deals"
	ResPipelines    = "pipelines"
	ResWebhooks     = "webhooks"
	ResReports      = "reports"
	// Data collection with consent (issue 4).
	ResSites    = "sites"    // tracking sites: keys, allowed origins, identify secrets
	ResEvents   = "events"   // collected browsing events and visitors
	ResForms    = "forms"    // form builder and submissions
	ResSurveys  = "surveys"  // NPS, CSAT and custom surveys and their answers
	ResConsents = "consents" // the consent ledger
	ResMail     = "mail"     // SMTP settings and the outbox: admins only (credentials)
	// Aggregate (issue 10).
	ResSegments  = "segments"  // segment definitions, static lists and their members
	ResAnalytics = "analytics" // customer scores, value/cohort/economics reports, recommendations; write = recompute
	ResCosts     = "costs"     // acquisition spend, product cost, message and staff-time rates
)

// Resources lists every resource, for scope validation and the role matrix page.
var Resources = []string{ResContacts, ResCompanies, ResActivities, ResTasks, ResCustomFields, ResUsers, ResAPIKeys, ResAudit, ResExport, ResImport,
	ResProducts, ResInventory, ResOrders, ResDeals, ResPipelines, ResWebhooks, ResReports,
	ResSites, ResEvents, ResForms, ResSurveys, ResConsents, ResMail,
	ResSegments, ResAnalytics, ResCosts}

// Action is read or write.
type Action string

const (
	Read  Action = "read"
	Write Action = "write"
)

// Permission is a resource and an action, written "contacts:write"; it is
// also the syntax of API key scopes, where "*" means everything.
type Permission struct {
	Resource string
	Action   Action
}

func (p Permission) String() string { return p.Resource + ":" + string(p.Action) }

// P is shorthand for a Permission.
func P(resource string, a Action) Permission { return Permission{resource, a} }

// ParseScope validates an API key scope.
func ParseScope(s string) (string, bool) {
	if s == "*" {
		return s, true
	}
	res, act, ok := strings.Cut(s, ":")
	if !ok || (act != string(Read) && act != string(Write)) || !slices.Contains(Resources, res) {
		return "", false
	}
	return s, true
}

// rolePermissions: write implies read. Admin-only resources (users, API
// keys, audit, webhooks) are absent from every other role. Pipelines are
// configuration (stages), so only managers change them; support writes
// orders because returns and shipping questions reach support first.
// Marketing owns collection (sites, forms, surveys); anyone who talks to
// customers may record a consent they were given; mail settings hold SMTP
// credentials, so they are admin-only like webhooks. Segments are how
// sales and marketing pick people (own-only users count their own
// customers); analytics write means recomputing scores; costs are money
// the business spent, so sales and support do not see them.
var rolePermissions = map[Role]map[string]Action{
	RoleAdmin: nil, // everything
	RoleManager: {ResContacts: Write, ResCompanies: Write, ResActivities: Write, ResTasks: Write,
		ResCustomFields: Read, ResExport: Write, ResImport: Write,
		ResProducts: Write, ResInventory: Write, ResOrders: Write, ResDeals: Write, ResPipelines: Write, ResReports: Read,
		ResSites: Read, ResEvents: Read, ResForms: Write, ResSurveys: Write, ResConsents: Write,
		ResSegments: Write, ResAnalytics: Write, ResCosts: Write},
	RoleSales: {ResContacts: Write, ResCompanies: Write, ResActivities: Write, ResTasks: Write,
		ResCustomFields: Read, ResImport: Write,
		ResProducts: Read, ResInventory: Read, ResOrders: Write, ResDeals: Write, ResPipelines: Read, ResReports: Read,
		ResEvents: Read, ResForms: Read, ResSurveys: Read, ResConsents: Write,
		ResSegments: Write, ResAnalytics: Read},
	RoleSupport: {ResContacts: Write, ResCompanies: Read, ResActivities: Write, ResTasks: Write,
		ResCustomFields: Read,
		ResProducts:     Read, ResInventory: Read, ResOrders: Write,
		ResEvents: Read, ResSurveys: Read, ResConsents: Write,
		ResSegments: Read, ResAnalytics: Read},
	RoleMarketing: {ResContacts: Write, ResCompanies: Write, ResActivities: Read, ResTasks: Read,
		ResCustomFields: Read, ResExport: Write, ResImport: Write,
		ResProducts: Read, ResOrders: Read, ResReports: Read,
		ResSites: Write, ResEvents: Read, ResForms: Write, ResSurveys: Write, ResConsents: Write,
		ResSegments: Write, ResAnalytics: Read, ResCosts: Write},
	RoleReadOnly: {ResContacts: Read, ResCompanies: Read, ResActivities: Read, ResTasks: Read,
		ResCustomFields: Read,
		ResProducts:     Read, ResInventory: Read, ResOrders: Read, ResDeals: Read, ResPipelines: Read, ResReports: Read,
		ResSites: Read, ResEvents: Read, ResForms: Read, ResSurveys: Read, ResConsents: Read,
		ResSegments: Read, ResAnalytics: Read, ResCosts: Read},
}

// RoleCan reports whether the role grants p.
func RoleCan(r Role, p Permission) bool {
	if r == RoleAdmin {
		return true
	}
	act, ok := rolePermissions[r][p.Resource]
	if !ok {
		return false
	}
	return p.Action == Read || act == Write
}

// Actor is who is making a request: a staff user (console or CLI) or an API
// key. An API key acts with the scopes it carries, never more than its
// creator's role allowed when it was made.
type Actor struct {
	UserID   int64
	Name     string
	Role     Role
	OwnOnly  bool // the role sees and changes only records it owns
	APIKeyID int64
	Scopes   []string
	System   bool // the CLI and background jobs: everything is allowed
}

// SystemActor acts for the CLI and background work.
var SystemActor = &Actor{Name: "system", System: true}

// Can reports whether the actor holds permission p.
func (a *Actor) Can(p Permission) bool {
	if a == nil {
		return false
	}
	if a.System {
		return true
	}
	if a.APIKeyID != 0 {
		for _, s := range a.Scopes {
			if s == "*" || s == p.String() || (p.Action == Read && s == p.Resource+":write") {
				return true
			}
		}
		return false
	}
	return RoleCan(a.Role, p)
}

// Restricted reports whether the actor may only see records it owns.
func (a *Actor) Restricted() bool { return a != nil && !a.System && a.OwnOnly && a.UserID != 0 }

// Label is how the actor appears in the audit log.
func (a *Actor) Label() string {
	switch {
	case a == nil:
		return "anonymous"
	case a.APIKeyID != 0:
		return "apikey:" + a.Name
	default:
		return a.Name
	}
}

type actorKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// Authorize returns EUNAUTHORIZED without an actor and EFORBIDDEN when the
// actor lacks p. Every service method calls it first: it is the one
// authorisation layer shared by the console, the API and the CLI.
func Authorize(ctx context.Context, p Permission) (*Actor, error) {
	a := ActorFrom(ctx)
	if a == nil {
		return nil, Errorf(EUNAUTHORIZED, "authentication required")
	}
	if !a.Can(p) {
		return nil, Errorf(EFORBIDDEN, "you do not have permission %s", p)
	}
	return a, nil
}
