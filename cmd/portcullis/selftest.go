package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func init() {
	commands["selftest"] = command{
		summary: "run the API side of the on-demand MFA flow against a running server and report each step",
		run:     runSelftest,
	}
}

// selftestOptions names the deployment and the credentials to test with.
type selftestOptions struct {
	BaseURL       string `json:"base_url"`
	ApplicationID string `json:"application_id"`
	Scope         string `json:"scope"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	AppKey        string `json:"app_key"`
	User          string `json:"user"`
}

// selftestStep is one line of the report.
type selftestStep struct {
	Name     string        `json:"name"`
	OK       bool          `json:"ok"`
	Detail   string        `json:"detail"`
	Duration time.Duration `json:"duration_ns"`
}

func runSelftest(ctx context.Context, args []string) error {
	var o selftestOptions
	var fixture string
	var asJSON bool
	fs := flag.NewFlagSet("portcullis selftest", flag.ContinueOnError)
	fs.StringVar(&fixture, "fixture", "", "file with the output of 'portcullis demo --json'; flags below override its values")
	fs.StringVar(&o.BaseURL, "base-url", "", "URL of the server to test")
	fs.StringVar(&o.ApplicationID, "application-id", "", "Application ID of the OAuth Client app")
	fs.StringVar(&o.Scope, "scope", "", "scope to request (empty requests every scope of the app)")
	fs.StringVar(&o.ClientID, "client-id", "", "login name of the OAuth confidential client")
	fs.StringVar(&o.ClientSecret, "client-secret", os.Getenv("PORTCULLIS_SELFTEST_CLIENT_SECRET"), "its password (PORTCULLIS_SELFTEST_CLIENT_SECRET keeps it out of the process list)")
	fs.StringVar(&o.AppKey, "app-key", "", "App Key of the Web application to open with /run")
	fs.StringVar(&o.User, "user", "", "login name of the user to mint an icbt token for")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fixture != "" {
		var fromFile selftestOptions
		data, err := os.ReadFile(fixture)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &fromFile); err != nil {
			return fmt.Errorf("read fixture: %w", err)
		}
		fillEmpty(&o, fromFile)
	}
	var missing []string
	for name, v := range map[string]string{"base-url": o.BaseURL, "application-id": o.ApplicationID, "client-id": o.ClientID, "client-secret": o.ClientSecret, "app-key": o.AppKey, "user": o.User} {
		if v == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (or give --fixture)", strings.Join(missing, ", "))
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")

	steps := selftest(ctx, o)
	failed := 0
	for _, s := range steps {
		if !s.OK {
			failed++
		}
	}
	if asJSON {
		if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"steps": steps, "failed": failed}); err != nil {
			return err
		}
	} else {
		for _, s := range steps {
			mark := "ok  "
			if !s.OK {
				mark = "FAIL"
			}
			fmt.Printf("%s %-34s %8.1f ms  %s\n", mark, s.Name, float64(s.Duration.Microseconds())/1000, s.Detail)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d steps failed", failed, len(steps))
	}
	return nil
}

func fillEmpty(o *selftestOptions, from selftestOptions) {
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&o.BaseURL, from.BaseURL}, {&o.ApplicationID, from.ApplicationID}, {&o.Scope, from.Scope},
		{&o.ClientID, from.ClientID}, {&o.ClientSecret, from.ClientSecret}, {&o.AppKey, from.AppKey}, {&o.User, from.User},
	} {
		if *p.dst == "" {
			*p.dst = p.src
		}
	}
}

// selftest runs the steps in order; a step whose input is missing because
// an earlier one failed is reported as failed, not skipped.
func selftest(ctx context.Context, o selftestOptions) []selftestStep {
	client := &http.Client{
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var steps []selftestStep
	step := func(name string, fn func() (string, error)) bool {
		start := time.Now()
		detail, err := fn()
		s := selftestStep{Name: name, OK: err == nil, Detail: detail, Duration: time.Since(start)}
		if err != nil {
			s.Detail = err.Error()
		}
		steps = append(steps, s)
		return err == nil
	}

	step("readiness (/readyz)", func() (string, error) {
		status, body, _, err := get(ctx, client, o.BaseURL+"/readyz")
		if err != nil {
			return "", err
		}
		if status != 200 {
			return "", fmt.Errorf("status %d: %s", status, body)
		}
		return "database reachable", nil
	})

	var keys jose.JSONWebKeySet
	step("published keys (JWKS)", func() (string, error) {
		status, body, _, err := get(ctx, client, o.BaseURL+"/.well-known/jwks.json")
		if err != nil {
			return "", err
		}
		if status != 200 {
			return "", fmt.Errorf("status %d", status)
		}
		if err := json.Unmarshal(body, &keys); err != nil || len(keys.Keys) == 0 {
			return "", fmt.Errorf("no keys in the JWKS: %v", err)
		}
		return fmt.Sprintf("%d key(s), first kid %s", len(keys.Keys), keys.Keys[0].KeyID), nil
	})

	var accessToken string
	step("client credentials token", func() (string, error) {
		cc := clientcredentials.Config{
			ClientID:     o.ClientID,
			ClientSecret: o.ClientSecret,
			TokenURL:     o.BaseURL + "/oauth2/token/" + url.PathEscape(o.ApplicationID),
		}
		if o.Scope != "" {
			cc.Scopes = strings.Split(o.Scope, " ")
		}
		tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, client))
		if err != nil {
			return "", err
		}
		accessToken = tok.AccessToken
		return fmt.Sprintf("%s token, expires %s", tok.TokenType, tok.Expiry.Format(time.RFC3339)), nil
	})

	step("access token verifies with the JWKS", func() (string, error) {
		if accessToken == "" {
			return "", errors.New("no access token from the previous step")
		}
		claims, err := verifyWithJWKS(accessToken, keys, o.BaseURL+"/")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("RS256, iss %s, sub %s", claims.Issuer, claims.Subject), nil
	})

	var icbt string
	step("GetTokenForUser", func() (string, error) {
		if accessToken == "" {
			return "", errors.New("no access token from the previous step")
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.BaseURL+"/security/GetTokenForUser?user="+url.QueryEscape(o.User), nil)
		req.Header.Set("Authorization", "Bearer "+accessToken)
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != 200 {
			return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "icbt" {
				icbt = c.Value
				if c.MaxAge != 600 || !c.HttpOnly {
					return "", fmt.Errorf("icbt cookie has Max-Age %d and HttpOnly %v, want 600 and true", c.MaxAge, c.HttpOnly)
				}
			}
		}
		if icbt == "" {
			return "", errors.New("no icbt cookie in the response")
		}
		return "icbt cookie set for " + o.User + ", valid 600 s", nil
	})

	step("/run opens the MFA pages", func() (string, error) {
		if icbt == "" {
			return "", errors.New("no icbt token from the previous step")
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.BaseURL+"/run?appkey="+url.QueryEscape(o.AppKey), nil)
		req.Header.Set("Authorization", "Bearer "+icbt)
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return "", fmt.Errorf("status %d, want a redirect to the first challenge or the app", resp.StatusCode)
		}
		next, err := req.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			return "", fmt.Errorf("invalid Location: %w", err)
		}
		if next.Host != req.URL.Host || !strings.HasPrefix(next.Path, "/run/") {
			return "redirected to " + next.String() + " (the app's profile asks for no challenge)", nil
		}
		page, _ := http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil)
		for _, c := range resp.Cookies() {
			page.AddCookie(c)
		}
		resp, err = client.Do(page)
		if err != nil {
			return "", err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("challenge page answered status %d", resp.StatusCode)
		}
		return "first challenge page rendered", nil
	})
	return steps
}

func get(ctx context.Context, client *http.Client, u string) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, resp.Header, err
}

// verifyWithJWKS checks an RS256 JWT against the published keys with
// go-jose, independently of the server's own verifier.
func verifyWithJWKS(token string, keys jose.JSONWebKeySet, issuer string) (*josejwt.Claims, error) {
	parsed, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("parse token: %w", err)
	}
	if len(parsed.Headers) == 0 {
		return nil, errors.New("token has no header")
	}
	matches := keys.Key(parsed.Headers[0].KeyID)
	if len(matches) == 0 {
		return nil, fmt.Errorf("kid %q is not in the JWKS", parsed.Headers[0].KeyID)
	}
	var claims josejwt.Claims
	if err := parsed.Claims(matches[0].Key, &claims); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	if err := claims.ValidateWithLeeway(josejwt.Expected{Issuer: issuer, Time: time.Now()}, 30*time.Second); err != nil {
		return nil, err
	}
	return &claims, nil
}
