package transfer_test

import (
	"encoding/json"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillSegments) }

// fillSegments fills segments, segment_members and segment_changes through
// the segment service: a static list with the contact added by hand and
// a dynamic segment that selects it.
func fillSegments(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	svc := segstore.New(db)
	list, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("VIP"), Description: ptr("=HYPERLINK(\"x\")"), Kind: ptr(crm.SegmentStatic)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddMembers(ctx, list.ID, []int64{contactID}); err != nil {
		t.Fatal(err)
	}
	def := json.RawMessage(`{"op":"or","groups":[{"op":"and","predicates":[{"field":"segment","op":"in_segment","value":` + jsonInt(list.ID) + `}]}]}`)
	if _, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("همه"), Definition: def}); err != nil {
		t.Fatal(err)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
