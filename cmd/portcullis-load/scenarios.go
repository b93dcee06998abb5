package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// checkLocal refuses targets off this machine: the tool reads the
// server's CPU time from /proc, which only makes sense for a local server.
func checkLocal(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("base URL %q is not an absolute http or https URL", base)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("base URL %q has a path or query; give the server's root, such as http://127.0.0.1:8080", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("base URL host %q is not a loopback address; portcullis-load drives only a server on this machine", host)
	}
	return nil
}

// scenario sends one request of a kind and reports whether it succeeded.
type scenario interface {
	do(ctx context.Context, worker int) (status int, err error)
}

func newScenario(ctx context.Context, o loadOptions, fx fixture, client *http.Client) (scenario, error) {
	switch o.scenario {
	case "token":
		return &tokenScenario{fx: fx, client: client, creds: []credential{{fx.ClientID, fx.ClientSecret}}}, nil
	case "token-cold":
		if o.clients == "" {
			return nil, fmt.Errorf("token-cold needs -clients FILE from 'portcullis-load seed -clients N', and a server started with --client-secret-cache-ttl 0 unless FILE has more clients than the run sends requests")
		}
		creds, err := readCredentials(o.clients)
		if err != nil {
			return nil, err
		}
		return &tokenScenario{fx: fx, client: client, creds: creds}, nil
	case "user-token", "run":
		src := &accessTokenSource{fx: fx, client: client}
		if _, err := src.get(ctx); err != nil {
			return nil, fmt.Errorf("get the access token the workers share: %w", err)
		}
		if o.scenario == "user-token" {
			return &userTokenScenario{fx: fx, client: client, tokens: src, seededUsers: o.seededUsers}, nil
		}
		return &runScenario{userTokenScenario{fx: fx, client: client, tokens: src}}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q: use token, token-cold, user-token or run", o.scenario)
}

type credential struct{ id, secret string }

func readCredentials(path string) ([]credential, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []credential
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		id, secret, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s: line %q is not client_id:client_secret", path, line)
		}
		out = append(out, credential{id, secret})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no credentials", path)
	}
	return out, sc.Err()
}

func basicAuth(id, secret string) string {
	// RFC 6749 §2.3.1: form-encode both parts before Basic encoding.
	raw := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// tokenScenario runs the client credentials grant, cycling through creds.
type tokenScenario struct {
	fx     fixture
	client *http.Client
	creds  []credential
	next   atomic.Uint64
}

func (s *tokenScenario) do(ctx context.Context, _ int) (int, error) {
	c := s.creds[int(s.next.Add(1)-1)%len(s.creds)]
	form := url.Values{"grant_type": {"client_credentials"}}
	if s.fx.Scope != "" {
		form.Set("scope", s.fx.Scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.fx.BaseURL+"/oauth2/token/"+url.PathEscape(s.fx.ApplicationID), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basicAuth(c.id, c.secret))
	return send(s.client, req)
}

// accessTokenSource keeps one access token for all workers and renews it
// a minute before it expires.
type accessTokenSource struct {
	fx      fixture
	client  *http.Client
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (a *accessTokenSource) get(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && time.Now().Before(a.expires.Add(-time.Minute)) {
		return a.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if a.fx.Scope != "" {
		form.Set("scope", a.fx.Scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.fx.BaseURL+"/oauth2/token/"+url.PathEscape(a.fx.ApplicationID), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basicAuth(a.fx.ClientID, a.fx.ClientSecret))
	resp, err := a.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("token request failed with status %d, error %q", resp.StatusCode, body.Error)
	}
	a.token = body.AccessToken
	a.expires = time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)
	return a.token, nil
}

// userTokenScenario calls GetTokenForUser with the shared access token,
// for the fixture's user or, with seededUsers > 0, for a random one of the
// first seededUsers users that 'portcullis-load seed -users' added.
type userTokenScenario struct {
	fx          fixture
	client      *http.Client
	tokens      *accessTokenSource
	seededUsers int
}

func (s *userTokenScenario) user() string {
	if s.seededUsers > 0 {
		return seededUserName(1 + rand.IntN(s.seededUsers))
	}
	return s.fx.User
}

func (s *userTokenScenario) mint(ctx context.Context) (icbt string, status int, err error) {
	at, err := s.tokens.get(ctx)
	if err != nil {
		return "", 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.fx.BaseURL+"/security/GetTokenForUser?user="+url.QueryEscape(s.user()), nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "icbt" {
			icbt = c.Value
		}
	}
	return icbt, resp.StatusCode, nil
}

func (s *userTokenScenario) do(ctx context.Context, _ int) (int, error) {
	_, status, err := s.mint(ctx)
	return status, err
}

// runScenario mints an icbt token, opens /run with it and follows the
// redirect to the rendered first challenge page with the MFA session
// cookie, as a browser would.
type runScenario struct{ userTokenScenario }

func (s *runScenario) do(ctx context.Context, _ int) (int, error) {
	icbt, status, err := s.mint(ctx)
	if err != nil || status != http.StatusOK {
		return status, err
	}
	if icbt == "" {
		return 0, fmt.Errorf("GetTokenForUser set no icbt cookie")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.fx.BaseURL+"/run?appkey="+url.QueryEscape(s.fx.AppKey), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+icbt)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return resp.StatusCode, nil
	}
	next, err := req.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return 0, fmt.Errorf("/run redirected to an invalid Location: %w", err)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil)
	if err != nil {
		return 0, err
	}
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	return send(s.client, req)
}

func send(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}
