package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestBackupSQLite(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	mustContact(t, ctx, db, crm.ContactInput{LastName: ptr("Backed Up")})
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(context.Background(), path); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("second backup to same file: %v, want conflict", err)
	}
	cp, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	page, err := cp.FindContacts(ctx, crm.ContactFilter{Query: "backed"})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("backup holds %d matching contacts (%v), want 1", len(page.Items), err)
	}
}
