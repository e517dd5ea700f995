package jobs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/jobs"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestOneOfSeveralServersRunsAJob: two runners (two servers) on one
// database race for the same due job; it runs once, and again only when
// asked for or when its interval has passed.
func TestOneOfSeveralServersRunsAJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		other, err := store.Open(ctx, db.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		var runs atomic.Int32
		job := jobs.Job{Name: "test.count", Every: time.Hour, Lease: time.Minute, Run: func(ctx context.Context) error {
			runs.Add(1)
			time.Sleep(20 * time.Millisecond)
			return nil
		}}
		a, b := jobs.New(db, jobs.Options{}), jobs.New(other, jobs.Options{})
		a.Add(job)
		b.Add(job)
		var wg sync.WaitGroup
		for _, r := range []*jobs.Runner{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); r.RunDue(ctx) }()
		}
		wg.Wait()
		if n := runs.Load(); n != 1 {
			t.Fatalf("job ran %d times on two servers, want 1", n)
		}
		// Not due again for an hour...
		a.RunDue(ctx)
		b.RunDue(ctx)
		if n := runs.Load(); n != 1 {
			t.Fatalf("job ran again before its interval: %d", n)
		}
		st, ok, err := db.Job(ctx, "test.count")
		if err != nil || !ok || st.LastFinishedAt == nil || st.LastError != "" || st.Runs != 1 {
			t.Fatalf("job row = %+v ok=%v err=%v", st, ok, err)
		}
		// ...unless someone asks.
		if err := other.RequestJob(ctx, "test.count"); err != nil {
			t.Fatal(err)
		}
		if ran := b.RunDue(ctx); len(ran) != 1 {
			t.Fatalf("requested job not run: %v", ran)
		}
	})
}

// TestFailingJobIsRecordedAndReleased: an error or panic ends the run,
// is written to the job's row, and frees the lease.
func TestFailingJobIsRecordedAndReleased(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := jobs.New(db, jobs.Options{})
		r.Add(jobs.Job{Name: "test.panic", Every: time.Millisecond, Run: func(context.Context) error { panic("boom") }})
		r.RunDue(ctx)
		st, _, err := db.Job(ctx, "test.panic")
		if err != nil || st.LastError != "panic: boom" || !st.LeaseUntil.Equal(time.UnixMilli(0).UTC()) {
			t.Fatalf("after panic: %+v %v", st, err)
		}
		time.Sleep(5 * time.Millisecond)
		if ran := r.RunDue(ctx); len(ran) != 1 {
			t.Fatalf("failed job not retried after its interval: %v", ran)
		}
	})
}
