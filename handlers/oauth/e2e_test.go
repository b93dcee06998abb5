package oauth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// serve runs the fixture's app on a loopback listener until the test ends
// and returns its base URL.
func serve(t *testing.T, f *oauthtest.Fixture) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.App.Listener(ln)
	t.Cleanup(func() { f.App.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// TestClientCredentialsEndToEnd drives the token endpoint through the
// golang.org/x/oauth2 client in both of its credential styles, checks the
// token with go-jose against the JWKS served over HTTP, and uses it on
// GetTokenForUser. The secret contains the characters that form-encoding
// changes.
func TestClientCredentialsEndToEnd(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := oauthtest.New(t, b)
			f.SetSecret(t, f.ClientA, specialSecret)
			base := serve(t, f)
			httpClient := &http.Client{Timeout: 20 * time.Second}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, httpClient)
			keys := getJWKS(t, httpClient, base+"/oauth2/keys/"+oauthtest.AppA)

			styles := []struct {
				name  string
				style oauth2.AuthStyle
				path  string
			}{
				{"basic header", oauth2.AuthStyleInHeader, "/oauth2/token/"},
				{"body parameters", oauth2.AuthStyleInParams, "/oauth2/token/"},
				{"basic header on the alias", oauth2.AuthStyleInHeader, "/token/"},
				{"body parameters on an upper-case path", oauth2.AuthStyleInParams, "/OAuth2/Token/"},
			}
			for _, st := range styles {
				t.Run(st.name, func(t *testing.T) {
					cc := clientcredentials.Config{
						ClientID:     oauthtest.ClientAName,
						ClientSecret: specialSecret,
						TokenURL:     base + st.path + oauthtest.AppA,
						Scopes:       []string{"tfu", "read"},
						AuthStyle:    st.style,
					}
					tok, err := cc.Token(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if tok.TokenType != "Bearer" || tok.Extra("scope") != "tfu read" {
						t.Errorf("token type %q, scope %v", tok.TokenType, tok.Extra("scope"))
					}
					_, claims := verifyWithJWKS(t, keys, tok.AccessToken)
					if claims["unique_name"] != oauthtest.ClientAName || claims["scope"] != "tfu read" {
						t.Errorf("claims %v", claims)
					}

					req, _ := http.NewRequest(http.MethodPost, base+"/security/GetTokenForUser?user="+url.QueryEscape(oauthtest.User01Name), nil)
					req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
					resp, err := httpClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || resp.Cookies()[0].Name != "icbt" {
						t.Errorf("GetTokenForUser: %d, cookies %v", resp.StatusCode, resp.Cookies())
					}
				})
			}

			t.Run("multipart form-data", func(t *testing.T) {
				var body bytes.Buffer
				w := multipart.NewWriter(&body)
				for _, field := range [][2]string{{"grant_type", "client_credentials"}, {"scope", "tfu"}, {"client_id", oauthtest.ClientAName}, {"client_secret", specialSecret}} {
					w.WriteField(field[0], field[1])
				}
				w.Close()
				resp, err := httpClient.Post(base+"/oauth2/token/"+oauthtest.AppA, w.FormDataContentType(), &body)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var tr oauthtest.TokenResponse
				if err := json.Unmarshal(raw, &tr); err != nil || resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, raw)
				}
				verifyWithJWKS(t, keys, tr.AccessToken)
			})

			t.Run("malformed multipart", func(t *testing.T) {
				// The boundary in the header does not match the body's.
				body := "--abc\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--abc--\r\n"
				resp, err := httpClient.Post(base+"/oauth2/token/"+oauthtest.AppA, "multipart/form-data; boundary=xyz", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var oauthErr struct {
					Error string `json:"error"`
				}
				if resp.StatusCode != 400 || json.Unmarshal(raw, &oauthErr) != nil || oauthErr.Error != "invalid_request" {
					t.Errorf("status %d: %s, want 400 invalid_request as OAuth JSON", resp.StatusCode, raw)
				}
			})

			t.Run("oversized body", func(t *testing.T) {
				big := "grant_type=client_credentials&scope=" + strings.Repeat("a", 70*1024)
				resp, err := httpClient.Post(base+"/oauth2/token/"+oauthtest.AppA, "application/x-www-form-urlencoded", strings.NewReader(big))
				if err != nil {
					// fasthttp may close the connection before the client
					// finished sending; that is a refusal too.
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("status %d, want 413", resp.StatusCode)
				}
			})

			t.Run("raw request with credentials in the URL", func(t *testing.T) {
				conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.Write([]byte("POST /oauth2/token/" + oauthtest.AppA + "?grant_type=client_credentials&client_id=" + url.QueryEscape(oauthtest.ClientAName) + "&client_secret=x&scope=tfu HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 400 {
					t.Errorf("status %d, want 400", resp.StatusCode)
				}
			})
		})
	}
}

func getJWKS(t *testing.T, client *http.Client, u string) jose.JSONWebKeySet {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var keys jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d, %v", u, resp.StatusCode, err)
	}
	return keys
}
