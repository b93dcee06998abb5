package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
	"github.com/portcullis-id/portcullis/models/notify"
	"github.com/portcullis-id/portcullis/models/notify/notifytest"
)

const testCode = "042917"

func readBody(t *testing.T, raw string) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	// mail.ReadMessage leaves quoted-printable as is; the code has no
	// characters that need encoding, so a substring check is enough.
	body, _ := io.ReadAll(msg.Body)
	return msg, string(body)
}

func TestSMTPMailerDeliversInClear(t *testing.T) {
	srv := notifytest.StartSMTP(t, nil)
	var logs bytes.Buffer
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{
		Host: srv.Host, Port: srv.Port, From: "Portcullis <no-reply@portcullis.test>", TLS: notify.TLSNone,
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	n := &notify.Notifier{Mail: mailer}
	if err := n.SendCode(context.Background(), models.MechEmail, "jane@example.com", testCode, "App A"); err != nil {
		t.Fatalf("send: %v", err)
	}

	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if got[0].From != "no-reply@portcullis.test" || len(got[0].To) != 1 || got[0].To[0] != "jane@example.com" {
		t.Errorf("envelope from %q to %v", got[0].From, got[0].To)
	}
	msg, body := readBody(t, got[0].Data)
	if !strings.Contains(body, testCode) || !strings.Contains(body, "App A") {
		t.Errorf("body lacks the code or app name: %q", body)
	}
	if msg.Header.Get("Subject") == "" || msg.Header.Get("Message-Id") == "" {
		t.Errorf("headers incomplete: %v", msg.Header)
	}
	if strings.Contains(logs.String(), testCode) {
		t.Errorf("log contains the code: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "j***@example.com") {
		t.Errorf("log does not say where the mail went: %s", logs.String())
	}
}

func TestSMTPMailerStartTLSWithAuth(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := notifytest.StartSMTP(t, func(s *smtp.Server) {
		s.TLSConfig = serverTLS
		s.AllowInsecureAuth = false
	})
	srv.Username, srv.Password = "mailer", "mail-password-01"

	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{
		Host: srv.Host, Port: srv.Port, From: "no-reply@portcullis.test", TLS: notify.TLSStartTLS,
		Username: "mailer", Password: "mail-password-01", TLSConfig: clientTLS,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.SendMail(context.Background(), "jane@example.com", "Subject", "body "+testCode); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].Username != "mailer" {
		t.Fatalf("messages %+v, want one from the authenticated user", got)
	}

	t.Run("wrong password fails", func(t *testing.T) {
		bad, _ := notify.NewSMTPMailer(notify.SMTPConfig{
			Host: srv.Host, Port: srv.Port, From: "no-reply@portcullis.test", TLS: notify.TLSStartTLS,
			Username: "mailer", Password: "wrong", TLSConfig: clientTLS,
		}, nil)
		if err := bad.SendMail(context.Background(), "jane@example.com", "Subject", "body"); err == nil {
			t.Fatal("send with a wrong password succeeded")
		}
	})
	t.Run("starttls required", func(t *testing.T) {
		plain := notifytest.StartSMTP(t, nil)
		m, _ := notify.NewSMTPMailer(notify.SMTPConfig{Host: plain.Host, Port: plain.Port, From: "a@b.test", TLS: notify.TLSStartTLS, TLSConfig: clientTLS}, nil)
		if err := m.SendMail(context.Background(), "jane@example.com", "Subject", "body"); err == nil {
			t.Fatal("send succeeded without STARTTLS")
		}
		if len(plain.Messages()) != 0 {
			t.Fatal("the message went out in clear")
		}
	})
}

func TestSMTPMailerImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := notifytest.StartSMTPTLS(t, serverTLS)
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{
		Host: srv.Host, Port: srv.Port, From: "no-reply@portcullis.test", TLS: notify.TLSImplicit, TLSConfig: clientTLS,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.SendMail(context.Background(), "jane@example.com", "Subject", "body "+testCode); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := srv.Messages(); len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}

	t.Run("untrusted certificate fails", func(t *testing.T) {
		strict, _ := notify.NewSMTPMailer(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, From: "a@b.test", TLS: notify.TLSImplicit}, nil)
		if err := strict.SendMail(context.Background(), "jane@example.com", "Subject", "body"); err == nil {
			t.Fatal("send succeeded with an untrusted certificate")
		}
	})
}

func TestSMTPMailerConfigChecks(t *testing.T) {
	tests := []struct {
		name string
		cfg  notify.SMTPConfig
	}{
		{"no host", notify.SMTPConfig{Port: 25, From: "a@b.test"}},
		{"bad port", notify.SMTPConfig{Host: "mail.test", Port: 0, From: "a@b.test"}},
		{"bad sender", notify.SMTPConfig{Host: "mail.test", Port: 25, From: "not an address"}},
		{"bad TLS mode", notify.SMTPConfig{Host: "mail.test", Port: 25, From: "a@b.test", TLS: "ssl"}},
		{"password in clear", notify.SMTPConfig{Host: "mail.test", Port: 25, From: "a@b.test", TLS: notify.TLSNone, Username: "u", Password: "p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := notify.NewSMTPMailer(tt.cfg, nil); err == nil {
				t.Fatal("configuration accepted")
			}
		})
	}
}

func TestSMTPMailerRejectsHeaderInjection(t *testing.T) {
	srv := notifytest.StartSMTP(t, nil)
	mailer, _ := notify.NewSMTPMailer(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, From: "a@b.test", TLS: notify.TLSNone}, nil)
	for _, tc := range []struct{ name, to, subject string }{
		{"recipient with CRLF", "jane@example.com\r\nBcc: evil@example.com", "Subject"},
		{"subject with CRLF", "jane@example.com", "Hi\r\nBcc: evil@example.com"},
	} {
		if err := mailer.SendMail(context.Background(), tc.to, tc.subject, "body"); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}

func TestWebhookSMSPostsJSON(t *testing.T) {
	var got notify.WebhookMessage
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
	}))
	defer srv.Close()

	var logs bytes.Buffer
	sms, err := notify.NewWebhookSMS(srv.URL+"/sms", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	n := &notify.Notifier{SMS: sms}
	if err := n.SendCode(context.Background(), models.MechSMS, "+1 555 010 1234", testCode, "App A"); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got.To != "+1 555 010 1234" || !strings.Contains(got.Message, testCode) {
		t.Errorf("webhook body %+v", got)
	}
	if strings.Contains(logs.String(), testCode) {
		t.Errorf("log contains the code: %s", logs.String())
	}

	status = http.StatusInternalServerError
	if err := sms.SendSMS(context.Background(), "+1 555 010 1234", "x"); err == nil {
		t.Error("a 500 from the webhook counted as sent")
	}
	if _, err := notify.NewWebhookSMS("ftp://example.test/", nil); err == nil {
		t.Error("an ftp webhook URL was accepted")
	}
}

func TestOutboxKeepsMessages(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		var logs bytes.Buffer
		n, err := notify.New(notify.Config{}, s, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := n.SendCode(ctx, models.MechEmail, "jane@example.com", testCode, "App A"); err != nil {
			t.Fatal(err)
		}
		if err := n.SendCode(ctx, models.MechSMS, "+1 555 010 1234", testCode, "App A"); err != nil {
			t.Fatal(err)
		}
		mails, err := s.OutboxMessagesTo(ctx, "jane@example.com")
		if err != nil {
			t.Fatal(err)
		}
		texts, err := s.OutboxMessagesTo(ctx, "+1 555 010 1234")
		if err != nil {
			t.Fatal(err)
		}
		page := append(mails, texts...)
		if len(page) != 2 {
			t.Fatalf("outbox has %d messages, want 2", len(page))
		}
		for _, m := range page {
			if !strings.Contains(m.Body, testCode) {
				t.Errorf("%s message lacks the code", m.Channel)
			}
		}
		if strings.Contains(logs.String(), testCode) {
			t.Errorf("log contains the code: %s", logs.String())
		}
		if err := n.SendCode(ctx, models.MechEmail, "", testCode, "App A"); err == nil {
			t.Error("a code without destination was accepted")
		}
	})
}

// testTLS returns a server configuration with a fresh self-signed
// certificate for 127.0.0.1 and a client configuration that trusts it.
func testTLS(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return server, client
}
