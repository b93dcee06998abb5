package middleware_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/handlers/session"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestErrorKeepsOnlySessionCookies checks what an error response keeps of
// the cookies its handler set before failing.
func TestErrorKeepsOnlySessionCookies(t *testing.T) {
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	sessions := session.NewStore(s, session.Options{Kind: "test", CookieName: "test_session", IdleTimeout: time.Hour, AbsoluteTimeout: time.Hour})
	app := fiber.New(fiber.Config{ErrorHandler: middleware.ErrorHandler(slog.New(slog.DiscardHandler))})
	app.Get("/regenerate-then-fail", func(c *fiber.Ctx) error {
		sess, err := sessions.Load(c)
		if err != nil {
			return err
		}
		if err := sess.Regenerate(); err != nil {
			return err
		}
		sess.Values["step"] = "done"
		if err := sess.Save(); err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{Name: "icbt", Value: "token-0001"})
		return middleware.NewHTTPError(fiber.StatusInternalServerError, "Something failed.", errors.New("later step failed"))
	})
	app.Get("/token-then-fail", func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "icbt", Value: "token-0001"})
		return middleware.NewHTTPError(fiber.StatusForbidden, "No.", nil)
	})

	tests := []struct {
		name        string
		path        string
		wantSession bool
	}{
		{"session saved before the error", "/regenerate-then-fail", true},
		{"no session", "/token-then-fail", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := app.Test(httptest.NewRequest(http.MethodGet, tt.path, nil), 10_000)
			if err != nil {
				t.Fatal(err)
			}
			cookies := map[string]*http.Cookie{}
			for _, ck := range resp.Cookies() {
				cookies[ck.Name] = ck
			}
			if _, ok := cookies["icbt"]; ok {
				t.Error("the error response sets the icbt cookie")
			}
			ck, ok := cookies["test_session"]
			if ok != tt.wantSession {
				t.Fatalf("session cookie set %v, want %v", ok, tt.wantSession)
			}
			if !ok {
				return
			}
			row, err := s.WebSessionByToken(t.Context(), "test", ck.Value)
			if err != nil {
				t.Fatalf("the kept cookie names no stored session: %v", err)
			}
			if row.Data != `{"step":"done"}` {
				t.Errorf("stored session %s", row.Data)
			}
		})
	}
}
