package store_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// events returns the event types and data queued for an endpoint, oldest
// first.
func contactEvents(t *testing.T, db *store.DB, endpoint int64) ([]string, []json.RawMessage) {
	t.Helper()
	ds := deliveries(t, db, endpoint)
	slices.SortFunc(ds, func(a, b *crm.WebhookDelivery) int { return int(a.ID - b.ID) })
	var types []string
	var data []json.RawMessage
	for _, d := range ds {
		var body struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(d.Payload), &body); err != nil {
			t.Fatal(err)
		}
		if body.Type != d.Event {
			t.Errorf("payload type %q, delivery %q", body.Type, d.Event)
		}
		types, data = append(types, body.Type), append(data, body.Data)
	}
	return types, data
}

func countEvent(types []string, event string) int {
	n := 0
	for _, t := range types {
		if t == event {
			n++
		}
	}
	return n
}

// TestBulkEditEmitsContactEvents: a bulk edit sends contact.updated per
// contact it changed, a bulk delete contact.deleted per contact, each
// with the contact; contacts the actor may not see send nothing.
func TestBulkEditEmitsContactEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		var ids []int64
		for i := range 3 {
			c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr(fmt.Sprintf("P%d", i))})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://shop.example/hooks")})
		if n, err := db.BulkContacts(ctx, crm.BulkOp{IDs: append(slices.Clone(ids[:2]), 999999), AddTags: []string{"vip"}}); err != nil || n != 2 {
			t.Fatalf("bulk tag: %d, %v", n, err)
		}
		types, data := contactEvents(t, db, e.ID)
		if !slices.Equal(types, []string{crm.EventContactUpdated, crm.EventContactUpdated}) {
			t.Fatalf("after bulk tag: %v", types)
		}
		for i, d := range data {
			var c crm.Contact
			json.Unmarshal(d, &c)
			if c.ID != ids[i] || !slices.Contains(c.Tags, "vip") {
				t.Errorf("event %d: contact %d tags %v", i, c.ID, c.Tags)
			}
		}
		if n, err := db.BulkContacts(ctx, crm.BulkOp{IDs: ids[1:], Delete: true}); err != nil || n != 2 {
			t.Fatalf("bulk delete: %d, %v", n, err)
		}
		types, data = contactEvents(t, db, e.ID)
		if countEvent(types, crm.EventContactDeleted) != 2 {
			t.Fatalf("after bulk delete: %v", types)
		}
		var gone crm.Contact
		json.Unmarshal(data[2], &gone)
		if gone.ID != ids[1] || gone.FirstName != "P1" {
			t.Errorf("deleted event data: %+v", gone)
		}
	})
}

// TestMergeEmitsContactEvents: a merge sends contact.merged with the kept
// contact after the merge and the merged-away one before it, plus
// contact.updated and contact.deleted for receivers that mirror contacts
// through those.
func TestMergeEmitsContactEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		keep, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sara"), Emails: &[]string{"sara@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sara"), LastName: ptr("Ahmadi"), Emails: &[]string{"s.ahmadi@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://shop.example/hooks")})
		if _, err := db.MergeContacts(ctx, keep.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		types, data := contactEvents(t, db, e.ID)
		if !slices.Equal(types, []string{crm.EventContactMerged, crm.EventContactUpdated, crm.EventContactDeleted}) {
			t.Fatalf("events %v", types)
		}
		var m crm.ContactMerge
		if err := json.Unmarshal(data[0], &m); err != nil {
			t.Fatal(err)
		}
		if m.Contact == nil || m.Contact.ID != keep.ID || m.Contact.LastName != "Ahmadi" || !slices.Contains(m.Contact.Emails, "s.ahmadi@example.com") ||
			m.MergedID != other.ID || m.Merged == nil || m.Merged.ID != other.ID {
			t.Errorf("contact.merged data %s", data[0])
		}
		var deleted crm.Contact
		json.Unmarshal(data[2], &deleted)
		if deleted.ID != other.ID {
			t.Errorf("contact.deleted for %d, want %d", deleted.ID, other.ID)
		}
		// An endpoint may take merges alone.
		only, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://crm.example/merges"), Events: &[]string{crm.EventContactMerged}})
		third, _ := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("S")})
		if _, err := db.MergeContacts(ctx, keep.ID, third.ID); err != nil {
			t.Fatal(err)
		}
		if types, _ := contactEvents(t, db, only.ID); !slices.Equal(types, []string{crm.EventContactMerged}) {
			t.Errorf("merge-only endpoint got %v", types)
		}
	})
}

// TestImportEmitsContactEvents: a small import announces each contact it
// created or updated and then the summary; a large one (more than one
// batch) sends the summary alone, saying so, instead of a flood.
func TestImportEmitsContactEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		if _, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Old"), Emails: &[]string{"old@example.com"}}); err != nil {
			t.Fatal(err)
		}
		e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://shop.example/hooks")})
		rows := []crm.ContactInput{
			{FirstName: ptr("New"), Emails: &[]string{"new@example.com"}},
			{FirstName: ptr("Renamed"), Emails: &[]string{"old@example.com"}},
			{FirstName: ptr("Bad"), Emails: &[]string{"not-an-email"}},
		}
		res, err := db.ImportContacts(ctx, rows, store.ImportOptions{Dedupe: store.DedupeUpdate})
		if err != nil || res.Created != 1 || res.Updated != 1 {
			t.Fatalf("import: %+v, %v", res, err)
		}
		types, data := contactEvents(t, db, e.ID)
		if !slices.Equal(types, []string{crm.EventContactCreated, crm.EventContactUpdated, crm.EventContactImportCompleted}) {
			t.Fatalf("small import: %v", types)
		}
		var created, updated crm.Contact
		json.Unmarshal(data[0], &created)
		json.Unmarshal(data[1], &updated)
		if created.FirstName != "New" || updated.FirstName != "Renamed" {
			t.Errorf("per-contact data: %s / %s", data[0], data[1])
		}
		var sum crm.ContactImportSummary
		json.Unmarshal(data[2], &sum)
		if sum.Created != 1 || sum.Updated != 1 || sum.Rejected != 1 || sum.Dedupe != "update" || !sum.ContactEvents || sum.StartedAt.IsZero() {
			t.Errorf("summary %s", data[2])
		}

		big := make([]crm.ContactInput, store.ImportBatch+5)
		for i := range big {
			big[i] = crm.ContactInput{FirstName: ptr("Bulk"), Emails: &[]string{fmt.Sprintf("bulk%d@example.com", i)}}
		}
		if res, err := db.ImportContacts(ctx, big, store.ImportOptions{}); err != nil || res.Created != len(big) {
			t.Fatalf("large import: %+v, %v", res.Created, err)
		}
		types, data = contactEvents(t, db, e.ID)
		if len(types) != 4 || types[3] != crm.EventContactImportCompleted {
			t.Fatalf("large import queued %d events (last %v), want the summary alone", len(types)-3, types[len(types)-1])
		}
		sum = crm.ContactImportSummary{}
		json.Unmarshal(data[3], &sum)
		if sum.Created != len(big) || sum.ContactEvents || sum.Dedupe != "skip" {
			t.Errorf("large summary %s", data[3])
		}
	})
}
