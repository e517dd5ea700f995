package store_test

import (
	"context"
	"io"
	"slices"
	"strconv"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// salesPipeline returns the seeded pipeline and its stages by name.
func salesPipeline(t *testing.T, db *store.DB) (*crm.Pipeline, map[string]int64) {
	t.Helper()
	ps, err := db.FindPipelines(storetest.System())
	if err != nil || len(ps) != 1 {
		t.Fatalf("FindPipelines = %v, %v; want the seeded one", ps, err)
	}
	st := map[string]int64{}
	for _, s := range ps[0].Stages {
		st[s.Name] = s.ID
	}
	return ps[0], st
}

func dealProduct(t *testing.T, db *store.DB, sku string, price, stock int64, taxBP int) *crm.Product {
	t.Helper()
	p, err := db.CreateProduct(storetest.System(), crm.ProductInput{SKU: &sku, Name: ptr("Product " + sku), Price: &price,
		Currency: ptr("EUR"), Stock: &stock, TaxRateBP: &taxBP})
	if err != nil {
		t.Fatalf("create product %s: %v", sku, err)
	}
	return p
}

func mustDeal(t *testing.T, ctx context.Context, db *store.DB, in crm.DealInput) *crm.Deal {
	t.Helper()
	if in.Currency == nil {
		in.Currency = ptr("EUR")
	}
	d, err := db.CreateDeal(ctx, in)
	if err != nil {
		t.Fatalf("CreateDeal: %v", err)
	}
	return d
}

func fieldOf(err error, field string) string {
	for _, f := range crm.FieldErrors(err) {
		if f.Field == field {
			return f.Key
		}
	}
	return ""
}

// events lists the event types queued for a catch-all webhook endpoint.
func events(t *testing.T, db *store.DB, endpoint int64) []string {
	t.Helper()
	page, err := db.FindWebhookDeliveries(storetest.System(), crm.WebhookDeliveryFilter{EndpointID: endpoint, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range page.Items {
		out = append(out, d.Event)
	}
	slices.Sort(out)
	return out
}

func TestPipelineSeededAndStages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		p, st := salesPipeline(t, db)
		var got []string
		for _, s := range p.Stages {
			got = append(got, s.Name+":"+s.Kind+":"+strconv.Itoa(s.Probability))
		}
		want := []string{"Qualified:open:10", "Proposal:open:30", "Negotiation:open:60", "Won:won:100", "Lost:lost:0"}
		if p.Name != "Sales" || !slices.Equal(got, want) {
			t.Fatalf("seed = %s %v, want Sales %v", p.Name, got, want)
		}
		// Add, rename, reorder.
		p, err := db.CreateStage(ctx, p.ID, crm.StageInput{Name: ptr("Demo"), Probability: ptr(20), Position: ptr(1)})
		if err != nil || p.Stages[1].Name != "Demo" || p.Stages[1].Position != 1 || p.Stages[2].Name != "Proposal" {
			t.Fatalf("CreateStage = %+v, %v", p, err)
		}
		demo := p.Stages[1].ID
		p, err = db.UpdateStage(ctx, p.ID, demo, crm.StageInput{Name: ptr("Product demo"), Position: ptr(3)})
		if err != nil || p.Stages[3].ID != demo || p.Stages[3].Name != "Product demo" || p.Stages[1].Name != "Proposal" {
			t.Fatalf("UpdateStage = %+v, %v", p.Stages, err)
		}
		for i, s := range p.Stages {
			if s.Position != i {
				t.Errorf("stage %s at position %d, want %d", s.Name, s.Position, i)
			}
		}
		// A stage with a deal cannot be deleted; an empty one can.
		d := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Big one"), StageID: &demo})
		_, err = db.DeleteStage(ctx, p.ID, demo)
		if crm.ErrorCode(err) != crm.ECONFLICT || fieldOf(err, "stage_id") != "stage_has_deals" {
			t.Fatalf("delete stage with a deal = %v, want conflict stage_has_deals", err)
		}
		// Nor through the pipeline's stage list.
		var keep []crm.StageInput
		for _, s := range p.Stages {
			if s.ID != demo {
				keep = append(keep, crm.StageInput{ID: &s.ID})
			}
		}
		if _, err := db.UpdatePipeline(ctx, p.ID, crm.PipelineInput{Stages: &keep}); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("drop stage with a deal via pipeline = %v, want conflict", err)
		}
		if err := db.DeletePipeline(ctx, p.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("delete pipeline with deals = %v, want conflict", err)
		}
		if _, err := db.MoveDeal(ctx, d.ID, crm.DealStageInput{StageID: st["Qualified"]}); err != nil {
			t.Fatal(err)
		}
		if p, err = db.DeleteStage(ctx, p.ID, demo); err != nil || len(p.Stages) != 5 {
			t.Fatalf("delete empty stage = %v, %v", p, err)
		}
		// A second pipeline with default stages; a stage of it cannot hold
		// a deal of the first.
		p2, err := db.CreatePipeline(ctx, crm.PipelineInput{Name: ptr("Renewals")})
		if err != nil || len(p2.Stages) != 5 || p2.Position != 1 {
			t.Fatalf("CreatePipeline = %+v, %v", p2, err)
		}
		_, err = db.UpdateDeal(ctx, d.ID, crm.DealInput{StageID: &p2.Stages[0].ID})
		if crm.ErrorCode(err) != crm.EINVALID || fieldOf(err, "stage_id") != "stage_not_in_pipeline" {
			t.Fatalf("stage of another pipeline = %v, want stage_not_in_pipeline", err)
		}
		moved, err := db.UpdateDeal(ctx, d.ID, crm.DealInput{PipelineID: &p2.ID})
		if err != nil || moved.PipelineID != p2.ID || moved.StageID != p2.Stages[0].ID {
			t.Fatalf("move to pipeline = %+v, %v", moved, err)
		}
		if _, err := db.CreateStage(ctx, p2.ID, crm.StageInput{Name: ptr("x"), Probability: ptr(101)}); fieldOf(err, "probability") != "out_of_range" {
			t.Errorf("probability 101 = %v", err)
		}
		if _, err := db.CreateStage(ctx, p2.ID, crm.StageInput{Name: ptr("x"), Kind: ptr("maybe")}); fieldOf(err, "kind") != "invalid_choice" {
			t.Errorf("kind maybe = %v", err)
		}
		if err := db.DeletePipeline(ctx, p.ID); err != nil {
			t.Errorf("delete emptied pipeline: %v", err)
		}
		if err := db.DeletePipeline(ctx, p2.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("delete last pipeline = %v, want conflict", err)
		}
	})
}

func TestDealStageMovesSetStatusAndEmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		ep, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr("https://hooks.example.com/deals")})
		if err != nil {
			t.Fatal(err)
		}
		_, st := salesPipeline(t, db)
		salesCtx, sam := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		d := mustDeal(t, salesCtx, db, crm.DealInput{Title: ptr("Acme renewal"), Amount: ptr(int64(120000)), ExpectedClose: ptr("2026-07-15")})
		if d.StageName != "Qualified" || d.Probability != 10 || d.ProbabilitySet || d.Status != crm.DealOpen || *d.OwnerID != sam.ID {
			t.Fatalf("new deal = %+v", d)
		}
		d, err = db.MoveDeal(salesCtx, d.ID, crm.DealStageInput{StageID: st["Negotiation"]})
		if err != nil || d.Probability != 60 || d.Status != crm.DealOpen || d.ClosedAt != nil {
			t.Fatalf("to negotiation = %+v, %v", d, err)
		}
		d, err = db.MoveDeal(salesCtx, d.ID, crm.DealStageInput{StageID: st["Lost"], LostReason: "Chose a competitor"})
		if err != nil || d.Status != crm.DealLost || d.LostReason != "Chose a competitor" || d.ClosedAt == nil {
			t.Fatalf("to lost = %+v, %v", d, err)
		}
		d, err = db.MoveDeal(salesCtx, d.ID, crm.DealStageInput{StageID: st["Proposal"]})
		if err != nil || d.Status != crm.DealOpen || d.LostReason != "" || d.ClosedAt != nil {
			t.Fatalf("reopened = %+v, %v", d, err)
		}
		d, err = db.MoveDeal(salesCtx, d.ID, crm.DealStageInput{StageID: st["Won"]})
		if err != nil || d.Status != crm.DealWon || d.ClosedAt == nil {
			t.Fatalf("to won = %+v, %v", d, err)
		}
		var path []string
		for _, h := range d.History {
			path = append(path, h.ToName)
		}
		if want := []string{"Qualified", "Negotiation", "Lost", "Proposal", "Won"}; !slices.Equal(path, want) {
			t.Errorf("history = %v, want %v", path, want)
		}
		if d.History[1].FromName != "Qualified" || d.History[1].Actor != "sam" {
			t.Errorf("history entry = %+v", d.History[1])
		}
		// Status alone moves to the pipeline's stage of that kind.
		d2 := mustDeal(t, salesCtx, db, crm.DealInput{Title: ptr("Second")})
		d2, err = db.UpdateDeal(salesCtx, d2.ID, crm.DealInput{Status: ptr(crm.DealLost), LostReason: ptr("Budget")})
		if err != nil || d2.StageID != st["Lost"] || d2.Status != crm.DealLost {
			t.Fatalf("status lost = %+v, %v", d2, err)
		}
		got := events(t, db, ep.ID)
		want := []string{"deal.created", "deal.created", "deal.lost", "deal.lost", "deal.stage_changed", "deal.stage_changed",
			"deal.stage_changed", "deal.stage_changed", "deal.stage_changed", "deal.won"}
		if !slices.Equal(got, want) {
			t.Errorf("events = %v\nwant %v", got, want)
		}
		// Probability override survives stage moves; -1 goes back to the stage's.
		d2, err = db.UpdateDeal(salesCtx, d2.ID, crm.DealInput{StageID: ptr(st["Proposal"]), Probability: ptr(45)})
		if err != nil || d2.Probability != 45 || !d2.ProbabilitySet {
			t.Fatalf("override = %+v, %v", d2, err)
		}
		d2, err = db.MoveDeal(salesCtx, d2.ID, crm.DealStageInput{StageID: st["Negotiation"]})
		if err != nil || d2.Probability != 45 {
			t.Fatalf("override after move = %d, %v", d2.Probability, err)
		}
		d2, err = db.UpdateDeal(salesCtx, d2.ID, crm.DealInput{Probability: ptr(-1)})
		if err != nil || d2.Probability != 60 || d2.ProbabilitySet {
			t.Fatalf("reset probability = %+v, %v", d2, err)
		}
		// Every change is audited.
		audit, err := db.FindAudit(ctx, crm.AuditFilter{Entity: "deal", EntityID: &d.ID})
		if err != nil || len(audit.Items) != 5 {
			t.Errorf("audit entries for the deal = %d, %v; want 5", len(audit.Items), err)
		}
	})
}

func TestDealLinesAmountAndBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		_, st := salesPipeline(t, db)
		dealProduct(t, db, "CHAIR", 12500, 10, 2000)
		dealProduct(t, db, "DESK", 40000, 10, 1000)
		d := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Office"), Amount: ptr(int64(1)),
			Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 4, Discount: 5000}, {SKU: "DESK", Quantity: 1}}})
		if d.Amount != 4*12500-5000+40000 || len(d.Lines) != 2 || d.Lines[0].UnitPrice != 12500 || d.Lines[0].TaxRateBP != 2000 {
			t.Fatalf("deal with lines = %+v", d)
		}
		// A later price change does not alter lines already on the deal.
		if _, err := db.UpdateProduct(ctx, *d.Lines[0].ProductID, crm.ProductInput{Price: ptr(int64(99999))}); err != nil {
			t.Fatal(err)
		}
		d, err := db.UpdateDeal(ctx, d.ID, crm.DealInput{Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 2}}})
		if err != nil || d.Amount != 25000 || d.Lines[0].UnitPrice != 12500 {
			t.Fatalf("kept price = %+v, %v", d, err)
		}
		p2, err := db.CreatePipeline(ctx, crm.PipelineInput{Name: ptr("Other")})
		if err != nil {
			t.Fatal(err)
		}
		before := len(mustFind(t, db).Items)
		for name, c := range map[string]struct {
			in          crm.DealInput
			field, want string
		}{
			"other pipeline's stage": {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), PipelineID: ptr(int64(1)), StageID: &p2.Stages[0].ID}, "stage_id", "stage_not_in_pipeline"},
			"unknown stage":          {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), StageID: ptr(int64(999999))}, "stage_id", "not_found"},
			"negative amount":        {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), Amount: ptr(int64(-5))}, "amount", "out_of_range"},
			"bad currency":           {crm.DealInput{Title: ptr("x"), Currency: ptr("EURO")}, "currency", "invalid_currency"},
			"unknown currency":       {crm.DealInput{Title: ptr("x"), Currency: ptr("XYZ")}, "currency", "invalid_currency"},
			"bad date":               {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), ExpectedClose: ptr("2026-02-30")}, "expected_close", "invalid_date"},
			"no title":               {crm.DealInput{Currency: ptr("EUR")}, "title", "required"},
			"probability":            {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), Probability: ptr(150)}, "probability", "out_of_range"},
			"unknown sku":            {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), Lines: &[]crm.DealLineInput{{SKU: "NOPE", Quantity: 1}}}, "lines[0].sku", "unknown_sku"},
			"currency of product":    {crm.DealInput{Title: ptr("x"), Currency: ptr("JPY"), Lines: &[]crm.DealLineInput{{SKU: "DESK", Quantity: 1}}}, "lines[0].sku", "currency_mismatch"},
			"discount over line":     {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), Lines: &[]crm.DealLineInput{{SKU: "DESK", Quantity: 1, Discount: 50000}}}, "lines[0].discount", "out_of_range"},
			"zero quantity":          {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), Lines: &[]crm.DealLineInput{{SKU: "DESK"}}}, "lines[0].quantity", "out_of_range"},
			"unknown contact":        {crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), ContactID: ptr(int64(424242))}, "contact_id", "not_found"},
		} {
			_, err := db.CreateDeal(ctx, c.in)
			if crm.ErrorCode(err) != crm.EINVALID || fieldOf(err, c.field) != c.want {
				t.Errorf("%s: %v, want invalid %s %s", name, err, c.field, c.want)
			}
		}
		if _, err := db.MoveDeal(ctx, d.ID, crm.DealStageInput{StageID: p2.Stages[1].ID}); fieldOf(err, "stage_id") != "stage_not_in_pipeline" {
			t.Errorf("move to other pipeline's stage = %v", err)
		}
		if after := len(mustFind(t, db).Items); after != before {
			t.Errorf("bad input created deals: %d → %d", before, after)
		}
		if _, err := db.MoveDeal(ctx, d.ID, crm.DealStageInput{StageID: st["Won"]}); err != nil {
			t.Fatal(err)
		}
	})
}

func mustFind(t *testing.T, db *store.DB) crm.Page[*crm.Deal] {
	t.Helper()
	p, err := db.FindDeals(storetest.System(), crm.DealFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRestoreReplacesSeedPipeline: a new database holds only the seeded
// pipeline, which counts as empty for a restore and gives way to the
// pipelines of the export.
func TestRestoreReplacesSeedPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		if empty, err := db.Empty(ctx); err != nil || !empty {
			t.Fatalf("fresh database Empty = %v, %v; the seed pipeline must not count", empty, err)
		}
		rows := func(vals ...[]any) func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i == len(vals) {
					return nil, io.EOF
				}
				i++
				return vals[i-1], nil
			}
		}
		if err := db.RestoreTable(ctx, "pipelines", []string{"id", "name", "position", "created_at", "updated_at"},
			rows([]any{int64(7), "Imported", int64(0), int64(1700000000000), int64(1700000000000)})); err != nil {
			t.Fatal(err)
		}
		if err := db.RestoreTable(ctx, "pipeline_stages", []string{"id", "pipeline_id", "name", "position", "probability", "kind"},
			rows([]any{int64(70), int64(7), "Call", int64(0), int64(25), "open"})); err != nil {
			t.Fatal(err)
		}
		ps, err := db.FindPipelines(ctx)
		if err != nil || len(ps) != 1 || ps[0].Name != "Imported" || len(ps[0].Stages) != 1 {
			t.Fatalf("after restore = %+v, %v", ps, err)
		}
		// New rows continue after the restored ids.
		p, err := db.CreatePipeline(ctx, crm.PipelineInput{Name: ptr("After")})
		if err != nil || p.ID <= 7 {
			t.Fatalf("new pipeline after restore = %+v, %v", p, err)
		}
		if empty, _ := db.Empty(ctx); empty {
			t.Errorf("a database with edited pipelines counts as empty")
		}
	})
}
