package handlers_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

const internalDetail = "pq: relation secret_table does not exist at /srv/app/db.go:42"

func newTestApp(t *testing.T, s *models.Store, logs *bytes.Buffer) *fiber.App {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := deps.Deps{
		Config: deps.Config{BaseURL: "http://localhost:8080", BodyLimit: 64 * 1024, ReadTimeout: time.Second, WriteTimeout: time.Second, IdleTimeout: time.Second},
		Store:  s,
		Log:    log,
	}
	return handlers.New(d, func(app *fiber.App, d deps.Deps) {
		app.Get("/test/fail", func(c *fiber.Ctx) error { return errors.New(internalDetail) })
		app.Get("/test/panic", func(c *fiber.Ctx) error { panic(internalDetail) })
		app.Get("/api/test/fail", func(c *fiber.Ctx) error { return errors.New(internalDetail) })
		app.Post("/oauth2/test/fail", func(c *fiber.Ctx) error { return errors.New(internalDetail) })
	})
}

func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestHealthEndpoints(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		var logs bytes.Buffer
		app := newTestApp(t, s, &logs)

		resp, body := do(t, app, httptest.NewRequest("GET", "/healthz", nil))
		if resp.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
			t.Fatalf("/healthz: %d %s", resp.StatusCode, body)
		}
		resp, body = do(t, app, httptest.NewRequest("GET", "/readyz", nil))
		if resp.StatusCode != 200 || !strings.Contains(body, `"database":"ok"`) {
			t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
		}

		s.Close()
		resp, _ = do(t, app, httptest.NewRequest("GET", "/readyz", nil))
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz with a closed database: got %d, want 503", resp.StatusCode)
		}
	})
}

func TestErrorHandlerHidesCause(t *testing.T) {
	var logs bytes.Buffer
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	app := newTestApp(t, s, &logs)

	cases := []struct {
		name, method, path, wantType string
	}{
		{"html page", "GET", "/test/fail", "text/html"},
		{"panic", "GET", "/test/panic", "text/html"},
		{"json envelope", "GET", "/api/test/fail", "application/json"},
		{"oauth error", "POST", "/oauth2/test/fail", "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			resp, body := do(t, app, httptest.NewRequest(tc.method, tc.path, nil))
			if resp.StatusCode != 500 {
				t.Fatalf("status %d, want 500", resp.StatusCode)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) {
				t.Errorf("content type %q, want %s", resp.Header.Get("Content-Type"), tc.wantType)
			}
			if strings.Contains(body, "secret_table") || strings.Contains(body, "db.go") {
				t.Errorf("response leaks the internal cause: %s", body)
			}
			id := resp.Header.Get("X-Request-ID")
			if id == "" || !strings.Contains(body, id) {
				t.Errorf("response does not carry its request id %q: %s", id, body)
			}
			if !strings.Contains(logs.String(), "secret_table") {
				t.Errorf("log lacks the cause: %s", logs.String())
			}
		})
	}

	t.Run("oauth error code", func(t *testing.T) {
		_, body := do(t, app, httptest.NewRequest("POST", "/oauth2/test/fail", nil))
		var e map[string]string
		if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] != "server_error" {
			t.Fatalf("body %s, want error=server_error", body)
		}
	})
}

func TestNotFoundPage(t *testing.T) {
	var logs bytes.Buffer
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	app := newTestApp(t, s, &logs)

	resp, body := do(t, app, httptest.NewRequest("GET", "/no/such/page?client_secret=hunter2", nil))
	if resp.StatusCode != 404 {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	if !strings.Contains(body, "does not exist") {
		t.Errorf("body lacks a readable message: %s", body)
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("access log contains the query string: %s", logs.String())
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing security header %s", h)
		}
	}
}

func TestRequestIDHeader(t *testing.T) {
	var logs bytes.Buffer
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	app := newTestApp(t, s, &logs)

	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "trace-0123456789")
	resp, _ := do(t, app, req)
	if got := resp.Header.Get("X-Request-ID"); got != "trace-0123456789" {
		t.Errorf("well-formed incoming id not kept: %q", got)
	}

	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "bad id\" injected=1")
	resp, _ = do(t, app, req)
	if got := resp.Header.Get("X-Request-ID"); strings.Contains(got, "injected") || got == "" {
		t.Errorf("malformed incoming id was kept: %q", got)
	}
}

func TestMetricsUseRoutePatterns(t *testing.T) {
	var logs bytes.Buffer
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	app := newTestApp(t, s, &logs)

	do(t, app, httptest.NewRequest("GET", "/healthz", nil))
	do(t, app, httptest.NewRequest("GET", "/no/such/page-0123456789", nil))
	_, body := do(t, app, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(body, `portcullis_http_requests_total{method="GET",route="/healthz",status="200"}`) {
		t.Errorf("no request counter for /healthz:\n%s", grepLines(body, "portcullis_http_requests_total"))
	}
	if strings.Contains(body, "page-0123456789") {
		t.Error("a raw request path became a metric label")
	}
	if !strings.Contains(body, "portcullis_http_request_duration_seconds_bucket") {
		t.Error("no duration histogram")
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestMalformedInputRejected(t *testing.T) {
	var logs bytes.Buffer
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	app := newTestApp(t, s, &logs)

	form := func(path, body string) *http.Request {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	jsonReq := func(body string) *http.Request {
		req := httptest.NewRequest("POST", "/api/test/fail", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	gzipReq := httptest.NewRequest("POST", "/oauth2/test/fail", strings.NewReader("x"))
	gzipReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	gzipReq.Header.Set("Content-Encoding", "gzip")

	cases := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"NUL in query", httptest.NewRequest("GET", "/healthz?user=a%00b", nil), 400},
		{"invalid UTF-8 in query", httptest.NewRequest("GET", "/healthz?user=%FF", nil), 400},
		{"NUL in form field", form("/oauth2/test/fail", "client_id=a%00b"), 400},
		{"invalid UTF-8 in form field", form("/oauth2/test/fail", "login_name=%C3%28"), 400},
		{"NUL escape in JSON", jsonReq(`{"name":"a\u0000b"}`), 400},
		{"invalid UTF-8 in JSON", jsonReq("{\"name\":\"a\xffb\"}"), 400},
		{"compressed body", gzipReq, 415},
		{"clean query passes", httptest.NewRequest("GET", "/healthz?user=Gr%C3%BC%C3%9Fe", nil), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, app, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
		})
	}

	t.Run("token endpoint answers OAuth JSON", func(t *testing.T) {
		resp, body := do(t, app, form("/oauth2/test/fail", "client_id=a%00b"))
		var e map[string]string
		if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] != "invalid_request" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("body %s, cache-control %q", body, resp.Header.Get("Cache-Control"))
		}
	})
}
