package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/portcullis-id/portcullis/models"
)

// SMTP TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS (RFC 3207),
	// usually on port 587, and fails when the server does not offer it.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (RFC 8314), usually on
	// port 465.
	TLSImplicit = "tls"
	// TLSNone sends in clear, for a relay on the same host or network.
	TLSNone = "none"
)

// defaultSMTPTimeout bounds one whole delivery when the context has no
// earlier deadline.
const defaultSMTPTimeout = 30 * time.Second

// SMTPConfig describes the mail server.
type SMTPConfig struct {
	Host string
	Port int
	// Username and Password authenticate with SASL PLAIN when Username is
	// set.
	Username string
	Password string
	// From is the sender, such as "Portcullis <no-reply@example.com>".
	From string
	// TLS is TLSStartTLS, TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds one delivery; zero means 30 seconds.
	Timeout time.Duration
	// TLSConfig overrides the TLS settings, for tests with their own CA.
	TLSConfig *tls.Config
}

// SMTPMailer sends mail through an SMTP server.
type SMTPMailer struct {
	cfg  SMTPConfig
	from *mail.Address
	log  *slog.Logger
}

// NewSMTPMailer checks the configuration and returns a mailer. It rejects
// credentials over a clear connection to a host other than the loopback
// address, because SASL PLAIN would send the password readable.
func NewSMTPMailer(cfg SMTPConfig, log *slog.Logger) (*SMTPMailer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Host == "" {
		return nil, errors.New("smtp: host is missing")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d is outside 1 to 65535", cfg.Port)
	}
	switch cfg.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	case "":
		cfg.TLS = TLSStartTLS
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q is not one of starttls, tls, none", cfg.TLS)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: sender %q is not a valid address: %w", cfg.From, err)
	}
	if cfg.TLS == TLSNone && cfg.Username != "" && !isLoopback(cfg.Host) {
		return nil, errors.New("smtp: a user name with TLS mode none would send the password in clear; use starttls or tls")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultSMTPTimeout
	}
	return &SMTPMailer{cfg: cfg, from: from, log: log}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SendMail delivers one plain-text message and logs the server and the
// masked recipient, never the body.
func (m *SMTPMailer) SendMail(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("smtp: recipient is not a valid address: %w", err)
	}
	msg, err := m.compose(rcpt, subject, body)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	client, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer client.Close()

	if m.cfg.Username != "" {
		if err := client.Auth(sasl.NewPlainClient("", m.cfg.Username, m.cfg.Password)); err != nil {
			return fmt.Errorf("smtp: authentication as %s failed: %w", m.cfg.Username, err)
		}
	}
	if err := client.SendMail(m.from.Address, []string{rcpt.Address}, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp: sending through %s failed: %w", m.addr(), err)
	}
	if err := client.Quit(); err != nil {
		m.log.DebugContext(ctx, "SMTP QUIT failed after the message was accepted", "smtp_server", m.addr(), "error", err)
	}
	m.log.InfoContext(ctx, "mail sent", "delivery", "smtp", "smtp_server", m.addr(), "recipient", models.MaskEmail(rcpt.Address))
	return nil
}

func (m *SMTPMailer) addr() string {
	return net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
}

// dial connects in the configured TLS mode. The connection's deadline
// follows ctx, so a server that stops answering cannot hold the request.
func (m *SMTPMailer) dial(ctx context.Context) (*smtp.Client, error) {
	tlsConfig := m.cfg.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", m.addr())
	if err != nil {
		return nil, fmt.Errorf("smtp: connecting to %s failed: %w", m.addr(), err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}

	switch m.cfg.TLS {
	case TLSImplicit:
		return smtp.NewClient(tls.Client(conn, tlsConfig)), nil
	case TLSNone:
		return smtp.NewClient(conn), nil
	}
	client, err := smtp.NewClientStartTLS(conn, tlsConfig)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp: STARTTLS with %s failed: %w", m.addr(), err)
	}
	return client, nil
}

// compose builds an RFC 5322 message with a quoted-printable UTF-8 body.
// Header values come only from parsed addresses and an encoded subject,
// so no CR or LF from the input reaches a header line.
func (m *SMTPMailer) compose(to *mail.Address, subject, body string) ([]byte, error) {
	if strings.ContainsAny(subject, "\r\n") {
		return nil, errors.New("smtp: subject contains a line break")
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	domain := "portcullis.local"
	if _, d, ok := strings.Cut(m.from.Address, "@"); ok {
		domain = d
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
