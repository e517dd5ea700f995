// Package wire builds the crm.Services every adapter (console, API, CLI)
// uses: the core store's services and those of the area stores under
// store/<area>, which the core cannot import.
package wire

import (
	"context"
	"io"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/jobs"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/economics"
	"github.com/ecrm/ecrm/internal/store/recs"
	"github.com/ecrm/ecrm/internal/store/scores"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
)

// Services returns every service backed by db.
func Services(db *store.DB) *crm.Services {
	svc := db.Services()
	svc.Segments = segstore.New(db)
	svc.Scores = scores.New(db)
	svc.Costs = economics.New(db)
	// Recommendations; an order import asks for their rebuild.
	rs := recs.New(db)
	svc.Recommendations, svc.OrderImports = rs, rs.AfterImport(svc.OrderImports)
	// Past orders change every customer's scores and the purchase facts
	// segments select on: an import asks for both at once, so a shop sees
	// its customers' value after the first import, not the next morning.
	svc.OrderImports = importThen{svc.OrderImports, db, []string{crm.JobScores, segstore.JobName}}
	return svc
}

// importThen asks for jobs after an order import that added orders.
type importThen struct {
	crm.OrderImportService
	db   *store.DB
	jobs []string
}

func (i importThen) ImportOrders(ctx context.Context, r io.Reader, opts crm.OrderFileOptions) (*crm.OrderImportReport, error) {
	rep, err := i.OrderImportService.ImportOrders(ctx, r, opts)
	if err == nil && rep != nil && rep.Orders > 0 {
		for _, j := range i.jobs {
			_ = i.db.RequestJob(context.WithoutCancel(ctx), j)
		}
	}
	return rep, err
}

// Jobs lists the scheduled jobs every server registers (internal/jobs):
// each area adds its own here.
func Jobs(db *store.DB) []jobs.Job {
	var list []jobs.Job
	list = append(list, segstore.Job(db))
	list = append(list, scores.Job(db))
	list = append(list, recs.New(db).Job())
	return list
}
