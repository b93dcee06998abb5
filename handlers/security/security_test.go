package security_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models"
)

// envelope is the JSON response of GetTokenForUser.
type envelope struct {
	Success bool   `json:"success"`
	Message any    `json:"Message"`
	Result  result `json:"Result"`
}

type result struct {
	User      string
	UserID    string `json:"UserId"`
	ExpiresIn int
	Token     string
}

func userQuery(name string) string { return "user=" + url.QueryEscape(name) }

func TestGetTokenForUserSuccess(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		token := f.AccessToken(t, "tfu")
		resp, body := f.Do(t, oauthtest.GetTokenForUserRequest(token, userQuery(strings.ToUpper(oauthtest.User01Name))))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var env envelope
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			t.Fatal(err)
		}
		if !env.Success || env.Message != nil || env.Result.User != oauthtest.User01Name || env.Result.UserID != f.User01.ID || env.Result.ExpiresIn != 600 || env.Result.Token == "" {
			t.Errorf("envelope %+v", env)
		}
		var raw map[string]any
		json.Unmarshal([]byte(body), &raw)
		if _, found := raw["Message"]; !found {
			t.Error("the envelope lacks Message: null")
		}

		want := "icbt=" + env.Result.Token + "; Path=/; Max-Age=600; HttpOnly; SameSite=Lax"
		if got := resp.Header.Get("Set-Cookie"); got != want {
			t.Errorf("Set-Cookie %q, want %q", got, want)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}

		ut, err := f.Store.ConsumeUserToken(t.Context(), env.Result.Token)
		if err != nil || ut.UserID != f.User01.ID || ut.ClientID != f.ClientA.ID {
			t.Errorf("stored token %+v, %v", ut, err)
		}
		if ut != nil && ut.ExpiresAt.Sub(ut.CreatedAt) != 10*time.Minute {
			t.Errorf("token lives %s, want 10m", ut.ExpiresAt.Sub(ut.CreatedAt))
		}

		page, err := f.Store.ListAudit(t.Context(), models.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range page.Events {
			if ev.Action == "user_token.mint" {
				found = true
				if ev.ActorID != f.ClientA.ID || ev.ActorName != oauthtest.ClientAName || ev.ObjectID != f.User01.ID || ev.SourceIP == "" || ev.RequestID != resp.Header.Get("X-Request-ID") {
					t.Errorf("audit event %+v", ev)
				}
				if strings.Contains(ev.Details, env.Result.Token) {
					t.Error("the audit event contains the token")
				}
			}
		}
		if !found {
			t.Error("no audit event for the mint")
		}
	})
}

func TestGetTokenForUserSecureCookieUnderHTTPS(t *testing.T) {
	f := oauthtest.New(t, firstBackend(t))
	f.Deps.Config.BaseURL = "https://id.example"
	app := newApp(f)
	token := f.AccessTokenFor(t, oauthtest.AppA, oauthtest.ClientAName, oauthtest.SecretA, "tfu")
	// The token's issuer is the http fixture URL; sign one for the https
	// issuer instead.
	claims := jwt.MapClaims{}
	jwt.NewParser().ParseUnverified(token, claims)
	claims["iss"] = "https://id.example/"
	signed, err := f.Store.SignJWT(t.Context(), claims, map[string]any{"app_id": oauthtest.AppA})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.Test(oauthtest.GetTokenForUserRequest(signed, userQuery(oauthtest.User01Name)), oauthtest.RequestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Set-Cookie"); resp.StatusCode != 200 || !strings.HasSuffix(got, "; SameSite=Lax; Secure") {
		t.Errorf("status %d, Set-Cookie %q, want Secure", resp.StatusCode, got)
	}
}

func TestGetTokenForUserFailures(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		ctx := t.Context()
		tfu := f.AccessToken(t, "tfu")
		tokenInfo := f.AccessToken(t, "token-info")
		read := f.AccessToken(t, "read")
		clientC := f.AccessTokenFor(t, oauthtest.AppA, oauthtest.ClientCName, oauthtest.SecretC, "tfu")
		adminAll := f.AccessTokenFor(t, oauthtest.AppB, oauthtest.ClientBName, oauthtest.SecretB, "admin-all")

		service, err := f.Store.CreateUser(ctx, models.NewUser{LoginName: "service-01@example.test", Password: oauthtest.UserPass, IsServiceUser: true})
		if err != nil {
			t.Fatal(err)
		}
		disabled, err := f.Store.CreateUser(ctx, models.NewUser{LoginName: "disabled-01@example.test", Password: oauthtest.UserPass})
		if err != nil {
			t.Fatal(err)
		}
		f.Store.SetUserDisabled(ctx, models.Actor{Name: "test"}, disabled.ID, true)

		keys, _ := f.Store.PublishedKeys(ctx)
		cert, _ := x509.ParseCertificate(keys[0].CertDER)
		publicDER, _ := x509.MarshalPKIXPublicKey(cert.PublicKey)
		publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicDER})
		claims := jwt.MapClaims{}
		jwt.NewParser().ParseUnverified(tfu, claims)
		hs256 := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		hs256.Header["kid"] = keys[0].Kid
		hs256Token, _ := hs256.SignedString(publicPEM)
		foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
		wrongKid := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		wrongKid.Header["kid"] = "0000000000000000000000000000000000000000"
		wrongKidToken, _ := wrongKid.SignedString(foreign)
		otherIssuerClaims := jwt.MapClaims{}
		for k, v := range claims {
			otherIssuerClaims[k] = v
		}
		otherIssuerClaims["iss"] = "https://evil.example/"
		otherIssuer, _ := f.Store.SignJWT(ctx, otherIssuerClaims, nil)
		toAdminAll := func(c map[string]any) { c["scope"] = "admin-all" }

		icbtResp, icbtBody := f.Do(t, oauthtest.GetTokenForUserRequest(tfu, userQuery(oauthtest.User01Name)))
		var minted envelope
		if err := json.Unmarshal([]byte(icbtBody), &minted); err != nil || icbtResp.StatusCode != 200 {
			t.Fatalf("mint: %d %s", icbtResp.StatusCode, icbtBody)
		}

		cases := []struct {
			name      string
			bearer    string
			query     string
			status    int
			challenge string
		}{
			{"no token", "", userQuery(oauthtest.User01Name), 401, `Bearer realm="portcullis"`},
			{"alg none", oauthtest.Forge(t, tfu, `{"alg":"none","typ":"JWT"}`, nil, false), userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"alg NONE", oauthtest.Forge(t, tfu, `{"alg":"NONE","typ":"JWT"}`, nil, false), userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"alg none with the original signature", oauthtest.Forge(t, tfu, `{"alg":"none","typ":"JWT"}`, nil, true), userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"alg none with widened scope", oauthtest.Forge(t, tfu, `{"alg":"none","typ":"JWT"}`, toAdminAll, false), userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"widened scope under the old signature", oauthtest.Forge(t, tfu, "", toAdminAll, true), userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"HS256 keyed with the public key", hs256Token, userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"unknown kid", wrongKidToken, userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"another issuer", otherIssuer, userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"icbt token as bearer", minted.Result.Token, userQuery(oauthtest.User01Name), 401, "invalid_token"},
			{"scope for a shorter path", tokenInfo, userQuery(oauthtest.User01Name), 403, "insufficient_scope"},
			{"scope for another path", read, userQuery(oauthtest.User01Name), 403, "insufficient_scope"},
			{"scope of another app", adminAll, userQuery(oauthtest.User01Name), 200, ""},
			{"query string names an allowed path", read, userQuery(oauthtest.User01Name) + "&next=/users/x", 403, "insufficient_scope"},
			{"client without the mint right", clientC, userQuery(oauthtest.User01Name), 403, "insufficient_scope"},
			{"missing user", tfu, "", 400, ""},
			{"empty user", tfu, "user=", 400, ""},
			{"repeated user", tfu, userQuery(oauthtest.User01Name) + "&" + userQuery(oauthtest.User02Name), 400, ""},
			{"unknown user", tfu, userQuery("nobody@example.test"), 404, ""},
			{"service user", tfu, userQuery(service.LoginName), 404, ""},
			{"disabled user", tfu, userQuery(disabled.LoginName), 404, ""},
			{"SQL in the user name", tfu, "user=user-01%27%20OR%20%271%27%3D%271", 404, ""},
			{"query string plays no part", tfu, userQuery(oauthtest.User01Name) + "&next=/users/x", 200, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := f.Do(t, oauthtest.GetTokenForUserRequest(tc.bearer, tc.query))
				checkResponse(t, resp, body, tc.status, tc.challenge)
			})
		}
	})
}

// checkResponse checks status, challenge, envelope and cookie of a response.
func checkResponse(t *testing.T, resp *http.Response, body string, status int, challenge string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var env envelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("body is not the JSON envelope: %s", body)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if status == 200 {
		if !env.Success || resp.Header.Get("Set-Cookie") == "" {
			t.Errorf("success without cookie: %s", body)
		}
		return
	}
	if env.Success || env.Message == nil || env.Message == "" {
		t.Errorf("failure envelope %s", body)
	}
	if cookie := resp.Header.Get("Set-Cookie"); cookie != "" {
		t.Errorf("failure sets a cookie: %s", cookie)
	}
	got := resp.Header.Get("WWW-Authenticate")
	switch {
	case challenge == "" && got != "":
		t.Errorf("unexpected challenge %q", got)
	case strings.HasPrefix(challenge, "Bearer") && got != challenge:
		t.Errorf("challenge %q, want %q", got, challenge)
	case challenge != "" && !strings.HasPrefix(challenge, "Bearer") && got != `Bearer realm="portcullis", error="`+challenge+`"`:
		t.Errorf("challenge %q, want error=%q", got, challenge)
	}
}

func TestGetTokenForUserTokenChanges(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		ctx := t.Context()
		mint := func(t *testing.T, token string) (*http.Response, string) {
			t.Helper()
			return f.Do(t, oauthtest.GetTokenForUserRequest(token, userQuery(oauthtest.User01Name)))
		}

		t.Run("expired token", func(t *testing.T) {
			token := f.AccessToken(t, "tfu")
			realNow := f.Store.Now
			f.Store.Now = func() time.Time { return realNow().Add(models.DefaultTokenLifetime + time.Minute) }
			defer func() { f.Store.Now = realNow }()
			resp, body := mint(t, token)
			checkResponse(t, resp, body, 401, "invalid_token")
		})

		t.Run("scope regex edited after issue", func(t *testing.T) {
			token := f.AccessToken(t, "tfu")
			scopes, _ := f.Store.ScopesOfApp(ctx, f.AppA.ID)
			for _, sc := range scopes {
				if sc.Name == "tfu" {
					if _, err := f.Store.UpdateScope(ctx, f.AppA.ID, sc.ID, models.ScopeInput{Name: "tfu", Regexes: []string{"security/Other"}}); err != nil {
						t.Fatal(err)
					}
					defer f.Store.UpdateScope(ctx, f.AppA.ID, sc.ID, models.ScopeInput{Name: "tfu", Regexes: []string{"/security/GetTokenForUser"}})
				}
			}
			resp, body := mint(t, token)
			checkResponse(t, resp, body, 403, "insufficient_scope")
		})

		t.Run("scope whose regexes are all blank", func(t *testing.T) {
			token := f.AccessToken(t, "tfu")
			// The second connection writes as another instance would, so
			// the store learns of it only when its cached rows expire.
			if err := f.DB.Model(&models.Scope{}).Where("app_id = ? AND name = ?", f.AppA.ID, "tfu").Update("regexes", "\n \n").Error; err != nil {
				t.Fatal(err)
			}
			f.Store.InvalidateCaches()
			defer f.Store.InvalidateCaches()
			defer f.DB.Model(&models.Scope{}).Where("app_id = ? AND name = ?", f.AppA.ID, "tfu").Update("regexes", "/security/GetTokenForUser")
			resp, body := mint(t, token)
			checkResponse(t, resp, body, 403, "insufficient_scope")
		})

		t.Run("client disabled after issue", func(t *testing.T) {
			token := f.AccessToken(t, "tfu")
			f.Store.SetUserDisabled(ctx, models.Actor{Name: "test"}, f.ClientA.ID, true)
			defer f.Store.SetUserDisabled(ctx, models.Actor{Name: "test"}, f.ClientA.ID, false)
			resp, body := mint(t, token)
			checkResponse(t, resp, body, 403, "insufficient_scope")
		})

		t.Run("client deleted after issue", func(t *testing.T) {
			token := f.AccessTokenFor(t, oauthtest.AppA, oauthtest.ClientCName, oauthtest.SecretC, "tfu")
			if err := f.Store.DeleteUser(ctx, models.Actor{Name: "test"}, f.ClientC.ID); err != nil {
				t.Fatal(err)
			}
			resp, body := mint(t, token)
			checkResponse(t, resp, body, 401, "invalid_token")
		})

		t.Run("expires_in matches the token and the cookie lives ten minutes", func(t *testing.T) {
			resp, body := f.Do(t, oauthtest.TokenRequest("/token/"+oauthtest.AppA, oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA), "grant_type=client_credentials&scope=tfu"))
			var tr oauthtest.TokenResponse
			json.Unmarshal([]byte(body), &tr)
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(tr.AccessToken, claims); err != nil {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			iat, _ := claims.GetIssuedAt()
			exp, _ := claims.GetExpirationTime()
			if got := int64(exp.Sub(iat.Time) / time.Second); got != tr.ExpiresIn {
				t.Errorf("exp - iat = %d, expires_in %d", got, tr.ExpiresIn)
			}
			resp, _ = mint(t, tr.AccessToken)
			if cookie := resp.Header.Get("Set-Cookie"); !strings.Contains(cookie, "; Max-Age=600;") {
				t.Errorf("Set-Cookie %q lacks Max-Age=600", cookie)
			}
		})
	})
}
