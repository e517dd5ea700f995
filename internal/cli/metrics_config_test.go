package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestServeMetricsConfig: ECRM_METRICS_TOKEN makes /metrics ask for the
// token; --metrics-addr moves it off the console's address.
func TestServeMetricsConfig(t *testing.T) {
	env := map[string]string{"ECRM_DB": storetest.DSN(t, "sqlite"), "ECRM_METRICS_TOKEN": "m3trics-t0ken"}
	url := serve(t, env, "serve", "--addr", "127.0.0.1:0")
	if code, _ := get(t, url+"/metrics", ""); code != 401 {
		t.Errorf("/metrics without the token = %d, want 401", code)
	}
	if code, body := get(t, url+"/metrics", "m3trics-t0ken"); code != 200 || !strings.Contains(body, "ecrm_http_requests_total") {
		t.Errorf("/metrics with the token = %d", code)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env2 := map[string]string{"ECRM_DB": storetest.DSN(t, "sqlite")}
	url = serve(t, env2, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", addr)
	if code, _ := get(t, url+"/metrics", ""); code != 404 {
		t.Errorf("/metrics beside the console = %d, want 404", code)
	}
	if code, _ := get(t, "http://"+addr+"/metrics", ""); code != 200 {
		t.Errorf("/metrics on --metrics-addr = %d, want 200", code)
	}
}
