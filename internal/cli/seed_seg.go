package cli

import (
	"context"
	"encoding/json"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
)

// demoSegments are the segments a demo shop starts with: the issue's
// win-back segment and the selections a shop owner reaches for first.
var demoSegments = []struct{ name, description, definition string }{
	{"Win back: one order, 60+ days ago, browsing again", "Bought once, more than 60 days ago, viewed a product since, agreed to marketing email.",
		`{"op":"and","groups":[{"op":"and","predicates":[{"field":"purchase.orders","op":"eq","value":1},{"field":"purchase.last_order","op":"more_than_days_ago","value":60},{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}]}]}`},
	{"Repeat customers", "Two orders or more.",
		`{"op":"and","groups":[{"op":"and","predicates":[{"field":"purchase.orders","op":"gte","value":2}]}]}`},
	{"Lapsed buyers", "Bought before, nothing in the last 180 days.",
		`{"op":"and","groups":[{"op":"and","predicates":[{"field":"purchase.orders","op":"gte","value":1},{"field":"purchase.days_since_last","op":"gt","value":180}]}]}`},
	{"Newsletter audience", "Marketing email granted.",
		`{"op":"and","groups":[{"op":"and","predicates":[{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}]}]}`},
	{"Unhappy customers", "Newest NPS answer 0–6, or a CSAT of 1–2.",
		`{"op":"or","groups":[{"op":"or","predicates":[{"field":"survey.nps_group","op":"eq","value":"detractor"},{"field":"survey.csat","op":"lte","value":2}]}]}`},
}

// seedSegments saves the demo segments (filled at once) and a static
// list of leads.
func seedSegments(ctx context.Context, db *store.DB) error {
	svc := segstore.New(db)
	for _, s := range demoSegments {
		if _, err := svc.Create(ctx, crm.SegmentInput{Name: &s.name, Description: &s.description, Definition: json.RawMessage(s.definition)}); err != nil {
			return err
		}
	}
	name, kind := "Trade fair leads", crm.SegmentStatic
	list, err := svc.Create(ctx, crm.SegmentInput{Name: &name, Kind: &kind})
	if err != nil {
		return err
	}
	_, err = svc.AddMatching(ctx, list.ID, json.RawMessage(`{"op":"and","groups":[{"op":"and","predicates":[{"field":"contact.stage","op":"eq","value":"lead"},{"field":"contact.created_at","op":"less_than_days_ago","value":90}]}]}`))
	return err
}
