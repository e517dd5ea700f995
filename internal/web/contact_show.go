package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// recordPage is the 360° view of a contact or a company.
type recordPage struct {
	Contact    *crm.Contact
	Company    *crm.Company
	Defs       []*crm.CustomField
	Age        int
	Timeline   timeline
	Tasks      taskList
	People     []*crm.Contact // colleagues of a contact, or a company's people
	Duplicates []*crm.Contact
	Users      []*crm.User
	Purchases  purchaseBlock   // purchase facts and latest orders (purchases.go)
	Deals      dealBlock       // the deals block of the record (deal_show.go)
	Surveys    *contactSurveys // survey answers and sending (survey_send.go)
	Scores     *contactScores  // customer value scores (analytics.go)
}

// timeline is one page of entries plus the URL of the next page.
type timeline struct {
	L        *i18n.Locale
	Items    []*crm.Activity
	Names    map[int64]string // contact id → name, for entries shown away from their contact
	MoreURL  string
	ShowWhom bool
}

func (s *server) contactShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, a := r.Context(), stateOf(r).actor
	c, err := s.svc.Contacts.FindContactByID(ctx, id)
	if err != nil {
		return err
	}
	rp := recordPage{Contact: c, Age: c.Age(s.now())}
	if rp.Defs, err = s.svc.CustomFields.FindCustomFields(ctx, "contact"); err != nil {
		return err
	}
	if a.Can(crm.P(crm.ResActivities, crm.Read)) {
		if rp.Timeline, err = s.loadTimeline(r, crm.ActivityFilter{ContactID: &id}, "/contacts/"+strconv.FormatInt(id, 10)); err != nil {
			return err
		}
	}
	if a.Can(crm.P(crm.ResTasks, crm.Read)) {
		tasks, err := s.svc.Tasks.FindTasks(ctx, crm.TaskFilter{ContactID: &id, Status: "open", Limit: 50})
		if err != nil {
			return err
		}
		rp.Tasks = s.taskList(r, tasks.Items)
	}
	if c.CompanyID != nil {
		people, err := s.svc.Contacts.FindContacts(ctx, crm.ContactFilter{CompanyID: c.CompanyID, Limit: 21})
		if err != nil {
			return err
		}
		for _, p := range people.Items {
			if p.ID != c.ID && len(rp.People) < 20 {
				rp.People = append(rp.People, p)
			}
		}
	}
	if rp.Duplicates, err = s.svc.Contacts.FindDuplicates(ctx, id); err != nil {
		return err
	}
	// Deals of the contact (deal_show.go).
	if rp.Deals, err = s.dealSection(r, crm.DealFilter{ContactID: &id}, "/deals/new?contact_id="+strconv.FormatInt(id, 10)); err != nil {
		return err
	}
	// Survey answers of the contact (survey_send.go).
	if rp.Surveys, err = s.contactSurveySection(r, c); err != nil {
		return err
	}
	// Customer value scores of the contact (analytics.go).
	if rp.Scores, err = s.scoreSection(r, id); err != nil {
		return err
	}
	// Purchases of the contact (purchases.go).
	if rp.Purchases, err = s.purchaseSection(r, id); err != nil {
		return err
	}
	if rp.Users, err = s.svc.Users.FindUsers(ctx); err != nil {
		return err
	}
	v := s.newView(r, "contacts")
	v.Title = c.Name()
	v.Data = rp
	return s.ok(w, r, "contact", v)
}

// loadTimeline reads one page of a timeline; base is the record's path and
// "load more" fetches base/timeline?after=….
func (s *server) loadTimeline(r *http.Request, f crm.ActivityFilter, base string) (timeline, error) {
	f.After, f.Limit = r.URL.Query().Get("after"), 20
	page, err := s.svc.Activities.FindActivities(r.Context(), f)
	if err != nil {
		return timeline{}, err
	}
	t := timeline{L: stateOf(r).locale, Items: page.Items, ShowWhom: f.CompanyID != nil}
	if page.Next != "" {
		t.MoreURL = base + "/timeline?after=" + url.QueryEscape(page.Next)
	}
	if t.ShowWhom {
		t.Names, err = s.contactNames(r, page.Items)
	}
	return t, err
}

// contactNames fetches the names of the contacts a list of entries hangs
// on, in one query, for timelines that mix several people.
func (s *server) contactNames(r *http.Request, items []*crm.Activity) (map[int64]string, error) {
	names := map[int64]string{}
	var ids []int64
	for _, x := range items {
		if x.ContactID != nil {
			ids = append(ids, *x.ContactID)
		}
	}
	if len(ids) == 0 {
		return names, nil
	}
	page, err := s.svc.Contacts.FindContacts(r.Context(), crm.ContactFilter{IDs: ids, Limit: len(ids)})
	if err != nil {
		return nil, err
	}
	for _, c := range page.Items {
		names[c.ID] = c.Name()
	}
	return names, nil
}

// contactTimeline is the "load more" fragment of a contact's timeline.
func (s *server) contactTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.Contacts.FindContactByID(r.Context(), id); err != nil {
		return err
	}
	t, err := s.loadTimeline(r, crm.ActivityFilter{ContactID: &id}, "/contacts/"+strconv.FormatInt(id, 10))
	if err != nil {
		return err
	}
	return s.timelineFragment(w, r, t)
}

func (s *server) timelineFragment(w http.ResponseWriter, r *http.Request, t timeline) error {
	v := s.newView(r, "")
	v.Title = v.L.T("console.timeline.title")
	v.Data = t
	if isHTMX(r) {
		s.renderFragment(w, r, http.StatusOK, "timeline", "timeline-page", t)
		return nil
	}
	// Without JavaScript "load more" is a plain link to this page.
	return s.ok(w, r, "timeline", v)
}

// taskList is a list of tasks with what its rows need to render alone
// (as an htmx fragment): the locale, the CSRF token and where "done"
// returns without JavaScript.
type taskList struct {
	ID       string // the list element's id; htmx adds new rows to "tasks"
	L        *i18n.Locale
	Tasks    []*crm.Task
	CSRF     string
	Return   string
	CanWrite bool
}

func (s *server) taskList(r *http.Request, tasks []*crm.Task) taskList {
	st := stateOf(r)
	tl := taskList{ID: "tasks", L: st.locale, Tasks: tasks, Return: r.URL.RequestURI(), CanWrite: st.actor.Can(crm.P(crm.ResTasks, crm.Write))}
	if st.session != nil {
		tl.CSRF = st.session.CSRF
	}
	return tl
}
