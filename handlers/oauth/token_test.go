package oauth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
)

// tokenPaths are the spellings of the token endpoint every case runs on.
var tokenPaths = []string{"/oauth2/token/", "/token/", "/OAuth2/Token/"}

// Secrets that client-a gets for the cases on client authentication.
const (
	specialSecret = "Ab+cd/ef=:gh"
	unicodeSecret = "Grüße-7"
)

var longSecret = strings.Repeat("0123456789", 10)

// tokenCase is one token request and the expected response.
type tokenCase struct {
	name string
	// secret is client-a's secret during the case; empty means SecretA.
	secret        string
	app           string
	authorization string
	contentType   string
	body          string
	query         string
	wantStatus    int
	wantError     string
	// wantScope is the granted scope of a success.
	wantScope string
	// wantClient is the login name of the client a success is issued to.
	wantClient string
}

func basicA(secret string) string { return oauthtest.EncodedBasic(oauthtest.ClientAName, secret) }

const form = "application/x-www-form-urlencoded"

func tokenCases() []tokenCase {
	validBasic := basicA(oauthtest.SecretA)
	success := func(name, secret, auth, body, scope string) tokenCase {
		return tokenCase{name: name, secret: secret, authorization: auth, contentType: form, body: body, wantStatus: 200, wantScope: scope, wantClient: oauthtest.ClientAName}
	}
	failure := func(name, secret, auth, body string, status int, code string) tokenCase {
		return tokenCase{name: name, secret: secret, authorization: auth, contentType: form, body: body, wantStatus: status, wantError: code}
	}
	cc := "grant_type=client_credentials&scope=tfu"
	idA := "&client_id=" + url.QueryEscape(oauthtest.ClientAName)

	return []tokenCase{
		// Basic credentials with + / = : in the secret.
		success("basic secret with reserved characters form-encoded", specialSecret, basicA(specialSecret), cc, "tfu"),
		success("basic secret with reserved characters raw", specialSecret, oauthtest.RawBasic(oauthtest.ClientAName, specialSecret), cc, "tfu"),
		success("body secret with reserved characters", specialSecret, "", cc+idA+"&client_secret="+url.QueryEscape(specialSecret), "tfu"),
		failure("basic secret cut at its second colon", specialSecret, oauthtest.RawBasic(oauthtest.ClientAName, "Ab+cd/ef="), cc, 401, "invalid_client"),

		// Non-ASCII secrets are UTF-8.
		success("basic UTF-8 secret form-encoded", unicodeSecret, basicA(unicodeSecret), cc, "tfu"),
		success("body UTF-8 secret", unicodeSecret, "", "client_id="+url.QueryEscape(oauthtest.ClientAName)+"&client_secret=Gr%C3%BC%C3%9Fe-7&grant_type=client_credentials&scope=tfu", "tfu"),
		success("basic UTF-8 secret raw", unicodeSecret, oauthtest.RawBasic(oauthtest.ClientAName, unicodeSecret), cc, "tfu"),
		failure("basic Latin-1 secret", unicodeSecret, "Basic "+base64.StdEncoding.EncodeToString([]byte(oauthtest.ClientAName+":Gr\xfc\xdfe-7")), cc, 401, "invalid_client"),
		failure("basic secret folded to ASCII", unicodeSecret, basicA("Grusse-7"), cc, 401, "invalid_client"),

		// Every byte of a long secret counts.
		success("basic 100-byte secret", longSecret, basicA(longSecret), cc, "tfu"),
		failure("basic first 72 bytes of the secret", longSecret, basicA(longSecret[:72]), cc, 401, "invalid_client"),
		failure("basic 72 bytes and others", longSecret, basicA(longSecret[:72]+strings.Repeat("X", 28)), cc, 401, "invalid_client"),

		// One authentication method per request.
		failure("basic and body credentials", "", validBasic, cc+idA+"&client_secret="+oauthtest.SecretA, 400, "invalid_request"),
		failure("basic and a wrong body secret", "", validBasic, cc+"&client_secret=wrong-secret-0001", 400, "invalid_request"),
		failure("basic and another body client_id", "", validBasic, cc+"&client_id="+url.QueryEscape(oauthtest.ClientBName), 400, "invalid_request"),
		failure("wrong basic and valid body credentials", "", basicA("wrong-secret-0001"), cc+idA+"&client_secret="+oauthtest.SecretA, 400, "invalid_request"),
		success("basic and a matching body client_id", "", validBasic, cc+idA, "tfu"),
		success("basic and the body client_id in another case", "", validBasic, cc+"&client_id="+url.QueryEscape(strings.ToUpper(oauthtest.ClientAName)), "tfu"),

		// Missing, empty, repeated and URL-placed parameters.
		failure("no grant_type", "", validBasic, "scope=tfu", 400, "invalid_request"),
		failure("empty grant_type", "", validBasic, "grant_type=&scope=tfu", 400, "invalid_request"),
		failure("repeated grant_type", "", validBasic, "grant_type=client_credentials&grant_type=client_credentials&scope=tfu", 400, "invalid_request"),
		failure("repeated scope", "", validBasic, "grant_type=client_credentials&scope=tfu&scope=admin-all", 400, "invalid_request"),
		failure("repeated empty scope", "", validBasic, "grant_type=client_credentials&scope=&scope=", 400, "invalid_request"),
		failure("repeated client_id", "", "", cc+idA+idA+"&client_secret="+oauthtest.SecretA, 400, "invalid_request"),
		failure("password grant", "", validBasic, "grant_type=password&username=user-01&password=x", 400, "unsupported_grant_type"),
		failure("grant_type in another case", "", validBasic, "grant_type=Client_Credentials&scope=tfu", 400, "unsupported_grant_type"),
		{name: "parameters in the URL", query: "grant_type=client_credentials&client_id=" + url.QueryEscape(oauthtest.ClientAName) + "&client_secret=" + oauthtest.SecretA + "&scope=tfu", wantStatus: 400, wantError: "invalid_request"},
		{name: "secret in the URL with a valid body", authorization: validBasic, contentType: form, body: cc, query: "client_secret=" + oauthtest.SecretA, wantStatus: 400, wantError: "invalid_request"},

		// Scope syntax: only SP separates names.
		success("scope with a doubled space", "", validBasic, "grant_type=client_credentials&scope=tfu%20%20read", "tfu read"),
		success("scope with a trailing space", "", validBasic, "grant_type=client_credentials&scope=tfu%20", "tfu"),
		success("scope with a leading space", "", validBasic, "grant_type=client_credentials&scope=%20tfu", "tfu"),
		success("scope with a repeated name", "", validBasic, "grant_type=client_credentials&scope=tfu+tfu", "tfu"),
		failure("scope separated by a tab", "", validBasic, "grant_type=client_credentials&scope=tfu%09read", 400, "invalid_scope"),
		failure("scope separated by a no-break space", "", validBasic, "grant_type=client_credentials&scope=tfu%C2%A0read", 400, "invalid_scope"),
		success("scope of one space", "", validBasic, "grant_type=client_credentials&scope=%20", "read tfu token-info"),
		success("no scope", "", validBasic, "grant_type=client_credentials", "read tfu token-info"),

		// Scope names must be defined on the app, exactly.
		failure("scope defined only on another app", "", validBasic, "grant_type=client_credentials&scope=tfu%20admin-all", 400, "invalid_scope"),
		failure("unknown scope", "", validBasic, "grant_type=client_credentials&scope=no-such-scope", 400, "invalid_scope"),
		failure("scope in another case", "", validBasic, "grant_type=client_credentials&scope=TFU", 400, "invalid_scope"),
		failure("scope written as a regex", "", validBasic, "grant_type=client_credentials&scope=.*", 400, "invalid_scope"),
		failure("scope written as a path regex", "", validBasic, "grant_type=client_credentials&scope=%2Fsecurity%2F.*", 400, "invalid_scope"),

		// The client must be allowed on the app of the path.
		{name: "client of another app", app: oauthtest.AppB, authorization: validBasic, contentType: form, body: cc, wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown Application ID", app: "no-such-app", authorization: validBasic, contentType: form, body: cc, wantStatus: 400, wantError: "invalid_request"},
		{name: "Application ID in another case", app: "APP-A", authorization: validBasic, contentType: form, body: cc, wantStatus: 200, wantScope: "tfu", wantClient: oauthtest.ClientAName},
		{name: "client-b on its own app", app: oauthtest.AppB, authorization: oauthtest.EncodedBasic(oauthtest.ClientBName, oauthtest.SecretB), contentType: form, body: "grant_type=client_credentials&scope=admin-all", wantStatus: 200, wantScope: "admin-all", wantClient: oauthtest.ClientBName},

		// Client authentication failures.
		failure("disabled client", "", oauthtest.EncodedBasic(oauthtest.ClientDName, oauthtest.SecretD), cc, 401, "invalid_client"),
		failure("unknown client", "", oauthtest.EncodedBasic("nobody@example.test", oauthtest.SecretA), cc, 401, "invalid_client"),
		failure("wrong secret", "", basicA("wrong-secret-0001"), cc, 401, "invalid_client"),
		failure("wrong body secret", "", "", cc+idA+"&client_secret=wrong-secret-0001", 400, "invalid_client"),
		failure("body client_id without secret", "", "", cc+idA, 400, "invalid_client"),
		failure("no credentials", "", "", cc, 401, "invalid_client"),
		failure("bearer authorization", "", "Bearer abc", cc, 401, "invalid_client"),
		failure("basic without colon", "", "Basic "+base64.StdEncoding.EncodeToString([]byte("client-a")), cc, 401, "invalid_client"),
		failure("basic with invalid base64", "", "Basic !!!", cc, 401, "invalid_client"),

		// Body formats.
		{name: "JSON body", authorization: validBasic, contentType: "application/json", body: `{"grant_type":"client_credentials"}`, wantStatus: 400, wantError: "invalid_request"},
		{name: "text body", authorization: validBasic, contentType: "text/plain", body: cc, wantStatus: 400, wantError: "invalid_request"},
		{name: "no content type", authorization: validBasic, body: cc, wantStatus: 400, wantError: "invalid_request"},
		{name: "invalid content type", authorization: validBasic, contentType: "form;;;", body: cc, wantStatus: 400, wantError: "invalid_request"},
		failure("invalid percent-encoding", "", validBasic, "grant_type=client_credentials&scope=%zz", 400, "invalid_request"),
		{name: "multipart without boundary", authorization: validBasic, contentType: "multipart/form-data", body: cc, wantStatus: 400, wantError: "invalid_request"},
		multipartCase("multipart form-data", validBasic, map[string]string{"grant_type": "client_credentials", "scope": "tfu"}, false, 200, ""),
		multipartCase("multipart form-data with body credentials", "", map[string]string{"grant_type": "client_credentials", "scope": "tfu read", "client_id": oauthtest.ClientAName, "client_secret": oauthtest.SecretA}, false, 200, ""),
		multipartCase("multipart with a file part", validBasic, map[string]string{"grant_type": "client_credentials"}, true, 400, "invalid_request"),
	}
}

// multipartCase builds a multipart/form-data request as Postman's
// form-data sends it.
func multipartCase(name, authorization string, fields map[string]string, withFile bool, status int, code string) tokenCase {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if withFile {
		fw, _ := w.CreateFormFile("scope", "scope.txt")
		fw.Write([]byte("tfu"))
	}
	w.Close()
	tc := tokenCase{name: name, authorization: authorization, contentType: w.FormDataContentType(), body: body.String(), wantStatus: status, wantError: code}
	if status == 200 {
		tc.wantScope = fields["scope"]
		tc.wantClient = oauthtest.ClientAName
	}
	return tc
}

func TestTokenEndpointCases(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		current := oauthtest.SecretA
		keys := fetchJWKS(t, f, "/.well-known/jwks.json")
		for _, prefix := range tokenPaths {
			t.Run(strings.Trim(prefix, "/"), func(t *testing.T) {
				for _, tc := range tokenCases() {
					t.Run(tc.name, func(t *testing.T) {
						secret := tc.secret
						if secret == "" {
							secret = oauthtest.SecretA
						}
						if secret != current {
							f.SetSecret(t, f.ClientA, secret)
							current = secret
						}
						checkTokenCase(t, f, keys, prefix, tc)
					})
				}
			})
		}
	})
}

func checkTokenCase(t *testing.T, f *oauthtest.Fixture, keys jose.JSONWebKeySet, prefix string, tc tokenCase) {
	t.Helper()
	app := tc.app
	if app == "" {
		app = oauthtest.AppA
	}
	target := prefix + app
	if tc.query != "" {
		target += "?" + tc.query
	}
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tc.body))
	if tc.contentType != "" {
		req.Header.Set("Content-Type", tc.contentType)
	}
	if tc.authorization != "" {
		req.Header.Set("Authorization", tc.authorization)
	}
	resp, body := f.Do(t, req)

	if resp.StatusCode != tc.wantStatus {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	if got := resp.Header.Get("Pragma"); got != "no-cache" {
		t.Errorf("Pragma %q, want no-cache", got)
	}
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type %q, want application/json", got)
	}
	var tr oauthtest.TokenResponse
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		t.Fatalf("body is not JSON: %s", body)
	}

	if tc.wantError != "" {
		checkErrorResponse(t, resp, tr, tc.wantError)
		if tc.name == "unknown Application ID" && !strings.Contains(tr.ErrorDescription, "no-such-app") {
			t.Errorf("description %q does not name the unknown Application ID", tr.ErrorDescription)
		}
		return
	}
	checkIssuedToken(t, f, keys, tr, app, tc.wantClient, tc.wantScope)
}

func checkErrorResponse(t *testing.T, resp *http.Response, tr oauthtest.TokenResponse, code string) {
	t.Helper()
	if tr.Error != code {
		t.Errorf("error %q, want %q (%s)", tr.Error, code, tr.ErrorDescription)
	}
	if tr.AccessToken != "" {
		t.Error("an error response carries an access token")
	}
	for _, r := range tr.ErrorDescription {
		// RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E.
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			t.Errorf("error_description contains %q, which RFC 6749 does not allow", r)
		}
	}
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode == 401 && !strings.HasPrefix(challenge, `Basic realm="`) {
		t.Errorf("401 without a Basic challenge: %q", challenge)
	}
	if resp.StatusCode != 401 && challenge != "" {
		t.Errorf("non-401 answer with a challenge %q", challenge)
	}
}

// checkIssuedToken verifies the access token with go-jose against the
// published JWKS and checks its header and claims against the response.
func checkIssuedToken(t *testing.T, f *oauthtest.Fixture, keys jose.JSONWebKeySet, tr oauthtest.TokenResponse, applicationID, clientName, scope string) {
	t.Helper()
	if tr.TokenType != "Bearer" || tr.Scope != scope || tr.ExpiresIn <= 0 {
		t.Errorf("response token_type %q scope %q expires_in %d, want Bearer, %q and > 0", tr.TokenType, tr.Scope, tr.ExpiresIn, scope)
	}
	header, claims := verifyWithJWKS(t, keys, tr.AccessToken)

	app, err := f.Store.AppByApplicationID(t.Context(), applicationID)
	if err != nil {
		t.Fatal(err)
	}
	client, err := f.Store.UserByLoginName(t.Context(), clientName)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := map[string]string{"alg": "RS256", "typ": "JWT", "app_id": app.AppIDString()}
	for name, want := range wantHeader {
		if header[name] != want {
			t.Errorf("header %s = %v, want %s", name, header[name], want)
		}
	}
	if header["kid"] == nil || header["x5t"] == nil {
		t.Errorf("header lacks kid or x5t: %v", header)
	}
	wantClaims := map[string]any{
		"iss":         oauthtest.Issuer,
		"aud":         app.AppKey,
		"sub":         client.ID,
		"unique_name": client.LoginName,
		"scope":       scope,
	}
	for name, want := range wantClaims {
		if claims[name] != want {
			t.Errorf("claim %s = %v, want %v", name, claims[name], want)
		}
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		t.Error("claim jti is missing")
	}
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	nbf, _ := claims["nbf"].(float64)
	if int64(exp-iat) != tr.ExpiresIn {
		t.Errorf("exp - iat = %v, want expires_in %d", exp-iat, tr.ExpiresIn)
	}
	if nbf != iat {
		t.Errorf("nbf %v differs from iat %v", nbf, iat)
	}
}

func fetchJWKS(t *testing.T, f *oauthtest.Fixture, path string) jose.JSONWebKeySet {
	t.Helper()
	resp, body := f.Do(t, httptest.NewRequest(http.MethodGet, path, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &keys); err != nil {
		t.Fatalf("go-jose rejects the JWKS at %s: %v", path, err)
	}
	return keys
}

// verifyWithJWKS checks the token's RS256 signature with go-jose and
// returns its header and claims.
func verifyWithJWKS(t *testing.T, keys jose.JSONWebKeySet, token string) (map[string]any, map[string]any) {
	t.Helper()
	signed, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("go-jose cannot parse the token: %v", err)
	}
	matches := keys.Key(signed.Signatures[0].Header.KeyID)
	if len(matches) != 1 {
		t.Fatalf("kid %q is not in the JWKS", signed.Signatures[0].Header.KeyID)
	}
	payload, err := signed.Verify(matches[0].Key)
	if err != nil {
		t.Fatalf("go-jose rejects the signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	rawHeader, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var header map[string]any
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	return header, claims
}
