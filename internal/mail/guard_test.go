package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	ecrmmail "github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
)

func testJob() *crm.MailJob {
	return &crm.MailJob{ID: 1, Attempt: 1, Message: crm.MailMessage{To: "a@example.com", Subject: "Hi", Text: "x"}}
}

func plainConfig(host string, port int) *crm.MailConfig {
	return &crm.MailConfig{MailSettings: crm.MailSettings{Host: host, Port: port, TLS: crm.MailTLSNone, FromAddress: "crm@shop.example"}}
}

// TestSMTPHostGuard: without the allow-private switch the sender refuses
// loopback, private and link-local SMTP hosts, in every spelling, before
// connecting — the SMTP server below never sees a message — and says so
// plainly; with the switch it delivers to the same server.
func TestSMTPHostGuard(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	guarded := ecrmmail.NewSender(ecrmmail.Options{})
	for _, host := range []string{srv.Host, "localhost", "127.0.0.2", "::1", "[::1]", "10.0.0.5", "169.254.169.254", "0x7f000001", "2130706433"} {
		res := guarded.Send(context.Background(), plainConfig(host, srv.Port), testJob())
		if res.Error != ecrmmail.ErrPrivateHost {
			t.Errorf("host %s: %q, want the private-host refusal", host, res.Error)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("the guarded sender delivered %d messages to loopback", n)
	}
	open := ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true})
	if res := open.Send(context.Background(), plainConfig(srv.Host, srv.Port), testJob()); res.Error != "" {
		t.Fatalf("with allow-private: %q", res.Error)
	}
	if len(srv.Wait(1, 5*time.Second)) != 1 {
		t.Fatal("with allow-private the message did not arrive")
	}
}

// TestSMTPErrorsDoNotTellPortsApart: a closed port, a port that accepts
// and says nothing, and one that speaks something other than SMTP all
// give the same answer, so the test button is no port scanner; the
// detail goes to the log.
func TestSMTPErrorsDoNotTellPortsApart(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	http, _ := net.Listen("tcp", "127.0.0.1:0")
	defer http.Close()
	go func() {
		for {
			c, err := http.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	s := ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true, Timeout: 500 * time.Millisecond})
	for name, port := range map[string]int{
		"closed": closedPort,
		"silent": silent.Addr().(*net.TCPAddr).Port,
		"http":   http.Addr().(*net.TCPAddr).Port,
	} {
		res := s.Send(context.Background(), plainConfig("127.0.0.1", port), testJob())
		if res.Error != ecrmmail.ErrUnreachable {
			t.Errorf("%s port: %q, want %q", name, res.Error, ecrmmail.ErrUnreachable)
		}
		if strings.Contains(res.Error, "refused") || strings.Contains(res.Error, "timeout") {
			t.Errorf("%s port: detail leaks: %q", name, res.Error)
		}
	}
}
