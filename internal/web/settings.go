package web

import (
	"net/http"
	"net/url"

	"github.com/ecrm/ecrm/internal/crm"
)

// shopSettings shows the shop-wide settings (the reporting currency).
func (s *server) shopSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.svc.Facts.ShopSettings(r.Context())
	if err != nil {
		return err
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("commerce.settings.title")
	v.Form = newForm(url.Values{"currency": {st.Currency}})
	if r.URL.Query().Get("saved") != "" {
		v.Message = v.L.T("commerce.settings.saved")
	}
	return s.ok(w, r, "settings_shop", v)
}

func (s *server) shopSettingsUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.Facts.UpdateShopSettings(r.Context(), crm.ShopSettings{Currency: r.PostForm.Get("currency")}); err != nil {
		v := s.newView(r, "admin")
		v.Title = v.L.T("commerce.settings.title")
		v.Form = newForm(r.PostForm)
		return redisplay(err, "settings_shop", v)
	}
	http.Redirect(w, r, "/admin/shop?saved=1", http.StatusSeeOther)
	return nil
}
