package admin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

const (
	testBaseURL   = "http://portcullis.test"
	testOrigin    = "http://portcullis.test"
	adminPassword = modeltest.AdminPassword
)

// env is one server on a fresh SQLite store.
type env struct {
	t     *testing.T
	store *models.Store
	app   *fiber.App
	logs  *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	return newEnvWithStore(t, s)
}

func newEnvWithStore(t *testing.T, s *models.Store) *env {
	t.Helper()
	logs := &syncBuffer{}
	d := deps.Deps{
		Config: deps.Config{BaseURL: testBaseURL, BodyLimit: 1 << 20, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  s,
		Log:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return &env{t: t, store: s, app: handlers.New(d, admin.Register), logs: logs}
}

// client is a browser: it keeps cookies and the last CSRF token.
type client struct {
	e       *env
	cookies map[string]string
	csrf    string
}

func (e *env) client() *client { return &client{e: e, cookies: map[string]string{}} }

type response struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (r *response) find(testid string) *goquery.Selection {
	return r.doc.Find(`[data-testid="` + testid + `"]`)
}

func (c *client) do(req *http.Request) *response {
	c.e.t.Helper()
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := c.e.app.Test(req, 10000)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: string(body)}
	r.doc, _ = goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if token, ok := r.doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && token != "" {
		c.csrf = token
	}
	return r
}

func (c *client) get(path string) *response {
	c.e.t.Helper()
	return c.do(httptest.NewRequest("GET", path, nil))
}

// post submits a form with the client's CSRF token and a same-origin
// Origin header, as a browser would.
func (c *client) post(path string, form url.Values) *response {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	return c.postRaw(path, form, map[string]string{"Origin": testOrigin})
}

func (c *client) postRaw(path string, form url.Values, headers map[string]string) *response {
	c.e.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// signIn signs in through the form and fails the test unless it worked.
func (c *client) signIn(loginName, password string) {
	c.e.t.Helper()
	c.get("/admin/login")
	r := c.post("/admin/login", url.Values{"login_name": {loginName}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		c.e.t.Fatalf("sign-in as %s: status %d, location %q, body %s", loginName, r.status, r.header.Get("Location"), r.body)
	}
}

// adminClient returns a client signed in as the bootstrap administrator.
func (e *env) adminClient() *client {
	c := e.client()
	c.signIn(models.BootstrapAdminName, adminPassword)
	return c
}

// createUser adds a user straight through the store.
func (e *env) createUser(in models.NewUser) *models.User {
	e.t.Helper()
	if in.Password == "" {
		in.Password = "password-0001"
	}
	u, err := e.store.CreateUserAudited(context.Background(), models.Actor{Name: "test"}, in)
	if err != nil {
		e.t.Fatalf("create user %s: %v", in.LoginName, err)
	}
	return u
}

func (e *env) user(id string) *models.User {
	e.t.Helper()
	u, err := e.store.UserByID(context.Background(), id)
	if err != nil {
		e.t.Fatalf("load user %s: %v", id, err)
	}
	return u
}

// auditCount counts audit events of the action.
func (e *env) auditCount(action string) int64 {
	e.t.Helper()
	page, err := e.store.ListAudit(context.Background(), models.AuditQuery{Action: action})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Total
}

func (e *env) addToSysAdmin(userID string) {
	e.t.Helper()
	ctx := context.Background()
	root, err := e.store.UserByLoginName(ctx, models.BootstrapAdminName)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.AddRoleMember(ctx, root, models.RoleSysAdmin, models.PrincipalUser, userID); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) setDisabled(id string) {
	e.t.Helper()
	if err := e.store.SetUserDisabled(context.Background(), models.Actor{Name: "test"}, id, true); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) setLocked(id string) {
	e.t.Helper()
	if err := e.store.SetUserLocked(context.Background(), models.Actor{Name: "test"}, id, true); err != nil {
		e.t.Fatal(err)
	}
}

type goquerySelection = goquery.Selection

func newFormRequest(path string, form url.Values) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// grantRights puts the user in a new role holding the rights.
func (e *env) grantRights(userID string, rights ...string) {
	e.t.Helper()
	ctx := context.Background()
	role, err := e.store.CreateRole(ctx, models.RoleInput{Name: "role-" + userID, Rights: rights})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.AddRoleMember(ctx, nil, role.ID, models.PrincipalUser, userID); err != nil {
		e.t.Fatal(err)
	}
}
