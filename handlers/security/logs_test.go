package security_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestLogsContainNoSecrets runs every endpoint of the token API and
// GetTokenForUser, with successes and failures, and fails if a secret,
// password, token or Authorization value appears in any log line.
func TestLogsContainNoSecrets(t *testing.T) {
	f := oauthtest.New(t, firstBackend(t))
	const wrongSecret = "wrong-secret-7h3x"
	const bodySecret = "Ab+cd/ef=:gh"
	f.SetSecret(t, f.ClientB, bodySecret)

	basicA := oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA)
	rawBasicA := oauthtest.RawBasic(oauthtest.ClientAName, oauthtest.SecretA)
	wrongBasic := oauthtest.EncodedBasic(oauthtest.ClientAName, wrongSecret)
	secrets := []string{
		oauthtest.SecretA, oauthtest.SecretB, oauthtest.SecretD, bodySecret, url.QueryEscape(bodySecret), wrongSecret,
		oauthtest.UserPass, modeltest.AdminPassword,
		strings.TrimPrefix(basicA, "Basic "), strings.TrimPrefix(rawBasicA, "Basic "), strings.TrimPrefix(wrongBasic, "Basic "),
	}
	post := func(path, authorization, body string) string {
		_, raw := f.Do(t, oauthtest.TokenRequest(path, authorization, body))
		return raw
	}
	tokenOf := func(raw string) string {
		var tr oauthtest.TokenResponse
		json.Unmarshal([]byte(raw), &tr)
		return tr.AccessToken
	}

	// Token endpoint: successes with each credential style, then failures.
	tokens := []string{
		tokenOf(post("/oauth2/token/app-a", basicA, "grant_type=client_credentials&scope=tfu")),
		tokenOf(post("/token/app-a", rawBasicA, "grant_type=client_credentials")),
		tokenOf(post("/oauth2/token/app-b", "", "grant_type=client_credentials&client_id="+url.QueryEscape(oauthtest.ClientBName)+"&client_secret="+url.QueryEscape(bodySecret))),
	}
	for _, tok := range tokens {
		if tok == "" {
			t.Fatal("a token request failed")
		}
	}
	post("/oauth2/token/app-a", wrongBasic, "grant_type=client_credentials")
	post("/oauth2/token/app-a", "", "grant_type=client_credentials&client_id="+url.QueryEscape(oauthtest.ClientAName)+"&client_secret="+wrongSecret)
	post("/oauth2/token/app-a", basicA, "grant_type=client_credentials&client_secret="+wrongSecret)
	post("/oauth2/token/app-a?client_secret="+wrongSecret, "", "grant_type=client_credentials")
	post("/oauth2/token/app-a", oauthtest.EncodedBasic(oauthtest.ClientDName, oauthtest.SecretD), "grant_type=client_credentials")
	post("/oauth2/token/app-a", basicA, "grant_type=client_credentials&scope=nope")
	post("/oauth2/token/no-such-app", basicA, "grant_type=client_credentials")
	post("/oauth2/token/app-a", "Bearer "+tokens[0], "grant_type=client_credentials")

	// Introspection and revocation.
	post("/oauth2/introspect/app-a", basicA, "token="+tokens[0])
	post("/oauth2/introspect/app-a", basicA, "token="+tokens[0]+"x")
	post("/oauth2/introspect/app-a", wrongBasic, "token="+tokens[0])

	// GetTokenForUser: success, then failures.
	var icbts []string
	for range 2 {
		resp, body := f.Do(t, oauthtest.GetTokenForUserRequest(tokens[0], userQuery(oauthtest.User01Name)))
		var env envelope
		json.Unmarshal([]byte(body), &env)
		if resp.StatusCode != 200 {
			t.Fatalf("GetTokenForUser: %d %s", resp.StatusCode, body)
		}
		icbts = append(icbts, env.Result.Token)
	}
	f.Do(t, oauthtest.GetTokenForUserRequest(icbts[0], userQuery(oauthtest.User01Name)))
	f.Do(t, oauthtest.GetTokenForUserRequest(oauthtest.Forge(t, tokens[0], `{"alg":"none"}`, nil, true), userQuery(oauthtest.User01Name)))
	f.Do(t, oauthtest.GetTokenForUserRequest(tokens[0], userQuery("nobody@example.test")))
	f.Do(t, oauthtest.GetTokenForUserRequest(tokens[0], ""))

	post("/oauth2/revoke/app-a", basicA, "token="+tokens[0])
	f.Do(t, oauthtest.GetTokenForUserRequest(tokens[0], userQuery(oauthtest.User01Name)))
	for _, path := range []string{"/.well-known/jwks.json", "/oauth2/keys/app-a", "/.well-known/oauth-authorization-server"} {
		f.Do(t, httptest.NewRequest(http.MethodGet, path, nil))
	}

	for _, tok := range tokens {
		secrets = append(secrets, tok, tok[strings.LastIndex(tok, ".")+1:])
	}
	secrets = append(secrets, icbts...)

	logs := f.Logs.String()
	if !strings.Contains(logs, "access token issued") || !strings.Contains(logs, "oauth request rejected") || !strings.Contains(logs, "bearer request rejected") {
		t.Fatalf("the run did not log what it should; logs:\n%s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(line, secret) {
				t.Errorf("log line contains %q: %s", secret[:min(len(secret), 12)]+"...", line)
			}
		}
		if strings.Contains(line, "Basic ") || strings.Contains(line, "Bearer ey") {
			t.Errorf("log line contains an Authorization value: %s", line)
		}
	}
}
