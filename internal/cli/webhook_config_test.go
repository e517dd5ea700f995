package cli

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWebhookAllowPrivateConfig: the SSRF guard is on unless the TOML
// key or ECRM_WEBHOOK_ALLOW_PRIVATE turns it off; the environment wins.
func TestWebhookAllowPrivateConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ecrm.toml")
	os.WriteFile(file, []byte("webhook_allow_private = true\n"), 0o600)
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"default", nil, nil, false},
		{"file", []string{"--config", file}, nil, true},
		{"env", nil, map[string]string{"ECRM_WEBHOOK_ALLOW_PRIVATE": "1"}, true},
		{"env over file", []string{"--config", file}, map[string]string{"ECRM_WEBHOOK_ALLOW_PRIVATE": "0"}, false},
	}
	for _, tc := range cases {
		env := Env{Getenv: func(k string) string { return tc.env[k] }, Stderr: io.Discard}
		c := newFlags("serve", env)
		c.withAddr()
		if err := c.parse(tc.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := c.resolve(env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.WebhookAllowPrivate != tc.want {
			t.Errorf("%s: allow private = %v, want %v", tc.name, cfg.WebhookAllowPrivate, tc.want)
		}
	}
}
