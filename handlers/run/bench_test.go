package run_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// BenchmarkRunToFirstChallenge measures what a browser costs the server
// between holding an icbt token and seeing its first challenge page, in
// process (app.Test) on SQLite. One operation is GET /run with the token,
// which consumes it and starts the MFA session, and then GET
// /run/challenge with the session cookie, which picks the only mechanism
// (TOTP) and renders its form. The tokens are minted before the timer
// starts, and BenchmarkGetTokenForUser measures minting through the API.
// The log is formatted as text at Info level and discarded. cpu-ns/op
// counts every goroutine of the process, as the load tool counts the
// server's CPU time.
func BenchmarkRunToFirstChallenge(b *testing.B) {
	s := modeltest.OpenBackend(b, modeltest.Backends(b)[0], modeltest.FastSettings())
	f := mfatest.New(b, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}, Enroll: []string{models.MechOATH}})
	// The MFA session must not expire on the frozen fixture clock.
	s.Now = func() time.Time { return time.Now().UTC() }
	if err := s.EnsureSigningKey(context.Background()); err != nil {
		b.Fatal(err)
	}
	d := deps.Deps{
		Config: deps.Config{
			BaseURL: baseURL, BodyLimit: 64 * 1024,
			ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		},
		Store: s,
		Log:   slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	app := handlers.New(d, run.Register)

	tokens := make([]string, b.N)
	for i := range tokens {
		tokens[i] = f.MintToken(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer modeltest.ReportCPUTime(b)()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, "/run?appkey="+f.App.AppKey, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[i])
		resp, err := app.Test(req, 10_000)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/run/challenge" {
			b.Fatalf("/run: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		req = httptest.NewRequest(http.MethodGet, "/run/challenge", nil)
		for _, c := range resp.Cookies() {
			req.AddCookie(c)
		}
		resp, err = app.Test(req, 10_000)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("/run/challenge: status %d: %s", resp.StatusCode, body)
		}
	}
}
