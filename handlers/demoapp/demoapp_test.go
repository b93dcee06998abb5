package demoapp_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

const baseURL = "http://localhost:8080"

// page is a response of the demo app with its body parsed.
type page struct {
	status int
	doc    *goquery.Document
}

func (p page) testID(id string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + id + `"]`).Text())
}

func open(t *testing.T, app *fiber.App, req *http.Request) page {
	t.Helper()
	resp, err := app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, doc: doc}
}

// newDemo returns the demo app's routes and an assertion signer for a web
// application that launches /demo/app.
func newDemo(t *testing.T, s *models.Store) (*fiber.App, func() string) {
	t.Helper()
	ctx := context.Background()
	f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}, LaunchURL: baseURL + demoapp.AppPath})
	if err := s.EnsureSigningKey(ctx); err != nil {
		t.Fatal(err)
	}
	d := deps.Deps{
		Config: deps.Config{BaseURL: baseURL, BodyLimit: 64 * 1024, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second},
		Store:  s,
		Log:    slog.New(slog.DiscardHandler),
	}
	sign := func() string {
		now := s.Now()
		assertion, err := s.SignJWT(ctx, jwt.MapClaims{
			"iss": baseURL + "/", "aud": f.App.AppKey, "sub": f.User.ID, "amr": []string{"otp"},
			"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": uuid.NewString(),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return assertion
	}
	return handlers.New(d, demoapp.Register), sign
}

func TestDemoAppRejectsReplay(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		app, sign := newDemo(t, s)
		assertion := sign()

		first := open(t, app, httptest.NewRequest(http.MethodGet, demoapp.AppPath+"?assertion="+assertion, nil))
		if first.status != http.StatusOK || first.doc.Find(`[data-testid="demo-verified"]`).Length() != 1 {
			t.Fatalf("first use: status %d, want 200 with the verified claims", first.status)
		}

		form := url.Values{"assertion": {assertion}}
		req := httptest.NewRequest(http.MethodPost, demoapp.AppPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		replay := open(t, app, req)
		if replay.status != http.StatusUnauthorized {
			t.Errorf("replay: status %d, want 401", replay.status)
		}
		if got := replay.testID("demo-rejected"); !strings.Contains(got, "already used") {
			t.Errorf("replay message %q, want one that says the assertion was already used", got)
		}
		if replay.doc.Find(`[data-testid="demo-claims"]`).Length() != 0 {
			t.Error("the replayed assertion's claims are shown")
		}

		fresh := open(t, app, httptest.NewRequest(http.MethodGet, demoapp.AppPath+"?assertion="+sign(), nil))
		if fresh.status != http.StatusOK {
			t.Errorf("a new assertion after a replay: status %d, want 200", fresh.status)
		}
	})
}

func TestDemoAppTamperedLeavesJTIUnused(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		app, sign := newDemo(t, s)
		assertion := sign()
		tampered := open(t, app, httptest.NewRequest(http.MethodGet, demoapp.AppPath+"?assertion="+assertion+"x", nil))
		if got := tampered.testID("demo-rejected"); tampered.status != http.StatusUnauthorized || strings.Contains(got, "already used") {
			t.Fatalf("tampered assertion: status %d message %q, want 401 for an invalid assertion", tampered.status, got)
		}
		if genuine := open(t, app, httptest.NewRequest(http.MethodGet, demoapp.AppPath+"?assertion="+assertion, nil)); genuine.status != http.StatusOK {
			t.Errorf("the genuine assertion after a tampered copy: status %d, want 200", genuine.status)
		}
	})
}

func TestDemoFailedKnowsRunErrorCodes(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		app, _ := newDemo(t, s)
		for _, code := range []string{"mfa_failed", "expired", "locked", "no_policy", "not_enrolled"} {
			got := open(t, app, httptest.NewRequest(http.MethodGet, demoapp.FailedPath+"?error="+code, nil)).testID("demo-error-code")
			if got != code {
				t.Errorf("error=%s shown as %q", code, got)
			}
		}
	})
}
