package server

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestZZShots(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	email, pw, role := "admin@example.com", "correct horse battery", crm.RoleAdmin
	db.CreateUser(storetest.System(), crm.UserInput{Email: &email, Name: ptr("Ad Min"), Role: &role, Password: &pw})
	seedLapsedBuyers(t, db)
	bs := newBrowserSession(t, chrome, db, "zz-")
	bs.step("login", chromedp.Navigate(bs.base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)))
	bs.step("form", chromedp.EmulateViewport(1280, 1700), chromedp.Navigate(bs.base+"/segments/new"), chromedp.WaitVisible(chromedp.CSS(`#segment-tree`)),
		chromedp.SetValue(chromedp.CSS(`textarea[name=definition]`), `{"op":"and","groups":[{"op":"and","predicates":[{"field":"purchase.orders","op":"eq","value":1},{"field":"purchase.last_order","op":"more_than_days_ago","value":60},{"field":"purchase.total_spent","op":"between","value":[1000,"x"]},{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}],"groups":[{"op":"or","predicates":[{"field":"contact.stage","op":"in","value":["customer"]}]}]}]}`),
		poll(`document.querySelector('textarea[name=definition]').dispatchEvent(new Event('change')) || true`),
		poll(`document.querySelector('.seg-error') !== null`),
		bs.shot("zz-builder-desktop"))
	bs.step("submit", chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "X"), chromedp.Click(chromedp.CSS(`form.segment-builder .actions button`)),
		chromedp.WaitVisible(chromedp.CSS(`#segment-errors`)), poll(`document.querySelector('#segment-tree .seg-error') !== null`), bs.shot("zz-builder-422"))
	bs.step("list", chromedp.Navigate(bs.base+"/contacts"), chromedp.WaitVisible(chromedp.CSS(`#results`)), bs.shot("zz-contacts"))
}
