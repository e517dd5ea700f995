package recs

import (
	"context"
	"io"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/jobs"
)

// Job is the scheduled rebuild: hourly, skipped while nothing changed
// (RebuildRecommendations with force false), and at the next tick after
// an order import or a restore asked for it (store.RequestJob).
func (s *Store) Job() jobs.Job {
	return jobs.Job{Name: crm.JobRecsRebuild, Every: time.Hour, Lease: 5 * time.Minute,
		Run: func(ctx context.Context) error {
			_, err := s.RebuildRecommendations(ctx, "job", false)
			return err
		}}
}

// afterImport asks for a rebuild once an order import has stored orders.
type afterImport struct {
	crm.OrderImportService
	s *Store
}

// AfterImport wraps the order import service so that every import that
// stored orders requests the rebuild job.
func (s *Store) AfterImport(svc crm.OrderImportService) crm.OrderImportService {
	return afterImport{svc, s}
}

func (a afterImport) ImportOrders(ctx context.Context, r io.Reader, opts crm.OrderFileOptions) (*crm.OrderImportReport, error) {
	rep, err := a.OrderImportService.ImportOrders(ctx, r, opts)
	if err == nil && rep != nil && rep.Orders > 0 {
		_ = a.s.db.RequestJob(context.WithoutCancel(ctx), crm.JobRecsRebuild)
	}
	return rep, err
}
