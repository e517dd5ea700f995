package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Recommendations (analytics:read|write): item-to-item collaborative
// filtering over co-purchases and co-views, for emails and the shop.

const recommendationsDoc = "With `contact_id`: the contact's next best products, scored by summing the similarities of the products they bought " +
	"(and, at half weight, viewed in the last 30 days) and never listing a product they already ordered; each item names its reasons " +
	"(`bought` or `viewed` a similar product). With `sku` (or `product_id`): the products most often bought (and viewed) with it. " +
	"Only active products with stock available are listed; when too few similar products are known the list is filled with the " +
	"recent best sellers (`source: popular`; `fallback: true` when the whole list is). An own-only user gets recommendations only for " +
	"their own contacts. An unknown or invisible contact or product is a 422 naming the parameter."

const rebuildDoc = "Rebuilds the similarity and best-seller tables from the whole order history and the product views of the last 180 days, " +
	"and reruns the offline evaluation, now (a scheduled job does the same every hour when orders or views changed, and after an order import or a restore)."

func (s *server) recommendationRoutes(a huma.API) {
	handle(s, a, op(get, "/recommendations", "get-recommendations", "Next best products for a contact, or products similar to one", analyticsR).doc(recommendationsDoc), s.getRecommendations)
	handle(s, a, op(post, "/recommendations/rebuild", "rebuild-recommendations", "Rebuild the recommendation tables now", analyticsW).doc(rebuildDoc), s.rebuildRecommendations)
	handle(s, a, op(get, "/recommendations/evaluation", "recommendations-evaluation",
		"The latest build and its offline evaluation: hit rate and precision at 5 and 10, model vs best sellers", analyticsR), s.recommendationsEvaluation)
}

type recommendationsInput struct {
	request
	ContactID int64  `query:"contact_id" minimum:"1" doc:"Next best products for this contact."`
	SKU       string `query:"sku" maxLength:"64" doc:"Products similar to the product with this SKU."`
	ProductID int64  `query:"product_id" minimum:"1" doc:"Products similar to this product."`
	Limit     int    `query:"limit" minimum:"1" maximum:"50" doc:"How many products (default 10)."`
}

func (in *recommendationsInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"contact_id", "sku", "product_id", "limit"}, false)
}

type recommendationsOut struct{ Body *crm.RecommendationList }

func (s *server) getRecommendations(ctx context.Context, in *recommendationsInput) (*recommendationsOut, error) {
	l, err := s.svc.Recommendations.Recommend(ctx, crm.RecommendationQuery{ContactID: in.ContactID, SKU: in.SKU, ProductID: in.ProductID, Limit: in.Limit})
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		// The target is a parameter of this resource, not the resource.
		switch {
		case in.ContactID != 0:
			return nil, invalid("query.contact_id", "recs_unknown_contact")
		case in.ProductID != 0:
			return nil, invalid("query.product_id", "recs_unknown_product")
		default:
			return nil, invalid("query.sku", "recs_unknown_product")
		}
	}
	return &recommendationsOut{l}, err
}

type recsBuildOut struct{ Body *crm.RecsBuild }

func (s *server) rebuildRecommendations(ctx context.Context, _ *struct{}) (*recsBuildOut, error) {
	b, err := s.svc.Recommendations.RebuildRecommendations(ctx, "manual", true)
	return &recsBuildOut{b}, err
}

// recsEvaluationBody is the latest build (absent before the first) and
// its evaluation (absent when the history had too little to split).
type recsEvaluationBody struct {
	Evaluation *crm.RecsEvaluation `json:"evaluation,omitempty"`
	Build      *crm.RecsBuild      `json:"build,omitempty"`
}

type recsEvaluationOut struct{ Body recsEvaluationBody }

func (s *server) recommendationsEvaluation(ctx context.Context, _ *struct{}) (*recsEvaluationOut, error) {
	b, err := s.svc.Recommendations.LatestRecsBuild(ctx)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return &recsEvaluationOut{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &recsEvaluationOut{recsEvaluationBody{Evaluation: b.Evaluation, Build: b}}, nil
}
