package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files under content-hashed names
// (app.3f2a91c0.css), as Miniflux and WTF's hashfs do: a new build changes
// the name, so browsers may cache each name forever.
type assets struct {
	hashed map[string]string // "vendor/htmx.min.js" → "vendor/htmx.min.<hash>.js"
	files  map[string]asset  // hashed name → content
}

type asset struct {
	body  []byte
	ctype string
}

func newAssets() (*assets, error) {
	a := &assets{hashed: map[string]string{}, files: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		h := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.hashed[name] = h
		a.files[h] = asset{body: body, ctype: ctype}
		return nil
	})
	return a, err
}

// url returns the hashed URL of a static file. An unknown name is a bug in
// a template, so it fails the render rather than linking to nothing.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hashed[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + h, nil
}

// static serves /static/<hashed name> with immutable caching. Only hashed
// names exist, so a stale page can never get a mismatched file.
func (s *server) static(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := s.assets.files[name]
	if !ok {
		return crm.Errorf(crm.ENOTFOUND, "no such file")
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(f.body)
	return nil
}

// favicon answers the browser's unasked-for request; a day's cache is
// enough because its URL cannot carry a hash.
func (s *server) favicon(w http.ResponseWriter, r *http.Request) error {
	f := s.assets.files[s.assets.hashed["favicon.ico"]]
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(f.body)
	return nil
}

// securityHeaders sets a strict CSP (no inline scripts or styles, so no
// style= attributes and no hx-on in templates) and the usual hardening.
// data: images are allowed because Pico draws its checkmarks and select
// arrows as inline SVG.
func securityHeaders(next http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
