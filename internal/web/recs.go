package web

import (
	"net/http"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// Recommendations in the console: the "Recommended products" panel of
// the contact's 360 page, "Customers who bought this also bought" on the
// product page (both loaded by htmx after the page, or as pages of their
// own without JavaScript), and the analytics page with the offline
// evaluation and a Rebuild button.

// recsBlock is one panel: the list and what its rows need to render.
type recsBlock struct {
	L       *i18n.Locale
	ID      string // the element id htmx swaps
	Title   string
	Kind    string // "contact" or "product"
	List    *crm.RecommendationList
	CanRead bool // products:read, to link the products
}

// Name is a product's name in the reader's language.
func (b recsBlock) Name(r crm.Recommendation) string {
	if n := r.Names[b.L.Lang()]; n != "" {
		return n
	}
	return r.Name
}

// Score is a recommendation's score for reading (two decimals).
func (b recsBlock) Score(f float64) string { return b.L.Decimal(f, 2) }

// recsLimit is how many products a console panel lists.
const recsLimit = 6

func (s *server) contactRecs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.svc.Contacts.FindContactByID(r.Context(), id)
	if err != nil {
		return err
	}
	l, err := s.svc.Recommendations.Recommend(r.Context(), crm.RecommendationQuery{ContactID: id, Limit: recsLimit})
	if err != nil {
		return err
	}
	st := stateOf(r)
	b := recsBlock{L: st.locale, ID: "contact-recs", Title: st.locale.T("recs.contact.title"), Kind: "contact", List: l,
		CanRead: st.actor.Can(crm.P(crm.ResProducts, crm.Read))}
	return s.recsPanel(w, r, b, "/contacts/"+strconv.FormatInt(id, 10), c.Name(), "contacts")
}

func (s *server) productRecs(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pathProduct(r)
	if err != nil {
		return err
	}
	l, err := s.svc.Recommendations.Recommend(r.Context(), crm.RecommendationQuery{ProductID: p.ID, Limit: recsLimit})
	if err != nil {
		return err
	}
	st := stateOf(r)
	b := recsBlock{L: st.locale, ID: "product-recs", Title: st.locale.T("recs.product.title"), Kind: "product", List: l, CanRead: true}
	return s.recsPanel(w, r, b, "/products/"+strconv.FormatInt(p.ID, 10), p.LocalName(st.locale.Lang()), "products")
}

// recsPanel answers htmx with the fragment and a plain request with a
// page holding it and a link back to the record.
func (s *server) recsPanel(w http.ResponseWriter, r *http.Request, b recsBlock, back, backName, nav string) error {
	if isHTMX(r) {
		s.renderFragment(w, r, http.StatusOK, "recs_panel", "recs-panel", b)
		return nil
	}
	v := s.newView(r, nav)
	v.Title = b.Title + " · " + backName
	v.Data = map[string]any{"Back": back, "BackName": backName, "Block": b}
	return s.ok(w, r, "recs_panel", v)
}

// recsPage is the analytics page: the latest build and its evaluation.
type recsPage struct {
	Build *crm.RecsBuild
	Eval  *crm.RecsEvaluation
	Rows  []recsRow
}

// recsRow is one figure of the evaluation, model next to best sellers.
type recsRow struct {
	Label              string
	Model, Popularity  float64
	ModelText, PopText string
	Better             bool
}

func (s *server) recsAnalytics(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "analytics")
	v.Title = v.L.T("recs.page.title")
	p := recsPage{}
	b, err := s.svc.Recommendations.LatestRecsBuild(r.Context())
	switch {
	case crm.ErrorCode(err) == crm.ENOTFOUND:
	case err != nil:
		return err
	default:
		p.Build, p.Eval = b, b.Evaluation
	}
	if e := p.Eval; e != nil {
		pct := func(f float64) string { return v.L.T("recs.percent", v.L.Decimal(f*100, 1)) }
		for _, x := range []struct {
			key  string
			m, p float64
		}{{"recs.eval.hit5", e.Model.HitRate5, e.Popularity.HitRate5}, {"recs.eval.hit10", e.Model.HitRate10, e.Popularity.HitRate10},
			{"recs.eval.prec5", e.Model.Precision5, e.Popularity.Precision5}, {"recs.eval.prec10", e.Model.Precision10, e.Popularity.Precision10}} {
			p.Rows = append(p.Rows, recsRow{Label: v.L.T(x.key), Model: x.m, Popularity: x.p, ModelText: pct(x.m), PopText: pct(x.p), Better: x.m > x.p})
		}
	}
	if r.URL.Query().Get("done") == "rebuilt" {
		v.Message = v.L.T("recs.rebuilt")
	}
	v.Data = p
	return s.ok(w, r, "recs", v)
}

func (s *server) recsRebuild(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.Recommendations.RebuildRecommendations(r.Context(), "manual", true); err != nil {
		return err
	}
	http.Redirect(w, r, "/analytics/recommendations?done=rebuilt", http.StatusSeeOther)
	return nil
}
