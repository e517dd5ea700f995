package segment

import (
	"fmt"
	"slices"
	"strings"
)

// Field types.
const (
	TypeText    = "text"
	TypeNumber  = "number"
	TypeMoney   = "money" // minor units of the shop currency
	TypeDate    = "date"
	TypeEnum    = "enum"
	TypeBool    = "bool"
	TypeTags    = "tags"
	TypeRef     = "ref"     // ids of other records (owners, companies)
	TypeCount   = "count"   // how many times something happened
	TypeConsent = "consent" // state of a consent topic
	TypeSegment = "segment" // membership of another segment
	TypeIDs     = "ids"     // parameter only: list of ids
	TypeDays    = "days"    // parameter only: whole days
)

// Operators.
const (
	OpEq              = "eq"
	OpNeq             = "neq"
	OpGt              = "gt"
	OpGte             = "gte"
	OpLt              = "lt"
	OpLte             = "lte"
	OpBetween         = "between"
	OpContains        = "contains"
	OpNotContains     = "not_contains"
	OpStartsWith      = "starts_with"
	OpIn              = "in"
	OpNotIn           = "not_in"
	OpIsEmpty         = "is_empty"
	OpIsNotEmpty      = "is_not_empty"
	OpBefore          = "before"
	OpAfter           = "after"
	OpOn              = "on"
	OpMoreThanDaysAgo = "more_than_days_ago"
	OpLessThanDaysAgo = "less_than_days_ago"
	OpIsTrue          = "is_true"
	OpIsFalse         = "is_false"
	OpHasAny          = "has_any"
	OpHasAll          = "has_all"
	OpHasNone         = "has_none"
	OpAtLeast         = "at_least"
	OpFewerThan       = "fewer_than"
	OpExactly         = "exactly"
	OpGranted         = "granted"
	OpNotGranted      = "not_granted"
	OpWithdrawn       = "withdrawn"
	OpNeverAsked      = "never_asked"
	OpInSegment       = "in_segment"
	OpNotInSegment    = "not_in_segment"
)

// Field groups, in the order the builder lists them.
const (
	GroupContact  = "contact"
	GroupLocation = "location"
	GroupCompany  = "company"
	GroupPurchase = "purchase"
	GroupBought   = "bought"
	GroupWeb      = "web"
	GroupForms    = "forms"
	GroupSurveys  = "surveys"
	GroupConsent  = "consent"
	GroupScores   = "scores"
	GroupSegments = "segments"
	GroupCustom   = "custom"
)

// Groups lists the field groups in display order.
var Groups = []string{GroupContact, GroupLocation, GroupCompany, GroupPurchase, GroupBought, GroupWeb,
	GroupForms, GroupSurveys, GroupConsent, GroupScores, GroupSegments, GroupCustom}

// Option sources: where the builder gets the choices of a ref or enum
// field whose options live in the database.
const (
	SourceOwners     = "owners"
	SourceCompanies  = "companies"
	SourceProducts   = "products" // SKUs
	SourceCategories = "categories"
	SourceSegments   = "segments"
	SourceSurveys    = "surveys"
	SourceForms      = "forms"
	SourceStages     = "stages"
	SourceTags       = "tags"
	SourceLanguages  = "languages"
	SourceCountries  = "countries"
	SourceRFMGroups  = "rfm_groups"
	SourcePurposes   = "consent_purposes"
	SourceChannels   = "consent_channels"
)

// Param keys (the Predicate fields beside value).
const (
	ParamWithinDays     = "within_days"
	ParamSince          = "since"
	ParamUntil          = "until"
	ParamSinceLastOrder = "since_last_order"
	ParamSKUs           = "skus"
	ParamCategories     = "categories"
	ParamURL            = "url"
	ParamForms          = "forms"
	ParamSurveyID       = "survey_id"
	ParamPurpose        = "purpose"
	ParamChannel        = "channel"
)

// FieldSegment is the key of the membership predicate.
const FieldSegment = "segment"

// Field is one thing a predicate can test. Label is a message-catalogue
// key; Options are fixed choices, Source names where the builder finds
// choices kept in the database.
type Field struct {
	Key      string   `json:"key"`
	Group    string   `json:"group"`
	Type     string   `json:"type"`
	Ops      []string `json:"ops"`
	Label    string   `json:"label"`
	Options  []string `json:"options,omitempty"`
	Source   string   `json:"source,omitempty"`
	Params   []Param  `json:"params,omitempty"`
	Nullable bool     `json:"nullable,omitempty" doc:"The field may have no value (is_empty applies)."`
	Integer  bool     `json:"integer,omitempty" doc:"Values are whole numbers."`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`

	sql sqlSpec
}

// Param is an extra parameter of a predicate.
type Param struct {
	Key      string   `json:"key"`
	Type     string   `json:"type"`
	Required bool     `json:"required,omitempty"`
	Label    string   `json:"label"`
	Options  []string `json:"options,omitempty"`
	Source   string   `json:"source,omitempty"`
}

// Fixed choices the catalog repeats from crm (a test keeps them equal;
// crm imports this package, so it cannot import crm).
var (
	Stages          = []string{"subscriber", "lead", "opportunity", "customer", "loyal", "churned"}
	ConsentPurposes = []string{"marketing", "analytics", "personalisation", "partners"}
	ConsentChannels = []string{"email", "sms", "phone", "web", "any"}
	NPSGroups       = []string{"promoter", "passive", "detractor"}
	ChurnBands      = []string{"low", "medium", "high"}
	RFMGroups       = []string{"champions", "loyal", "potential_loyalist", "promising", "new", "need_attention",
		"about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost"}
)

func opsFor(typ string, nullable bool) []string {
	var ops []string
	switch typ {
	case TypeText:
		ops = []string{OpEq, OpNeq, OpContains, OpNotContains, OpStartsWith, OpIn, OpNotIn, OpIsEmpty, OpIsNotEmpty}
		return ops
	case TypeNumber, TypeMoney:
		ops = []string{OpEq, OpNeq, OpGt, OpGte, OpLt, OpLte, OpBetween}
	case TypeDate:
		ops = []string{OpBefore, OpAfter, OpOn, OpBetween, OpMoreThanDaysAgo, OpLessThanDaysAgo}
	case TypeEnum:
		ops = []string{OpEq, OpNeq, OpIn, OpNotIn}
	case TypeBool:
		return []string{OpIsTrue, OpIsFalse}
	case TypeTags:
		return []string{OpHasAny, OpHasAll, OpHasNone, OpIsEmpty, OpIsNotEmpty}
	case TypeRef:
		ops = []string{OpIn, OpNotIn}
	case TypeCount:
		return []string{OpAtLeast, OpFewerThan, OpExactly}
	case TypeConsent:
		return []string{OpGranted, OpNotGranted, OpWithdrawn, OpNeverAsked}
	case TypeSegment:
		return []string{OpInSegment, OpNotInSegment}
	}
	if nullable {
		ops = append(ops, OpIsEmpty, OpIsNotEmpty)
	}
	return ops
}

func lbl(key string) string { return "seg.field." + key }

func param(key, typ string, required bool) Param {
	p := Param{Key: key, Type: typ, Required: required, Label: "seg.param." + key}
	switch key {
	case ParamSKUs:
		p.Source = SourceProducts
	case ParamCategories:
		p.Source = SourceCategories
	case ParamForms:
		p.Source = SourceForms
	case ParamSurveyID:
		p.Source = SourceSurveys
	case ParamPurpose:
		p.Options, p.Source = ConsentPurposes, SourcePurposes
	case ParamChannel:
		p.Options, p.Source = ConsentChannels, SourceChannels
	}
	return p
}

// window is the time window parameters of counted events.
func window(extra ...Param) []Param {
	ps := []Param{param(ParamWithinDays, TypeDays, false), param(ParamSince, TypeDate, false), param(ParamUntil, TypeDate, false)}
	return append(extra, ps...)
}

func f64(v float64) *float64 { return &v }

var catalog = buildCatalog()

func buildCatalog() []Field {
	var fs []Field
	add := func(f Field) {
		if f.Label == "" {
			f.Label = lbl(f.Key)
		}
		f.Ops = opsFor(f.Type, f.Nullable)
		fs = append(fs, f)
	}
	text := func(group, key, col string) {
		add(Field{Key: key, Group: group, Type: TypeText, sql: sqlSpec{kind: kContactCol, col: col}})
	}
	// Contact fields.
	text(GroupContact, "contact.first_name", "first_name")
	text(GroupContact, "contact.last_name", "last_name")
	text(GroupContact, "contact.email", "email")
	text(GroupContact, "contact.phone", "phone")
	text(GroupContact, "contact.title", "title")
	text(GroupContact, "contact.source", "source")
	add(Field{Key: "contact.stage", Group: GroupContact, Type: TypeEnum, Options: Stages, Source: SourceStages, Nullable: true, sql: sqlSpec{kind: kContactCol, col: "stage"}})
	add(Field{Key: "contact.language", Group: GroupContact, Type: TypeEnum, Source: SourceLanguages, Nullable: true, sql: sqlSpec{kind: kContactCol, col: "language"}})
	add(Field{Key: "contact.owner", Group: GroupContact, Type: TypeRef, Source: SourceOwners, Nullable: true, sql: sqlSpec{kind: kContactRef, col: "owner_id"}})
	add(Field{Key: "contact.company", Group: GroupContact, Type: TypeRef, Source: SourceCompanies, Nullable: true, sql: sqlSpec{kind: kContactRef, col: "company_id"}})
	add(Field{Key: "contact.tags", Group: GroupContact, Type: TypeTags, Source: SourceTags, sql: sqlSpec{kind: kContactTags}})
	add(Field{Key: "contact.created_at", Group: GroupContact, Type: TypeDate, sql: sqlSpec{kind: kContactTime, col: "created_at"}})
	add(Field{Key: "contact.updated_at", Group: GroupContact, Type: TypeDate, sql: sqlSpec{kind: kContactTime, col: "updated_at"}})
	add(Field{Key: "contact.birth_date", Group: GroupContact, Type: TypeDate, Nullable: true, sql: sqlSpec{kind: kBirthDate}})
	add(Field{Key: "contact.age", Group: GroupContact, Type: TypeNumber, Integer: true, Nullable: true, Min: f64(0), Max: f64(150), sql: sqlSpec{kind: kAge}})
	// Location.
	add(Field{Key: "location.country", Group: GroupLocation, Type: TypeText, Source: SourceCountries, sql: sqlSpec{kind: kContactCol, col: "country"}})
	text(GroupLocation, "location.region", "region")
	text(GroupLocation, "location.city", "city")
	text(GroupLocation, "location.postal_code", "postal_code")
	// Company.
	ctext := func(key, col string) {
		add(Field{Key: key, Group: GroupCompany, Type: TypeText, sql: sqlSpec{kind: kCompanyCol, col: col}})
	}
	ctext("company.name", "name")
	ctext("company.domain", "domain")
	ctext("company.industry", "industry")
	ctext("company.country", "country")
	ctext("company.region", "region")
	ctext("company.city", "city")
	add(Field{Key: "company.size", Group: GroupCompany, Type: TypeNumber, Integer: true, Min: f64(0), sql: sqlSpec{kind: kCompanyNum, col: "size"}})
	add(Field{Key: "company.tags", Group: GroupCompany, Type: TypeTags, Source: SourceTags, sql: sqlSpec{kind: kCompanyTags}})
	add(Field{Key: "company.owner", Group: GroupCompany, Type: TypeRef, Source: SourceOwners, Nullable: true, sql: sqlSpec{kind: kCompanyRef, col: "owner_id"}})
	// Purchase facts (customer_facts; a contact without orders has 0 orders and spend).
	add(Field{Key: "purchase.orders", Group: GroupPurchase, Type: TypeNumber, Integer: true, Min: f64(0), sql: sqlSpec{kind: kFactsNum, col: "orders"}})
	add(Field{Key: "purchase.total_spent", Group: GroupPurchase, Type: TypeMoney, Integer: true, sql: sqlSpec{kind: kFactsNum, col: "total_spent"}})
	add(Field{Key: "purchase.avg_order", Group: GroupPurchase, Type: TypeMoney, Integer: true, Nullable: true, sql: sqlSpec{kind: kFactsAvg}})
	add(Field{Key: "purchase.first_order", Group: GroupPurchase, Type: TypeDate, Nullable: true, sql: sqlSpec{kind: kFactsTime, col: "first_order_at"}})
	add(Field{Key: "purchase.last_order", Group: GroupPurchase, Type: TypeDate, Nullable: true, sql: sqlSpec{kind: kFactsTime, col: "last_order_at"}})
	add(Field{Key: "purchase.days_since_first", Group: GroupPurchase, Type: TypeNumber, Integer: true, Nullable: true, Min: f64(0), sql: sqlSpec{kind: kFactsDays, col: "first_order_at"}})
	add(Field{Key: "purchase.days_since_last", Group: GroupPurchase, Type: TypeNumber, Integer: true, Nullable: true, Min: f64(0), sql: sqlSpec{kind: kFactsDays, col: "last_order_at"}})
	// What was bought (purchased orders: paid, shipped, delivered).
	add(Field{Key: "bought.product", Group: GroupBought, Type: TypeCount, Params: window(param(ParamSKUs, TypeTags, false)), sql: sqlSpec{kind: kBought}})
	add(Field{Key: "bought.category", Group: GroupBought, Type: TypeCount, Params: window(param(ParamCategories, TypeTags, true)), sql: sqlSpec{kind: kBought}})
	// Web behaviour (events of the contact's linked visitors).
	since := param(ParamSinceLastOrder, TypeBool, false)
	add(Field{Key: "web.viewed_product", Group: GroupWeb, Type: TypeCount, Params: window(param(ParamSKUs, TypeTags, false), since), sql: sqlSpec{kind: kEvents, event: "product_view"}})
	add(Field{Key: "web.viewed_category", Group: GroupWeb, Type: TypeCount, Params: window(param(ParamCategories, TypeTags, true), since), sql: sqlSpec{kind: kEvents, event: "product_view"}})
	add(Field{Key: "web.viewed_url", Group: GroupWeb, Type: TypeCount, Params: window(param(ParamURL, TypeText, true), since), sql: sqlSpec{kind: kEvents, event: "pageview"}})
	add(Field{Key: "web.added_to_cart", Group: GroupWeb, Type: TypeCount, Params: window(param(ParamSKUs, TypeTags, false), since), sql: sqlSpec{kind: kEvents, event: "add_to_cart"}})
	add(Field{Key: "web.page_views", Group: GroupWeb, Type: TypeCount, Params: window(since), sql: sqlSpec{kind: kEvents, event: "pageview"}})
	add(Field{Key: "web.sessions", Group: GroupWeb, Type: TypeCount, Params: window(since), sql: sqlSpec{kind: kSessions}})
	add(Field{Key: "web.cart_abandoned", Group: GroupWeb, Type: TypeBool, Params: window(), sql: sqlSpec{kind: kCartAbandoned}})
	add(Field{Key: "web.last_visit", Group: GroupWeb, Type: TypeDate, Nullable: true, sql: sqlSpec{kind: kLastVisit}})
	// Forms.
	add(Field{Key: "form.submitted", Group: GroupForms, Type: TypeCount, Params: window(param(ParamForms, TypeIDs, false)), sql: sqlSpec{kind: kForms}})
	// Surveys (the contact's latest answer to surveys of the kind).
	sv := []Param{param(ParamSurveyID, TypeRef, false)}
	add(Field{Key: "survey.nps_group", Group: GroupSurveys, Type: TypeEnum, Options: NPSGroups, Params: sv, sql: sqlSpec{kind: kNPSGroup}})
	add(Field{Key: "survey.nps_score", Group: GroupSurveys, Type: TypeNumber, Integer: true, Min: f64(0), Max: f64(10), Params: sv, sql: sqlSpec{kind: kSurveyScore, event: "nps"}})
	add(Field{Key: "survey.csat", Group: GroupSurveys, Type: TypeNumber, Integer: true, Min: f64(1), Max: f64(5), Params: sv, sql: sqlSpec{kind: kSurveyScore, event: "csat"}})
	add(Field{Key: "survey.responded", Group: GroupSurveys, Type: TypeCount, Params: window(param(ParamSurveyID, TypeRef, false)), sql: sqlSpec{kind: kSurveyResponded}})
	// Consent.
	add(Field{Key: "consent", Group: GroupConsent, Type: TypeConsent, Params: []Param{param(ParamPurpose, TypeEnum, true), param(ParamChannel, TypeEnum, true)}, sql: sqlSpec{kind: kConsent}})
	// Scores (contact_scores: customers with orders only).
	score := func(key, typ, col string, integer bool, min, max *float64, nullable bool) {
		add(Field{Key: key, Group: GroupScores, Type: typ, Integer: integer, Min: min, Max: max, Nullable: nullable, sql: sqlSpec{kind: kScoreCol, col: col}})
	}
	add(Field{Key: "score.rfm_group", Group: GroupScores, Type: TypeEnum, Options: RFMGroups, Source: SourceRFMGroups, sql: sqlSpec{kind: kScoreCol, col: "rfm_group"}})
	add(Field{Key: "score.rfm_cell", Group: GroupScores, Type: TypeEnum, Options: rfmCells(), sql: sqlSpec{kind: kRFMCell}})
	score("score.r", TypeNumber, "r_score", true, f64(1), f64(5), false)
	score("score.f", TypeNumber, "f_score", true, f64(1), f64(5), false)
	score("score.m", TypeNumber, "m_score", true, f64(1), f64(5), false)
	score("score.p_alive", TypeNumber, "p_alive", false, f64(0), f64(1), false)
	score("score.churn_risk", TypeNumber, "churn_risk", false, f64(0), f64(1), false)
	add(Field{Key: "score.churn_band", Group: GroupScores, Type: TypeEnum, Options: ChurnBands, sql: sqlSpec{kind: kScoreCol, col: "churn_band"}})
	score("score.clv_12m", TypeMoney, "clv_12m", true, nil, nil, false)
	score("score.exp_spend", TypeMoney, "exp_spend", true, nil, nil, false)
	score("score.exp_purchases_90", TypeNumber, "exp_purchases_90", false, f64(0), nil, false)
	score("score.exp_purchases_365", TypeNumber, "exp_purchases_365", false, f64(0), nil, false)
	score("score.frequency", TypeNumber, "frequency", true, f64(0), nil, false)
	score("score.recency_days", TypeNumber, "recency_days", false, f64(0), nil, false)
	score("score.monetary", TypeMoney, "monetary", true, nil, nil, false)
	score("score.avg_days_between", TypeNumber, "avg_days_between", false, f64(0), nil, true)
	add(Field{Key: "score.next_order", Group: GroupScores, Type: TypeDate, Nullable: true, sql: sqlSpec{kind: kScoreTime, col: "next_order_at"}})
	// Membership of another segment.
	add(Field{Key: FieldSegment, Group: GroupSegments, Type: TypeSegment, Source: SourceSegments, sql: sqlSpec{kind: kSegment}})
	return fs
}

func rfmCells() []string {
	var out []string
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			for m := 1; m <= 5; m++ {
				out = append(out, fmt.Sprintf("%d%d%d", r, f, m))
			}
		}
	}
	return out
}

// Catalog returns the built-in fields in display order. The slice and its
// fields are copies; custom fields come from CustomFields.
func Catalog() []Field {
	return slices.Clone(catalog)
}

// CustomPrefix starts the key of a contact custom field predicate.
const CustomPrefix = "custom."

// CustomFields returns the catalog entries of contact custom fields.
func CustomFields(cfs []CustomField) []Field {
	out := make([]Field, 0, len(cfs))
	for _, cf := range cfs {
		if f, ok := customField(cf); ok {
			out = append(out, f)
		}
	}
	return out
}

func customField(cf CustomField) (Field, bool) {
	f := Field{Key: CustomPrefix + cf.Key, Group: GroupCustom, Label: cf.Label, Nullable: true,
		sql: sqlSpec{kind: kCustom, col: cf.Key, custom: cf.Type}}
	switch cf.Type {
	case "text":
		f.Type = TypeText
	case "number":
		f.Type = TypeNumber
	case "date":
		f.Type = TypeDate
	case "select":
		f.Type, f.Options = TypeEnum, cf.Options
	case "multi_select":
		f.Type, f.Options = TypeTags, cf.Options
	case "boolean":
		f.Type = TypeBool
	default:
		return Field{}, false
	}
	f.Ops = opsFor(f.Type, f.Nullable)
	if f.Type == TypeText || f.Type == TypeDate {
		// Text custom values are compared as stored; empty is "no value".
		f.Ops = opsFor(f.Type, true)
	}
	return f, true
}

// Lookup finds a field by key among the built-in and the given custom fields.
func Lookup(key string, custom []CustomField) (Field, bool) {
	if k, ok := strings.CutPrefix(key, CustomPrefix); ok {
		for _, cf := range custom {
			if cf.Key == k {
				return customField(cf)
			}
		}
		return Field{}, false
	}
	for _, f := range catalog {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Labels lists every message key the catalog uses (labels of fields,
// params, operators, groups and fixed options), for the i18n test.
func Labels() []string {
	seen := map[string]bool{}
	var out []string
	addKey := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, g := range Groups {
		addKey("seg.group." + g)
	}
	for _, f := range catalog {
		addKey(f.Label)
		for _, op := range f.Ops {
			addKey("seg.op." + op)
		}
		for _, p := range f.Params {
			addKey(p.Label)
			for _, o := range p.Options {
				addKey("seg.option." + p.Key + "." + o)
			}
		}
		if f.Key != "score.rfm_cell" {
			for _, o := range f.Options {
				addKey(OptionLabel(f.Key, o))
			}
		}
	}
	return out
}

// OptionLabel is the message key of a fixed option of a field (stages,
// NPS groups, churn bands, RFM groups).
func OptionLabel(field, option string) string {
	return "seg.option." + strings.ReplaceAll(field, ".", "_") + "." + option
}
