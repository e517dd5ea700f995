package web

import (
	"net/http"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

type homePage struct {
	Due       taskList
	Reminders taskList
	Recent    timeline
}

// home shows the signed-in user's day: open tasks due today or overdue,
// tasks whose reminder time has passed, and the latest timeline entries
// they may see.
func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	a := stateOf(r).actor
	now := s.now().UTC()
	hp := homePage{}
	if a.Can(crm.P(crm.ResTasks, crm.Read)) {
		tomorrow := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
		due, err := s.svc.Tasks.FindTasks(r.Context(), crm.TaskFilter{AssigneeID: &a.UserID, Status: "open", DueBefore: &tomorrow, Limit: 50})
		if err != nil {
			return err
		}
		hp.Due = s.taskList(r, due.Items)
		hp.Due.ID = "due-tasks"
		remind, err := s.svc.Tasks.FindTasks(r.Context(), crm.TaskFilter{AssigneeID: &a.UserID, Status: "open", RemindBefore: &now, Limit: 50})
		if err != nil {
			return err
		}
		hp.Reminders = s.taskList(r, remind.Items)
		hp.Reminders.ID = "reminder-tasks"
	}
	if a.Can(crm.P(crm.ResActivities, crm.Read)) {
		page, err := s.svc.Activities.FindActivities(r.Context(), crm.ActivityFilter{Limit: 20})
		if err != nil {
			return err
		}
		hp.Recent = timeline{L: stateOf(r).locale, Items: page.Items, ShowWhom: true}
		if hp.Recent.Names, err = s.contactNames(r, page.Items); err != nil && crm.ErrorCode(err) != crm.EFORBIDDEN {
			return err
		}
	}
	v := s.newView(r, "home")
	v.Title = v.L.T("console.home.title")
	v.Data = hp
	return s.ok(w, r, "home", v)
}
