package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
)

// FuzzTokenEndpoint sends arbitrary bodies, content types and
// Authorization values to the token and introspection endpoints. Every
// response must be JSON with a status below 500. Plain "go test" runs
// the seeds only; "go test -fuzz FuzzTokenEndpoint" explores further.
func FuzzTokenEndpoint(f *testing.F) {
	fx := oauthtest.New(f, firstBackendTB(f))
	basic := oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA)
	for _, tc := range tokenCases() {
		f.Add(tc.contentType, tc.authorization, tc.body)
	}
	f.Add("multipart/form-data; boundary=x", basic, "--x\r\nContent-Disposition: form-data; name=\"scope\"\r\n\r\ntfu\r\n--x--\r\n")
	f.Add("application/x-www-form-urlencoded", "Basic Og==", "grant_type=client_credentials&scope=%00")

	f.Fuzz(func(t *testing.T, contentType, authorization, body string) {
		for _, path := range []string{"/oauth2/token/" + oauthtest.AppA, "/oauth2/introspect/" + oauthtest.AppA} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Authorization", authorization)
			resp, err := fx.App.Test(req, oauthtest.RequestTimeout)
			if err != nil {
				// The request could not be written or parsed as HTTP at
				// all, for example a header value with a line break.
				return
			}
			var decoded map[string]any
			decodeErr := json.NewDecoder(resp.Body).Decode(&decoded)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("%s: status %d for content type %q, body %q", path, resp.StatusCode, contentType, body)
			}
			if decodeErr != nil {
				t.Fatalf("%s: status %d with a body that is not JSON", path, resp.StatusCode)
			}
		}
	})
}
