// Package wire builds the crm.Services every adapter (console, API, CLI)
// uses: the core store's services and those of the area stores under
// store/<area>, which the core cannot import.
package wire

import (
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/jobs"
	"github.com/ecrm/ecrm/internal/store"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
	"github.com/ecrm/ecrm/internal/store/scores"
	"github.com/ecrm/ecrm/internal/store/economics"
	"github.com/ecrm/ecrm/internal/store/recs"
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
	return svc
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
