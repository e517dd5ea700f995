// Package wire builds the crm.Services every adapter (console, API, CLI)
// uses: the core store's services and those of the area stores under
// store/<area>, which the core cannot import.
package wire

import (
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/jobs"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
)

// Services returns every service backed by db.
func Services(db *store.DB) *crm.Services {
	svc := db.Services()
	// Recommendations; an order import asks for their rebuild.
	rs := recs.New(db)
	svc.Recommendations, svc.OrderImports = rs, rs.AfterImport(svc.OrderImports)
	return svc
}

// Jobs lists the scheduled jobs every server registers (internal/jobs):
// each area adds its own here.
func Jobs(db *store.DB) []jobs.Job {
	var list []jobs.Job
	list = append(list, recs.New(db).Job())
	return list
}
