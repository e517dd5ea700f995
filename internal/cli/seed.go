package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/demo"
	"github.com/ecrm/ecrm/internal/store"
)

type demoLogin struct {
	Email, Password, Others string
}

// seedDemo fills an empty database through the same services the console
// uses, so the demo exercises real validation, ownership and audit. A
// database that already has users is left alone.
func seedDemo(ctx context.Context, db *store.DB, contacts int, seed uint64) (*demoLogin, error) {
	ctx = system(ctx)
	users, err := db.FindUsers(ctx)
	if err != nil {
		return nil, err
	}
	if len(users) > 0 {
		return &demoLogin{Email: users[0].Email, Password: "(unchanged: this database already had users)", Others: "as before"}, nil
	}
	pw := randomPassword()
	staff := []struct {
		email, name string
		role        crm.Role
		lang        string
	}{
		{"admin@demo.example", "Avery Admin", crm.RoleAdmin, "en"},
		{"manager@demo.example", "مریم مدیری", crm.RoleManager, "fa"},
		{"sales1@demo.example", "佐藤 健", crm.RoleSales, "ja"},
		{"sales2@demo.example", "Sam Seller", crm.RoleSales, "en"},
		{"support@demo.example", "رضا پشتیبان", crm.RoleSupport, "fa"},
		{"marketing@demo.example", "高橋 美咲", crm.RoleMarketing, "ja"},
	}
	var owners []int64
	var others []string
	for _, s := range staff {
		u, err := db.CreateUser(ctx, crm.UserInput{Email: &s.email, Name: &s.name, Role: &s.role, Language: &s.lang, Password: &pw})
		if err != nil {
			return nil, err
		}
		if s.role == crm.RoleSales || s.role == crm.RoleManager || s.role == crm.RoleSupport {
			owners = append(owners, u.ID)
		}
		if s.role != crm.RoleAdmin {
			others = append(others, s.email)
		}
	}
	for _, f := range []crm.CustomFieldInput{
		{Entity: ptr("contact"), Key: ptr("tier"), Label: ptr("Tier"), Type: ptr("select"), Options: &[]string{"bronze", "silver", "gold"}},
		{Entity: ptr("contact"), Key: ptr("interests"), Label: ptr("Interests"), Type: ptr("multi_select"), Options: &[]string{"music", "books", "travel", "tech"}},
		{Entity: ptr("contact"), Key: ptr("newsletter"), Label: ptr("Newsletter"), Type: ptr("boolean")},
		{Entity: ptr("company"), Key: ptr("contract_end"), Label: ptr("Contract end"), Type: ptr("date")},
	} {
		if _, err := db.CreateCustomField(ctx, f); err != nil {
			return nil, err
		}
	}
	g := demo.New(seed)
	now := db.Now()
	if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: demo.DemoCurrency}); err != nil {
		return nil, err
	}
	for _, p := range g.Products() {
		if _, err := db.CreateProduct(ctx, p); err != nil {
			return nil, err
		}
	}
	nCompanies := demo.CompanyCount(contacts)
	companyIDs := make([]int64, nCompanies)
	for i := range nCompanies {
		in := g.Company(i)
		in.OwnerID = &owners[i%len(owners)]
		c, err := db.CreateCompany(ctx, in)
		if err != nil {
			return nil, err
		}
		companyIDs[i] = c.ID
	}
	tiers := []string{"bronze", "silver", "gold"}
	var deals []*crm.Contact    // opportunities get a deal each
	var surveyed []*crm.Contact // customers are sent the NPS survey (seed_surveys.go)
	var browsers []*crm.Contact // a browsing history and a newsletter signup (seed_collect.go)
	for i := range contacts {
		in, ci := g.Contact(i, nCompanies)
		if ci >= 0 {
			in.CompanyID = &companyIDs[ci]
		}
		owner := owners[i%len(owners)]
		in.OwnerID = &owner
		in.Custom = map[string]any{"tier": tiers[i%3], "newsletter": i%4 != 0}
		c, err := db.CreateContact(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, a := range g.Activities(i, now) {
			a.ContactID = &c.ID
			if _, err := db.CreateActivity(ctx, a); err != nil {
				return nil, err
			}
		}
		for _, t := range g.Tasks(i, now) {
			t.ContactID = &c.ID
			t.AssigneeID = &owner
			if _, err := db.CreateTask(ctx, t); err != nil {
				return nil, err
			}
		}
		if err := seedOrders(ctx, db, c, g.Orders(i, c.Stage, now), now); err != nil {
			return nil, err
		}
		if err := seedConsents(ctx, db, c, i, now); err != nil {
			return nil, err
		}
		if (c.Stage == "customer" || c.Stage == "loyal") && len(surveyed) < 300 {
			surveyed = append(surveyed, c)
		}
		if c.Email != "" && i%7 == 1 && len(browsers) < 30 {
			browsers = append(browsers, c)
		}
		if c.Stage == "opportunity" && len(deals) < 60 {
			deals = append(deals, c)
		}
	}
	if err := seedDeals(ctx, db, deals, now); err != nil {
		return nil, err
	}
	if err := seedSurveys(ctx, db, surveyed, now); err != nil {
		return nil, err
	}
	if err := seedCollect(ctx, db, browsers, g.Products(), now); err != nil {
		return nil, err
	}
	// Costs: acquisition spend, product costs, rates (seed_costs.go).
	if err := seedCosts(ctx, db, g.Products(), contacts, now); err != nil {
		return nil, err
	}
	// Customer value scores of the order history (seed_scores.go).
	if err := seedScores(ctx, db); err != nil {
		return nil, err
	}
	// Similar items and next best products (seed_recs.go).
	if err := seedRecs(ctx, db); err != nil {
		return nil, err
	}
	// Segments last: some select on the scores (seed_segments.go).
	if err := seedSegments(ctx, db); err != nil {
		return nil, err
	}
	return &demoLogin{Email: staff[0].email, Password: pw, Others: strings.Join(others, ", ")}, nil
}

// seedConsents gives three contacts in four a newsletter opt-in (most
// through the signup form's double opt-in, some at checkout), every fifth
// SMS too, and has every ninth leave through the preference centre later:
// the 360 page's consent section and the ledger have something to show.
func seedConsents(ctx context.Context, db *store.DB, c *crm.Contact, i int, now time.Time) error {
	if c.Email == "" || i%4 == 0 {
		return nil
	}
	at := c.CreatedAt.Add(-time.Duration(30+i%300) * 24 * time.Hour)
	ip := fmt.Sprintf("198.51.100.%d", 1+i%250)
	src, ref := crm.SourceDoubleOptIn, "newsletter"
	if i%3 == 0 {
		src, ref = crm.SourceForm, "checkout"
	}
	in := []crm.ConsentInput{{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Status: crm.ConsentGranted,
		Source: src, SourceRef: ref, WordingVersion: "1", Wording: "Send me news and offers by email.", IP: ip, UserAgent: "Mozilla/5.0", At: &at}}
	if i%5 == 0 {
		in = append(in, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Status: crm.ConsentGranted,
			Source: crm.SourceForm, SourceRef: "checkout", WordingVersion: "1", Wording: "Text me about my orders and offers.", IP: ip, At: &at})
	}
	if i%9 == 0 {
		left := at.Add(time.Duration(10+i%100) * 24 * time.Hour)
		if left.Before(now) {
			in = append(in, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Status: crm.ConsentWithdrawn,
				Source: crm.SourcePreferences, WordingVersion: "preferences-1/en", IP: ip, At: &left})
		}
	}
	return db.RecordConsents(ctx, in)
}

// seedOrders places a demo customer's orders through the order service at
// their historical times (the store's clock is moved for each step), so
// stock, the ledger, timelines and purchase facts are what real use would
// leave. An order the stock cannot serve any more is skipped, as a shop's
// would be refused.
func seedOrders(ctx context.Context, db *store.DB, c *crm.Contact, orders []demo.DemoOrder, now time.Time) error {
	clock := db.Now
	defer func() { db.Now = clock }()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	for _, o := range orders {
		at(o.At)
		status := crm.OrderPaid
		if o.Status == crm.OrderPending {
			status = crm.OrderPending
		}
		placed, err := db.CreateOrder(ctx, crm.OrderInput{ContactID: &c.ID, Currency: ptr(demo.DemoCurrency), Channel: ptr("web"), Status: &status, Lines: o.Lines})
		if crm.ErrorCode(err) == crm.ECONFLICT {
			continue
		}
		if err != nil {
			return err
		}
		var steps []string
		switch o.Status {
		case crm.OrderShipped:
			steps = []string{crm.OrderShipped}
		case crm.OrderDelivered:
			steps = []string{crm.OrderShipped, crm.OrderDelivered}
		case crm.OrderReturned:
			steps = []string{crm.OrderShipped, crm.OrderDelivered, crm.OrderReturned}
		case crm.OrderCancelled:
			steps = []string{crm.OrderCancelled}
		}
		t := o.At
		for k, st := range steps {
			t = t.Add(time.Duration(20+k*30) * time.Hour)
			if t.After(now) {
				break
			}
			at(t)
			in := crm.OrderStatusInput{Status: st}
			if st == crm.OrderShipped {
				in.Carrier, in.TrackingNumber = "DHL", fmt.Sprintf("JD%012d", placed.ID*7919)
			}
			if _, err := db.SetOrderStatus(ctx, placed.ID, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedDeals gives opportunities a deal each in the default pipeline, spread
// over its stages and the coming months, with product lines so quotes work.
func seedDeals(ctx context.Context, db *store.DB, contacts []*crm.Contact, now time.Time) error {
	pipes, err := db.FindPipelines(ctx)
	if err != nil || len(pipes) == 0 {
		return err
	}
	stages := pipes[0].Stages
	skus := []string{"TS-4001", "HD-4002", "MG-5001", "TE-5003", "VN-2001", "BK-3001"}
	for k, c := range contacts {
		close := now.AddDate(0, k%6, 7+k%20).Format(time.DateOnly)
		lines := []crm.DealLineInput{{SKU: skus[k%len(skus)], Quantity: int64(5 + k%20)}, {SKU: skus[(k+2)%len(skus)], Quantity: int64(10 + k%15)}}
		d, err := db.CreateDeal(ctx, crm.DealInput{Title: ptr(fmt.Sprintf("%s — %s", c.Name(), []string{"team shirts", "gift boxes", "office supplies", "event order"}[k%4])),
			Currency: ptr(demo.DemoCurrency), ContactID: &c.ID, CompanyID: c.CompanyID, OwnerID: c.OwnerID, ExpectedClose: &close, Lines: &lines})
		if err != nil {
			return err
		}
		// Most deals are still open; every seventh is won or lost.
		target := stages[k%3]
		if k%7 == 6 && len(stages) >= 5 {
			target = stages[3+k%2]
		}
		if target.ID != d.StageID {
			in := crm.DealStageInput{StageID: target.ID}
			if target.Kind == "lost" {
				in.LostReason = "price"
			}
			if _, err := db.MoveDeal(ctx, d.ID, in); err != nil {
				return err
			}
		}
	}
	return nil
}
