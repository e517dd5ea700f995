package tracking

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

//go:embed t.js
var snippetSource string

// Script is the snippet as served: t.js without its comment lines and
// line breaks (the source is written so that joining lines is safe), and
// its gzip form, made once.
var Script, scriptGzip = minify(snippetSource)

var scriptETag = func() string {
	h := sha256.Sum256(Script)
	return `"` + hex.EncodeToString(h[:8]) + `"`
}()

func minify(src string) ([]byte, []byte) {
	var b strings.Builder
	for line := range strings.SplitSeq(src, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "/*") && strings.HasSuffix(t, "*/") {
			continue
		}
		b.WriteString(t)
	}
	out := []byte(b.String())
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(out)
	zw.Close()
	return out, gz.Bytes()
}

// script serves /t.js to any page: it is public and the same for every
// site (the key is in the tag), so it may be cached anywhere.
func (c *Collector) script(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", scriptETag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == scriptETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := Script
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = scriptGzip
	}
	w.Write(body)
}

// bannerTexts are the catalogue keys of the banner (locales/*/tracking.json).
var bannerTexts = []string{"title", "body", "accept", "reject", "save", "necessary", "analytics", "marketing", "privacy", "dnt"}

// siteConfig is what the snippet asks for before it shows the banner.
type siteConfig struct {
	Banner     bool              `json:"banner"`
	Color      string            `json:"color"`
	Position   string            `json:"position"`
	PrivacyURL string            `json:"privacy_url"`
	Lang       string            `json:"lang"`
	Dir        string            `json:"dir"`
	Text       map[string]string `json:"text"`
}

// config answers the banner's options and texts in the browser's
// language (l=) when ecrm speaks it, else the site's default language.
func (c *Collector) config(w http.ResponseWriter, r *http.Request) error {
	s, err := c.siteFor(w, r)
	if err != nil {
		return err
	}
	lang := strings.ToLower(r.URL.Query().Get("l"))
	if !slices.Contains(crm.BannerLanguages, lang) {
		lang = s.Language
	}
	loc := i18n.Get(lang)
	cfg := siteConfig{Banner: s.Banner, Color: s.Color, Position: s.Position, PrivacyURL: s.PrivacyURL, Lang: loc.Lang(), Dir: loc.Dir(), Text: map[string]string{}}
	for _, k := range bannerTexts {
		cfg.Text[k] = loc.T("tracking.banner." + k)
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(cfg)
}
