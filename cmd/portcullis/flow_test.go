package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis-id/portcullis/handlers/browsertest"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// setBearerHeader makes the tab send "Authorization: Bearer token" with
// every request, as a header extension does; "" removes it.
func setBearerHeader(token string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		headers := network.Headers{}
		if token != "" {
			headers["Authorization"] = "Bearer " + token
		}
		_, err := cdp.Call(ctx, target, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		return err
	})
}

// TestOnDemandMFAFlow runs steps 3 to 5 of the flow against the real
// binary seeded by `portcullis demo --json`, on SQLite and PostgreSQL: a
// token from golang.org/x/oauth2's client credentials client,
// GetTokenForUser, then /run in headless Chromium answering the TOTP
// challenge, and the launch assertion verified against the JWKS with
// go-jose. A second run with wrong codes must end at /demo/failed.
func TestOnDemandMFAFlow(t *testing.T) {
	for _, backend := range modeltest.Backends(t) {
		t.Run(backend.Name, func(t *testing.T) {
			// Started after the server, the browser closes before it at
			// cleanup, so the server's graceful stop has no open connections.
			srv := startBinary(t, backend)
			browser := browsertest.New(t, 3*time.Minute)
			fx := demoFixtureWithExactKeys(t, srv)
			timed := func(name string, fn func()) {
				start := time.Now()
				fn()
				t.Logf("%-28s %7.1f ms", name, float64(time.Since(start).Microseconds())/1000)
			}

			var accessToken string
			timed("client credentials token", func() { accessToken = clientCredentialsToken(t, fx) })
			jwks := fetchJWKS(t, fx.BaseURL)
			claims := verifyJWT(t, accessToken, jwks, fx.BaseURL+"/")
			if claims["scope"] != fx.Scope || claims["unique_name"] != fx.ClientID {
				t.Errorf("access token claims %v", claims)
			}

			var icbt string
			timed("GetTokenForUser", func() { icbt = getTokenForUser(t, fx, accessToken) })

			code, err := models.TOTPCode(fx.TOTPSecret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var landed string
			timed("/run in chromium to the app", func() {
				browser.Do("open /run with the icbt header",
					setBearerHeader(icbt),
					chromedp.Navigate(fx.BaseURL+"/run?appkey="+fx.AppKey+"&failureRedirectUrl=%2Fdemo%2Ffailed"),
					setBearerHeader(""),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-code-input"]`)),
				)
				browser.Screenshot("flow-" + backend.Name + "-totp-challenge")
				browser.Do("answer the TOTP challenge",
					chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), code),
					chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="demo-verified"]`)),
				)
				browser.Screenshot("flow-" + backend.Name + "-launched")
				landed, err = chromedp.Run(browser.Ctx, chromedp.Location())
				if err != nil {
					t.Fatal(err)
				}
			})

			u, err := url.Parse(landed)
			if err != nil || !strings.HasPrefix(landed, fx.LaunchURL+"?") {
				t.Fatalf("landed on %q, want the launch URL %s", landed, fx.LaunchURL)
			}
			assertion := verifyJWT(t, u.Query().Get("assertion"), jwks, fx.BaseURL+"/")
			if assertion["aud"] != fx.AppKey {
				t.Errorf("assertion aud %v, want the App Key %s", assertion["aud"], fx.AppKey)
			}
			if assertion["unique_name"] != fx.User {
				t.Errorf("assertion unique_name %v, want %s", assertion["unique_name"], fx.User)
			}
			// RFC 8176 names a one-time password "otp".
			amr, _ := assertion["amr"].([]any)
			if !slices.Contains(amr, any("otp")) {
				t.Errorf("assertion amr %v lacks otp", assertion["amr"])
			}
			for _, claim := range []string{"sub", "auth_time", "jti", "exp"} {
				if _, ok := assertion[claim]; !ok {
					t.Errorf("assertion lacks %s", claim)
				}
			}

			// Wrong codes until the session fails: the browser must land on
			// the allowed failure URL with error=mfa_failed.
			icbt = getTokenForUser(t, fx, accessToken)
			timed("/run with wrong codes", func() {
				browser.Do("open /run again",
					setBearerHeader(icbt),
					chromedp.Navigate(fx.BaseURL+"/run?appkey="+fx.AppKey+"&failureRedirectUrl=%2Fdemo%2Ffailed"),
					setBearerHeader(""),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-code-input"]`)),
				)
				wrong := wrongCode(t, fx.TOTPSecret)
				for attempt := 1; attempt <= 20; attempt++ {
					// Marking the old page tells its replacement apart, since
					// both show an error after the first wrong code.
					browser.Do(fmt.Sprintf("wrong code %d", attempt),
						markStale(),
						chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), wrong),
						chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
						chromedp.WaitReady(chromedp.CSS(`body:not([data-stale])`)),
					)
					landed, _ = chromedp.Run(browser.Ctx, chromedp.Location())
					if strings.Contains(landed, "/demo/failed") {
						break
					}
					browser.Do("wait for the error", chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-error"]`)))
				}
				browser.Screenshot("flow-" + backend.Name + "-failed")
			})
			if landed != fx.BaseURL+"/demo/failed?error=mfa_failed" {
				t.Errorf("failure run landed on %q, want %s/demo/failed?error=mfa_failed", landed, fx.BaseURL)
			}
		})
	}
}

// markStale tags the current page's body, so a wait for
// body:not([data-stale]) waits for the next page.
func markStale() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := chromedp.Evaluate[string](`document.body.dataset.stale = "1"`)(ctx, target)
		return err
	})
}

// demoFixtureWithExactKeys runs `portcullis demo --json` and checks that
// it printed exactly the documented keys.
func demoFixtureWithExactKeys(t *testing.T, srv *testServer) models.DemoFixture {
	t.Helper()
	fx := srv.demo(t)
	out := srv.demoJSON(t)
	var keys map[string]any
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range keys {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"app_key", "application_id", "base_url", "client_id", "client_secret", "failure_url", "launch_url", "scope", "totp_secret", "user"}
	if !slices.Equal(got, want) {
		t.Fatalf("demo --json keys %v, want %v", got, want)
	}
	if keys["client_secret"] != fx.ClientSecret {
		t.Error("a second demo run changed the client secret")
	}
	return fx
}

func clientCredentialsToken(t *testing.T, fx models.DemoFixture) string {
	t.Helper()
	cc := clientcredentials.Config{
		ClientID:     fx.ClientID,
		ClientSecret: fx.ClientSecret,
		TokenURL:     fx.BaseURL + "/oauth2/token/" + fx.ApplicationID,
		Scopes:       []string{fx.Scope},
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("client credentials token: %v", err)
	}
	return tok.AccessToken
}

func getTokenForUser(t *testing.T, fx models.DemoFixture, accessToken string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fx.BaseURL+"/security/GetTokenForUser?user="+url.QueryEscape(fx.User), nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GetTokenForUser: status %d: %s", resp.StatusCode, body)
	}
	var envelope struct {
		Success bool `json:"success"`
		Result  struct {
			User      string
			ExpiresIn int
			Token     string
		}
	}
	if err := json.Unmarshal(body, &envelope); err != nil || !envelope.Success || envelope.Result.ExpiresIn != 600 {
		t.Fatalf("GetTokenForUser envelope: %s", body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "icbt" {
			if c.Value != envelope.Result.Token {
				t.Error("icbt cookie and envelope Token differ")
			}
			return c.Value
		}
	}
	t.Fatal("GetTokenForUser set no icbt cookie")
	return ""
}

func fetchJWKS(t *testing.T, base string) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var keys jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	return keys
}

// verifyJWT checks an RS256 JWT with go-jose against the published keys
// and returns its claims.
func verifyJWT(t *testing.T, token string, keys jose.JSONWebKeySet, issuer string) map[string]any {
	t.Helper()
	parsed, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	matches := keys.Key(parsed.Headers[0].KeyID)
	if len(matches) != 1 {
		t.Fatalf("kid %q not published", parsed.Headers[0].KeyID)
	}
	var std josejwt.Claims
	var all map[string]any
	if err := parsed.Claims(matches[0].Key, &std, &all); err != nil {
		t.Fatalf("JWT signature: %v", err)
	}
	if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: issuer, Time: time.Now()}, 30*time.Second); err != nil {
		t.Fatalf("JWT claims: %v", err)
	}
	return all
}

// wrongCode returns a six-digit code that matches no step in the window.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now()
	var valid []string
	for _, d := range []time.Duration{-60 * time.Second, -30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		c, err := models.TOTPCode(secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		valid = append(valid, c)
	}
	for i := 0; ; i++ {
		candidate := fmt.Sprintf("%06d", (123456+i*7919)%1000000)
		if !slices.Contains(valid, candidate) {
			return candidate
		}
	}
}
