// Package notifytest runs a real SMTP server on 127.0.0.1 for tests and
// keeps every message it receives.
package notifytest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data string
	// Username is the SASL PLAIN user the client authenticated as, or "".
	Username string
}

// SMTPServer is a go-smtp server on a random loopback port.
type SMTPServer struct {
	Host string
	Port int
	// Username and Password, when set, are the only credentials accepted.
	Username string
	Password string

	mu       sync.Mutex
	messages []Received
}

// StartSMTP starts a server on 127.0.0.1:0 with the given server options
// applied, and stops it when the test ends. AllowInsecureAuth is set, so
// tests may authenticate without TLS.
func StartSMTP(t testing.TB, configure func(*smtp.Server)) *SMTPServer {
	t.Helper()
	return start(t, configure, nil)
}

// StartSMTPTLS is StartSMTP for implicit TLS: the listener speaks TLS with
// tlsConfig from the first byte, as on port 465.
func StartSMTPTLS(t testing.TB, tlsConfig *tls.Config) *SMTPServer {
	t.Helper()
	return start(t, nil, tlsConfig)
}

func start(t testing.TB, configure func(*smtp.Server), implicitTLS *tls.Config) *SMTPServer {
	t.Helper()
	s := &SMTPServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	if configure != nil {
		configure(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	if implicitTLS != nil {
		ln = tls.NewListener(ln, implicitTLS)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Messages returns a copy of the messages received so far.
func (s *SMTPServer) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

type session struct {
	server   *SMTPServer
	username string
	msg      Received
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.server.Username || password != ss.server.Password {
			return errors.New("invalid user name or password")
		}
		ss.username = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.server.Username != "" && ss.username == "" {
		return smtp.ErrAuthRequired
	}
	ss.msg = Received{From: from, Username: ss.username}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.msg.Data = string(data)
	ss.server.mu.Lock()
	ss.server.messages = append(ss.server.messages, ss.msg)
	ss.server.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.msg = Received{} }
func (ss *session) Logout() error { return nil }
