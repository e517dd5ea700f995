package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, segmentTargets)
	pageParts = append(pageParts, segmentPageCases)
}

// vipDef selects the contacts tagged vip.
const vipDef = `{"op":"and","groups":[{"op":"and","predicates":[{"field":"contact.tags","op":"has_any","value":["vip"]}]}]}`

func mustSegment(t *testing.T, e *env, name, kind, def string) *crm.Segment {
	t.Helper()
	in := crm.SegmentInput{Name: &name, Kind: &kind}
	if def != "" {
		in.Definition = json.RawMessage(def)
	}
	sg, err := e.svc.Segments.Create(sys(), in)
	if err != nil {
		t.Fatalf("create segment %s: %v", name, err)
	}
	return sg
}

// segmentTargets makes a segment for every segment route of the console's
// authorisation matrix (a static list for the routes that change
// membership), and a valid form for the writes.
func segmentTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/segments") && path != "/contacts/bulk/list" {
		return nil, false
	}
	n := seq.Add(1)
	// Each case's segment selects its own member by a tag of its own: the
	// matrix makes hundreds of segments, and one over every "vip" contact
	// so far would make every later fill (and its segment.entered webhooks
	// to the matrix's endpoints) grow with the run.
	tag := fmt.Sprintf("matrix%d", n)
	caseDef := `{"op":"and","groups":[{"op":"and","predicates":[{"field":"contact.tags","op":"has_any","value":["` + tag + `"]}]}]}`
	kind, def := crm.SegmentDynamic, caseDef
	if strings.HasSuffix(path, "/members") || strings.HasSuffix(path, "/bulk") || path == "/contacts/bulk/list" {
		kind, def = crm.SegmentStatic, ""
	}
	sg := mustSegment(t, e, fmt.Sprintf("Matrix %d", n), kind, def)
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/segments/{id}"] = sg.ID
	member := tg.contact
	if member == 0 {
		c, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Mia"), LastName: ptr(fmt.Sprint("Member", n)), Tags: &[]string{tag}})
		if err != nil {
			t.Fatal(err)
		}
		member = c.ID
	}
	if kind == crm.SegmentStatic {
		if _, err := e.svc.Segments.AddMembers(sys(), sg.ID, []int64{member}); err != nil {
			t.Fatal(err)
		}
	}
	id := itoa(member)
	switch pattern {
	case "POST /segments":
		return url.Values{"name": {fmt.Sprintf("New %d", n)}, "kind": {"dynamic"}, "definition": {caseDef}}, true
	case "POST /segments/preview":
		return url.Values{"definition": {caseDef}}, true
	case "POST /segments/{id}":
		return url.Values{"name": {fmt.Sprintf("Renamed %d", n)}, "definition": {caseDef}}, true
	case "POST /segments/{id}/members":
		return url.Values{"ids": {id}}, true
	case "POST /segments/{id}/bulk":
		return url.Values{"action": {"add_tag"}, "tag": {"matrix"}, "id": {id}}, true
	case "POST /contacts/bulk/list":
		return url.Values{"list_id": {itoa(sg.ID)}, "id": {id}}, true
	}
	return nil, true
}

// segmentPageCases adds the segment pages to the every-locale render: a
// dynamic segment over the fixture's vip contact with a condition of
// every family the words describe, and a static list with a member.
func segmentPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	def := `{"op":"or","groups":[{"op":"and","predicates":[
		{"field":"contact.tags","op":"has_any","value":["vip"]},
		{"field":"purchase.orders","op":"eq","value":1},
		{"field":"purchase.last_order","op":"more_than_days_ago","value":60},
		{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},
		{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}]},
		{"op":"and","predicates":[{"field":"contact.stage","op":"in","value":["customer","loyal"]},{"field":"purchase.total_spent","op":"between","value":[1000,250000]}]}]}`
	dyn := mustSegment(t, e, "Lapsed one-time buyers", crm.SegmentDynamic, def)
	list := mustSegment(t, e, "Trade show leads", crm.SegmentStatic, "")
	if _, err := e.svc.Segments.AddMembers(sys(), list.ID, []int64{fx.contact}); err != nil {
		t.Fatal(err)
	}
	d, l := itoa(dyn.ID), itoa(list.ID)
	return []pageCase{
		{"segments", "/segments", "table.segments tbody tr td a[href='/segments/" + d + "']", 200},
		{"segment_form", "/segments/new", "form.segment-builder textarea[name=definition]", 200},
		{"segment_form", "/segments/new?kind=static", "input[name=kind][value=static][checked]", 200},
		{"segment_form", "/segments/" + d + "/edit", "script#segment-catalog", 200},
		{"segment", "/segments/" + d, "section.seg-words li", 200},
		{"segment", "/segments/" + l + "?add_q=ada", "ul.seg-found input[name=id]", 200},
		{"segment", "/segments/" + l, "table.seg-members tbody tr td a[href='/contacts/{contact}']", 200},
		{"confirm", "/segments/" + d + "/delete", "form[action='/segments/" + d + "/delete']", 200},
	}
}

// leakedKey finds a catalogue key shown instead of its text.
var leakedKey = regexp.MustCompile(`\b(segui|seg)\.[a-z_]+\.[a-z_.]+`)

// TestSegmentBuilderCatalogueIsTranslated checks that every label, operator,
// parameter and option the builder's script shows has a translation in
// every language: the catalogue is built for the reader, so a missing key
// would reach the page as the key itself.
func TestSegmentBuilderCatalogueIsTranslated(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		rec := e.do(c, http.MethodGet, "/segments/new", nil)
		if rec.Code != 200 {
			t.Fatalf("%s: /segments/new = %d", lang, rec.Code)
		}
		raw := doc(t, rec).Find("script#segment-catalog").Text()
		var cat segCatalog
		if err := json.Unmarshal([]byte(raw), &cat); err != nil {
			t.Fatalf("%s: catalogue is not JSON: %v\n%.300s", lang, err, raw)
		}
		if len(cat.Families) < 10 || len(cat.Fields) < 40 {
			t.Errorf("%s: %d families, %d fields: the catalogue is incomplete", lang, len(cat.Families), len(cat.Fields))
		}
		if m := leakedKey.FindString(raw); m != "" {
			t.Errorf("%s: untranslated key %q in the builder's catalogue", lang, m)
		}
		if m := leakedKey.FindString(rec.Body.String()); m != "" {
			t.Errorf("%s: untranslated key %q on the page", lang, m)
		}
		for _, k := range segBuilderText {
			if cat.Text[k] == "" {
				t.Errorf("%s: builder text %q is empty", lang, k)
			}
		}
		owner := cat.Fields["contact.owner"]
		if owner.Source != "owners" || len(cat.Sources["owners"]) != len(e.users) || owner.Ops[0].Input != "enums" {
			t.Errorf("%s: account manager = %+v with %d owners, want a multiple choice of the %d users", lang, owner, len(cat.Sources["owners"]), len(e.users))
		}
		consent := cat.Fields["consent"]
		if len(consent.Params) != 2 || consent.Params[0].Input != "enum" || consent.Params[0].Default != "marketing" {
			t.Errorf("%s: consent params = %+v, want a purpose select defaulting to marketing", lang, consent.Params)
		}
	}
}

func TestSegmentSaveShowsErrorsOnThePredicate(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.session(crm.RoleAdmin)
	bad := `{"op":"and","groups":[{"op":"and","predicates":[{"field":"contact.tags","op":"has_any","value":["vip"]},{"field":"purchase.orders","op":"eq","value":"many"}]}]}`
	rec := e.do(admin, http.MethodPost, "/segments", url.Values{"name": {"Big spenders"}, "kind": {"dynamic"}, "definition": {bad}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad definition = %d, want 422\n%s", rec.Code, rec.Body)
	}
	d := doc(t, rec)
	item := d.Find(`#segment-errors li[data-error-path^="definition.groups[0].predicates[1]"]`)
	if item.Length() == 0 {
		t.Fatalf("no error on groups[0].predicates[1]:\n%s", d.Find("#segment-errors").Text())
	}
	if got := item.Text(); !strings.Contains(got, "Group 1, condition 2") {
		t.Errorf("error = %q, want it to name group 1, condition 2", got)
	}
	if d.Find(`input[name=name][value="Big spenders"]`).Length() == 0 || !strings.Contains(d.Find("textarea[name=definition]").Text(), `"many"`) {
		t.Error("the submitted name and definition are not shown again")
	}
	// A missing name is a field error of its own, beside the builder.
	rec = e.do(admin, http.MethodPost, "/segments", url.Values{"name": {""}, "kind": {"dynamic"}, "definition": {vipDef}})
	if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("input[name=name][aria-invalid=true]").Length() == 0 {
		t.Errorf("empty name = %d, want 422 with the name marked", rec.Code)
	}

	// The live count: the number and a sample, or the errors with their paths.
	c, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Vera"), LastName: ptr("Vip"), Email: ptr("vera@example.com"), Tags: &[]string{"vip"}})
	if err != nil {
		t.Fatal(err)
	}
	rec = e.do(admin, http.MethodPost, "/segments/preview", url.Values{"definition": {vipDef}}, "HX-Request", "true")
	if rec.Code != 200 {
		t.Fatalf("preview = %d\n%s", rec.Code, rec.Body)
	}
	d = doc(t, rec)
	if got := d.Find(".seg-count").AttrOr("data-count", ""); got != "1" {
		t.Errorf("preview count = %q, want 1", got)
	}
	if d.Find(fmt.Sprintf(`ul.seg-sample a[href="/contacts/%d"]`, c.ID)).Length() != 1 {
		t.Errorf("the sample does not show the member:\n%s", rec.Body)
	}
	rec = e.do(admin, http.MethodPost, "/segments/preview", url.Values{"definition": {bad}}, "HX-Request", "true")
	if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find(`li[data-error-path="definition.groups[0].predicates[1].value"]`).Length() != 1 {
		t.Errorf("preview of a bad definition = %d, want 422 naming groups[0].predicates[1].value\n%s", rec.Code, rec.Body)
	}
	// Without the token the live count is refused like any other post.
	if rec := e.do(admin, http.MethodPost, "/segments/preview", url.Values{"definition": {vipDef}, "_csrf": {""}}); rec.Code != http.StatusForbidden {
		t.Errorf("preview without CSRF token = %d, want 403", rec.Code)
	}

	rec = e.do(admin, http.MethodPost, "/segments", url.Values{"name": {"VIPs"}, "description": {"Tagged vip"}, "kind": {"dynamic"}, "definition": {vipDef}})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/segments/") {
		t.Fatalf("save = %d to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	rec = e.do(admin, http.MethodGet, rec.Header().Get("Location"), nil)
	d = doc(t, rec)
	if rec.Code != 200 || d.Find(fmt.Sprintf(`table.seg-members a[href="/contacts/%d"]`, c.ID)).Length() != 1 {
		t.Fatalf("segment page = %d without the member\n%s", rec.Code, rec.Body)
	}
	if got := d.Find("p.notice").Text(); got == "" {
		t.Error("no message after saving")
	}
	if got := d.Find("section.seg-words li").Text(); !strings.Contains(got, "vip") {
		t.Errorf("definition in words = %q, want the tag named", got)
	}
}

// segEnv is a console with a static list of three contacts, one owned by
// a sales user whose role is own-only.
type segEnv struct {
	*env
	list                 *crm.Segment
	mine, other1, other2 int64
	sales                *crm.User
}

func newSegEnv(t *testing.T, db *store.DB) segEnv {
	e := newEnv(t, db)
	sales := e.users[crm.RoleSales]
	var ids []int64
	for i, in := range []crm.ContactInput{
		{FirstName: ptr("Sara"), LastName: ptr("Mine"), Email: ptr("sara@example.com"), OwnerID: &sales.ID},
		{FirstName: ptr("=HYPERLINK(\"http://evil\")"), LastName: ptr("Other"), Email: ptr("other1@example.com")},
		{FirstName: ptr("Omar"), LastName: ptr("Other"), Email: ptr("other2@example.com")},
	} {
		c, err := e.svc.Contacts.CreateContact(sys(), in)
		if err != nil {
			t.Fatalf("contact %d: %v", i, err)
		}
		ids = append(ids, c.ID)
	}
	list := mustSegment(t, e, "Fair leads", crm.SegmentStatic, "")
	if _, err := e.svc.Segments.AddMembers(sys(), list.ID, ids); err != nil {
		t.Fatal(err)
	}
	return segEnv{env: e, list: list, mine: ids[0], other1: ids[1], other2: ids[2], sales: sales}
}

func TestSegmentBulkActions(t *testing.T) {
	storetest.Each(t, testSegmentBulkActions)
}

func testSegmentBulkActions(t *testing.T, db *store.DB) {
	se := newSegEnv(t, db)
	admin := se.session(crm.RoleAdmin)
	base := segmentURL(se.list.ID)
	post := func(form url.Values) *httptest.ResponseRecorder {
		return se.do(admin, http.MethodPost, base+"/bulk", form)
	}
	// Tag the selected members.
	rec := post(url.Values{"action": {"add_tag"}, "tag": {"fair-2026"}, "id": {itoa(se.mine), itoa(se.other2)}, "return": {base}})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "done=tagged") {
		t.Fatalf("add tag = %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	for id, want := range map[int64]bool{se.mine: true, se.other1: false, se.other2: true} {
		c, _ := se.svc.Contacts.FindContactByID(sys(), id)
		if got := slices.Contains(c.Tags, "fair-2026"); got != want {
			t.Errorf("contact %d tagged = %v, want %v", id, got, want)
		}
	}
	msg := doc(t, se.do(admin, http.MethodGet, rec.Header().Get("Location"), nil)).Find("p.notice").Text()
	if !strings.Contains(msg, "2") {
		t.Errorf("flash after tagging = %q, want the count", msg)
	}
	// Assign an account manager to all members.
	owner := se.users[crm.RoleManager].ID
	rec = post(url.Values{"action": {"assign_owner"}, "owner_id": {itoa(owner)}, "scope": {"all"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("assign owner = %d\n%s", rec.Code, rec.Body)
	}
	for _, id := range []int64{se.mine, se.other1, se.other2} {
		if c, _ := se.svc.Contacts.FindContactByID(sys(), id); c.OwnerID == nil || *c.OwnerID != owner {
			t.Errorf("contact %d owner = %v, want %d", id, c.OwnerID, owner)
		}
	}
	// Copy to another list, then remove one from this one.
	other := mustSegment(t, se.env, "Follow-up", crm.SegmentStatic, "")
	if rec = post(url.Values{"action": {"add_to_list"}, "list_id": {itoa(other.ID)}, "id": {itoa(se.other1)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("add to list = %d\n%s", rec.Code, rec.Body)
	}
	if rec = post(url.Values{"action": {"remove_from_list"}, "id": {itoa(se.other1)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("remove = %d\n%s", rec.Code, rec.Body)
	}
	if got := memberSet(t, se.env, se.list.ID); got != fmt.Sprint([]int64{se.mine, se.other2}) {
		t.Errorf("members after remove = %s", got)
	}
	if got := memberSet(t, se.env, other.ID); got != fmt.Sprint([]int64{se.other1}) {
		t.Errorf("other list = %s", got)
	}
	// Nothing selected is a 422, not a silent no-op.
	if rec = post(url.Values{"action": {"add_tag"}, "tag": {"x"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("nothing selected = %d, want 422", rec.Code)
	}
	// Static lists also take contacts by id or email.
	rec = se.do(admin, http.MethodPost, base+"/members", url.Values{"ids": {"other1@example.com"}})
	if rec.Code != http.StatusSeeOther || memberSet(t, se.env, se.list.ID) != fmt.Sprint([]int64{se.mine, se.other1, se.other2}) {
		t.Errorf("add by email = %d, members %s", rec.Code, memberSet(t, se.env, se.list.ID))
	}
	if rec = se.do(admin, http.MethodPost, base+"/members", url.Values{"ids": {"not-a-contact"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("add nonsense = %d, want 422", rec.Code)
	}
	// And from the contact list's bulk form.
	rec = se.do(admin, http.MethodPost, "/contacts/bulk/list", url.Values{"list_id": {itoa(other.ID)}, "id": {itoa(se.mine)}})
	if rec.Code != http.StatusSeeOther || memberSet(t, se.env, other.ID) != fmt.Sprint([]int64{se.mine, se.other1}) {
		t.Errorf("contacts → list = %d, members %s", rec.Code, memberSet(t, se.env, other.ID))
	}
	if d := doc(t, se.do(admin, http.MethodGet, "/segments/picker", nil)); d.Find(fmt.Sprintf(`option[value="%d"]`, other.ID)).Length() != 1 {
		t.Error("the contact list's picker does not offer the static lists")
	}
}

func TestSegmentExportCSV(t *testing.T) {
	se := newSegEnv(t, storetest.Open(t, "sqlite"))
	admin := se.session(crm.RoleAdmin)
	rec := se.do(admin, http.MethodGet, segmentURL(se.list.ID)+"/export.csv", nil)
	if rec.Code != 200 {
		t.Fatalf("export = %d\n%s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="segment-fair-leads.csv"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	body := rec.Body.String()
	if !strings.Contains(body, "other2@example.com") || strings.Count(strings.TrimSpace(body), "\n") != 3 {
		t.Errorf("export has not a header and three members:\n%s", body)
	}
	if strings.Contains(body, ",=HYPERLINK") || strings.Contains(body, "\"=HYPERLINK") {
		t.Errorf("a formula reached the CSV unneutralised:\n%s", body)
	}
	// The selected members only, through the bulk form.
	rec = se.do(admin, http.MethodPost, segmentURL(se.list.ID)+"/bulk", url.Values{"action": {"export_csv"}, "id": {itoa(se.other2)}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "other2@example.com") || strings.Contains(rec.Body.String(), "sara@example.com") {
		t.Errorf("export of the selection = %d\n%s", rec.Code, rec.Body)
	}
	// Support may read segments but not export; read-only users see the
	// members but none of the buttons that would change them.
	if rec := se.do(se.session(crm.RoleSupport), http.MethodGet, segmentURL(se.list.ID)+"/export.csv", nil); rec.Code != http.StatusForbidden {
		t.Errorf("support export = %d, want 403", rec.Code)
	}
	if d := doc(t, se.do(se.session(crm.RoleSupport), http.MethodGet, segmentURL(se.list.ID), nil)); d.Find(`a[href$="/export.csv"], option[value=export_csv]`).Length() != 0 {
		t.Error("support is offered an export")
	}
	d := doc(t, se.do(se.session(crm.RoleReadOnly), http.MethodGet, segmentURL(se.list.ID), nil))
	if d.Find("table.seg-members tbody tr").Length() != 3 || d.Find(`fieldset.seg-bulk, input[name=id], a[href$="/edit"], a[href$="/delete"]`).Length() != 0 {
		t.Error("read-only sees actions on the segment page, or not its members")
	}
	if d := doc(t, se.do(se.session(crm.RoleReadOnly), http.MethodGet, "/segments", nil)); d.Find(`a[href^="/segments/new"]`).Length() != 0 {
		t.Error("read-only is offered to create segments")
	}
}

// TestSegmentOwnOnly: a sales user whose role sees only its own records
// sees, counts and exports only its own members.
func TestSegmentOwnOnly(t *testing.T) {
	storetest.Each(t, testSegmentOwnOnly)
}

func testSegmentOwnOnly(t *testing.T, db *store.DB) {
	se := newSegEnv(t, db)
	if err := se.svc.Users.SetRoleOwnOnly(sys(), crm.RoleSales, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { se.svc.Users.SetRoleOwnOnly(sys(), crm.RoleSales, false) })
	sales := se.session(crm.RoleSales)
	d := doc(t, se.do(sales, http.MethodGet, segmentURL(se.list.ID), nil))
	if rows := d.Find("table.seg-members tbody tr a[href^='/contacts/']"); rows.Length() != 1 || rows.AttrOr("href", "") != "/contacts/"+itoa(se.mine) {
		t.Errorf("own-only member list shows %d rows, want only their own contact", rows.Length())
	}
	rec := se.do(sales, http.MethodPost, "/segments/preview", url.Values{"definition": {`{"op":"and","groups":[]}`}})
	if got := doc(t, rec).Find(".seg-count").AttrOr("data-count", ""); got != "1" {
		t.Errorf("own-only preview of everyone = %q, want 1 (their own contact)", got)
	}
}

func memberSet(t *testing.T, e *env, id int64) string {
	t.Helper()
	page, err := e.svc.Segments.Members(sys(), id, crm.SegmentPage{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range page.Members {
		ids = append(ids, m.ContactID)
	}
	slices.Sort(ids)
	return fmt.Sprint(ids)
}

func TestSegmentErrorWhere(t *testing.T) {
	en, fa := i18n.Get("en"), i18n.Get("fa")
	for _, c := range []struct {
		l          *i18n.Locale
		path, want string
	}{
		{en, "definition", "Definition"},
		{en, "definition.op", "Definition"},
		{en, "definition.groups[0]", "Group 1"},
		{en, "definition.groups[0].predicates[2].value", "Group 1, condition 3"},
		{en, "body.definition.groups[1].groups[0].predicates[0].value[1]", "Group 2.1, condition 1"},
		{fa, "definition.groups[0].predicates[2].value", "گروه ۱، شرط ۳"},
	} {
		if got := errorWhere(c.l, c.path); got != c.want {
			t.Errorf("errorWhere(%s, %q) = %q, want %q", c.l.Lang(), c.path, got, c.want)
		}
	}
}

// TestSegmentPageSaysTheDefinitionInWords: the segment page writes the
// issue's segment out in the reader's language, values in the gaps of
// the operators, Persian digits in Persian.
func TestSegmentPageSaysTheDefinitionInWords(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	sg := mustSegment(t, e, "Win back", crm.SegmentDynamic, `{"op":"and","groups":[{"op":"and","predicates":[
		{"field":"purchase.orders","op":"eq","value":1},
		{"field":"purchase.last_order","op":"more_than_days_ago","value":60},
		{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},
		{"field":"consent","op":"granted","purpose":"marketing","channel":"email"},
		{"field":"purchase.total_spent","op":"gte","value":2550},
		{"field":"contact.owner","op":"in","value":[`+itoa(e.users[crm.RoleSales].ID)+`]}]}]}`)
	for lang, want := range map[string][]string{
		"en": {"Last order more than 60 days ago", "(Since the last order)", "Purpose: Marketing; Channel: Email", "25.50", e.users[crm.RoleSales].Name},
		"fa": {"۶۰", "۲۵٫۵۰"},
	} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		rec := e.do(c, http.MethodGet, segmentURL(sg.ID), nil)
		words := doc(t, rec).Find("section.seg-words").Text()
		for _, w := range want {
			if !strings.Contains(words, w) {
				t.Errorf("%s: words %q lack %q", lang, words, w)
			}
		}
		if m := leakedKey.FindString(rec.Body.String()); m != "" {
			t.Errorf("%s: untranslated key %q on the segment page", lang, m)
		}
	}
}

// TestSegmentStaticListLifecycle: a new static list takes a snapshot of
// its conditions, its edit page has no builder, refresh recomputes a
// dynamic segment, and delete asks first, then removes.
func TestSegmentStaticListLifecycle(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.session(crm.RoleAdmin)
	vera, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Vera"), Tags: &[]string{"vip"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := e.do(admin, http.MethodPost, "/segments", url.Values{"name": {"VIP snapshot"}, "kind": {"static"}, "definition": {vipDef}})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "done=created_list") {
		t.Fatalf("static create = %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	page := doc(t, e.do(admin, http.MethodGet, rec.Header().Get("Location"), nil))
	if page.Find(fmt.Sprintf(`table.seg-members a[href="/contacts/%d"]`, vera.ID)).Length() != 1 || !strings.Contains(page.Find("p.notice").Text(), "1") {
		t.Errorf("the snapshot lacks Vera or the message: %q", page.Find("p.notice").Text())
	}
	list := strings.TrimSuffix(strings.SplitN(rec.Header().Get("Location"), "?", 2)[0], "/")
	if d := doc(t, e.do(admin, http.MethodGet, list+"/edit", nil)); d.Find("#segment-tree").Length() != 0 || d.Find("input[name=kind][value=static]").Length() != 1 {
		t.Error("a static list's edit page shows the builder")
	}
	// A later vip is not added to the snapshot; the dynamic segment takes
	// them on refresh.
	dyn := mustSegment(t, e, "VIPs", crm.SegmentDynamic, vipDef)
	if _, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Walt"), Tags: &[]string{"vip"}}); err != nil {
		t.Fatal(err)
	}
	rec = e.do(admin, http.MethodPost, segmentURL(dyn.ID)+"/refresh", nil)
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "done=refreshed&n=2") {
		t.Errorf("refresh = %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if got := doc(t, e.do(admin, http.MethodGet, list, nil)).Find("table.seg-members tbody tr").Length(); got != 1 {
		t.Errorf("the snapshot has %d rows, want 1", got)
	}
	if rec = e.do(admin, http.MethodGet, segmentURL(dyn.ID)+"/delete", nil); rec.Code != 200 || doc(t, rec).Find(`form[action$="/delete"] button.danger`).Length() != 1 {
		t.Errorf("delete confirmation = %d", rec.Code)
	}
	rec = e.do(admin, http.MethodPost, segmentURL(dyn.ID)+"/delete", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/segments?done=deleted" {
		t.Errorf("delete = %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec = e.do(admin, http.MethodGet, segmentURL(dyn.ID), nil); rec.Code != http.StatusNotFound {
		t.Errorf("deleted segment = %d, want 404", rec.Code)
	}
}

// TestSegmentMarkupIsText: a segment name, a custom field label and a
// typed value holding markup reach the list, the builder's data block and
// the words as text, never as markup.
func TestSegmentMarkupIsText(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	evil := `</script><script>alert(1)</script>`
	if _, err := e.svc.CustomFields.CreateCustomField(sys(), crm.CustomFieldInput{Entity: ptr("contact"), Key: ptr("nick"), Label: ptr(evil), Type: ptr("text")}); err != nil {
		t.Fatal(err)
	}
	sg := mustSegment(t, e, evil, crm.SegmentDynamic, `{"op":"and","groups":[{"op":"and","predicates":[{"field":"custom.nick","op":"eq","value":"`+strings.ReplaceAll(evil, `"`, `\"`)+`"}]}]}`)
	admin := e.session(crm.RoleAdmin)
	for _, path := range []string{"/segments", segmentURL(sg.ID), segmentURL(sg.ID) + "/edit"} {
		rec := e.do(admin, http.MethodGet, path, nil)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "<script>alert") {
			t.Errorf("%s = %d, markup reached the page unescaped", path, rec.Code)
		}
	}
	raw := doc(t, e.do(admin, http.MethodGet, segmentURL(sg.ID)+"/edit", nil)).Find("script#segment-catalog").Text()
	var cat segCatalog
	if err := json.Unmarshal([]byte(raw), &cat); err != nil || cat.Fields["custom.nick"].Label != evil {
		t.Errorf("the custom field's label did not survive the data block as text: %v", err)
	}
}
