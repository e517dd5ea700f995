package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// activityInput reads a "log a note/call/meeting/email" form. The parent
// comes from the URL, never from the form.
func activityInput(f url.Values) (crm.ActivityInput, error) {
	kind, subject, body := f.Get("kind"), f.Get("subject"), f.Get("body")
	in := crm.ActivityInput{Kind: &kind, Subject: &subject, Body: &body}
	if o := f.Get("outcome"); o != "" && kind == "call" {
		in.Outcome = &o
	}
	var v crm.Validation
	if m := strings.TrimSpace(f.Get("duration_min")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			v.Add("duration_sec", "out_of_range")
		} else {
			sec := n * 60
			in.DurationSec = &sec
		}
	}
	if at := strings.TrimSpace(f.Get("occurred_at")); at != "" {
		t, err := time.Parse("2006-01-02T15:04", at)
		if err != nil {
			v.Add("occurred_at", "invalid_date")
		} else {
			in.OccurredAt = &t
		}
	}
	return in, v.Err()
}

// taskInput reads an "add a task" form: due is a day, remind a moment.
func taskInput(f url.Values) (crm.TaskInput, error) {
	title, body := f.Get("title"), f.Get("body")
	in := crm.TaskInput{Title: &title, Body: &body}
	var v crm.Validation
	if d := strings.TrimSpace(f.Get("due")); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			v.Add("due", "invalid_date")
		} else {
			in.DueAt = &t
		}
	}
	if d := strings.TrimSpace(f.Get("remind")); d != "" {
		t, err := time.Parse("2006-01-02T15:04", d)
		if err != nil {
			v.Add("remind", "invalid_date")
		} else {
			in.RemindAt = &t
		}
	}
	if id, err := strconv.ParseInt(f.Get("assignee_id"), 10, 64); err == nil && id > 0 {
		in.AssigneeID = &id
	}
	return in, v.Err()
}

func (s *server) contactActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.logActivity(w, r, &id, nil, "/contacts/"+strconv.FormatInt(id, 10))
}

func (s *server) companyActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.logActivity(w, r, nil, &id, "/companies/"+strconv.FormatInt(id, 10))
}

func (s *server) logActivity(w http.ResponseWriter, r *http.Request, contactID, companyID *int64, back string) error {
	in, err := activityInput(r.PostForm)
	if err != nil {
		return err
	}
	if k := deref(in.Kind); !slices.Contains(crm.ActivityKinds, k) {
		return crm.Errorf(crm.EINVALID, "unknown kind")
	}
	in.ContactID, in.CompanyID = contactID, companyID
	x, err := s.svc.Activities.CreateActivity(r.Context(), in)
	if err != nil {
		return err
	}
	if !isHTMX(r) {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	t := timeline{L: stateOf(r).locale, Items: []*crm.Activity{x}}
	s.renderFragment(w, r, http.StatusOK, "timeline", "timeline-items", t)
	return nil
}

func (s *server) contactTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.addTask(w, r, crm.TaskInput{ContactID: &id}, "/contacts/"+strconv.FormatInt(id, 10))
}

func (s *server) companyTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.addTask(w, r, crm.TaskInput{CompanyID: &id}, "/companies/"+strconv.FormatInt(id, 10))
}

// addTask files a task on the contact or company named in parent.
func (s *server) addTask(w http.ResponseWriter, r *http.Request, parent crm.TaskInput, back string) error {
	in, err := taskInput(r.PostForm)
	if err != nil {
		return err
	}
	in.ContactID, in.CompanyID = parent.ContactID, parent.CompanyID
	t, err := s.svc.Tasks.CreateTask(r.Context(), in)
	if err != nil {
		return err
	}
	if !isHTMX(r) {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	tl := s.taskList(r, []*crm.Task{t})
	tl.Return = back
	s.renderFragment(w, r, http.StatusOK, "timeline", "task-rows", tl)
	return nil
}

// taskDone completes a task. htmx removes the row; without JavaScript the
// browser goes back to the page it came from.
func (s *server) taskDone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	done := "done"
	if _, err := s.svc.Tasks.UpdateTask(r.Context(), id, crm.TaskInput{Status: &done}); err != nil {
		return err
	}
	if isHTMX(r) {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	http.Redirect(w, r, localPath(r.PostFormValue("return"), "/"), http.StatusSeeOther)
	return nil
}
