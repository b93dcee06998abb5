package run_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/notify"
)

const baseURL = "http://localhost:8080"

// env is a Fiber app serving /run on a fixture store, with its log.
type env struct {
	app  *fiber.App
	f    *mfatest.Fixture
	logs *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for concurrent handlers.
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

func newEnv(t *testing.T, s *models.Store, opts mfatest.Options, notifier *notify.Notifier) *env {
	t.Helper()
	f := mfatest.New(t, s, opts)
	if err := s.EnsureSigningKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	d := deps.Deps{
		Config: deps.Config{
			BaseURL: baseURL, BodyLimit: 64 * 1024,
			ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		},
		Store:    s,
		Log:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Notifier: notifier,
	}
	return &env{app: handlers.New(d, run.Register, demoapp.Register), f: f, logs: logs}
}

// browser keeps cookies between requests like a browser does, for one
// host.
type browser struct {
	t       *testing.T
	e       *env
	cookies map[string]string
}

func (e *env) browser(t *testing.T) *browser {
	return &browser{t: t, e: e, cookies: map[string]string{}}
}

// response is one answer with its body read and parsed.
type response struct {
	*http.Response
	body string
	doc  *goquery.Document
	raw  string
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := b.e.app.Test(req, 10_000)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	raw, _ := httputil.DumpResponse(resp, true)
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	return &response{Response: resp, body: string(body), doc: doc, raw: string(raw)}
}

func (b *browser) get(path string, header ...string) *response {
	b.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *response {
	b.t.Helper()
	return b.do(newPost(path, form))
}

func newPost(path string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// start opens /run with a fresh icbt token in the Authorization header and
// follows the redirect to the first challenge.
func (b *browser) start(query string) *response {
	b.t.Helper()
	resp := b.get("/run?appkey="+b.e.f.App.AppKey+query, "Authorization", "Bearer "+b.e.f.MintToken(b.t))
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("/run: status %d, want 303: %s", resp.StatusCode, resp.body)
	}
	if loc := resp.Header.Get("Location"); loc != "/run/challenge" {
		return resp
	}
	return b.get("/run/challenge")
}

// formValues returns the hidden fields of the form matching selector.
func (r *response) formValues(t *testing.T, selector string) url.Values {
	t.Helper()
	form := r.doc.Find(selector).First()
	if form.Length() == 0 {
		t.Fatalf("no form %s in the page (status %d): %s", selector, r.StatusCode, r.body)
	}
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		values.Set(name, value)
	})
	return values
}

// answer submits the challenge form of the page with the answer.
func (b *browser) answer(page *response, value string) *response {
	b.t.Helper()
	form := page.formValues(b.t, `[data-testid="mfa-challenge-form"]`)
	form.Set("answer", value)
	return b.post("/run/answer", form)
}

// choose submits the choice of mechanism on a choice page.
func (b *browser) choose(page *response, mechanism string) *response {
	b.t.Helper()
	form := page.formValues(b.t, `form:has([data-testid="mfa-choice-`+mechanism+`"])`)
	return b.post("/run/choose", form)
}

func (r *response) testID(id string) string {
	return strings.TrimSpace(r.doc.Find(`[data-testid="` + id + `"]`).Text())
}

// assertionOf returns the verified claims of the assertion in a launch
// redirect.
func assertionOf(t *testing.T, e *env, resp *response) jwt.MapClaims {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want a 303 launch: %s", resp.StatusCode, resp.body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	assertion := loc.Query().Get("assertion")
	if assertion == "" {
		t.Fatalf("launch redirect %q has no assertion", resp.Header.Get("Location"))
	}
	claims, err := e.f.Store.VerifyJWT(context.Background(), assertion, baseURL+"/")
	if err != nil {
		t.Fatalf("assertion does not verify: %v", err)
	}
	return claims
}
