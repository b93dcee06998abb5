package security_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
)

// FuzzGetTokenForUser sends arbitrary Authorization values and query
// strings to GetTokenForUser. Every response must be the JSON envelope
// with a status below 500, and only a 200 may set a cookie. Plain
// "go test" runs the seeds only.
func FuzzGetTokenForUser(f *testing.F) {
	fx := oauthtest.New(f, firstBackend(f))
	token := fx.AccessToken(f, "tfu")
	f.Add("Bearer "+token, userQuery(oauthtest.User01Name))
	f.Add("Bearer "+token, "user=%zz")
	f.Add("Bearer "+token, "user=a&user=b")
	f.Add("Bearer "+oauthtest.Forge(f, token, `{"alg":"none"}`, nil, false), userQuery(oauthtest.User01Name))
	f.Add("bearer x.y.z", "")
	f.Add("Basic Og==", "user=")

	f.Fuzz(func(t *testing.T, authorization, query string) {
		for i := 0; i < len(query); i++ {
			if query[i] <= ' ' || query[i] >= 0x7f || query[i] == '#' {
				// Not valid in an HTTP request target; such a request is
				// rejected by the HTTP parser before routing.
				return
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/security/GetTokenForUser", nil)
		req.URL.RawQuery = query
		req.RequestURI = req.URL.RequestURI()
		req.Header.Set("Authorization", authorization)
		resp, err := fx.App.Test(req, oauthtest.RequestTimeout)
		if err != nil {
			return // not writable as an HTTP request
		}
		var env envelope
		decodeErr := json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if resp.StatusCode >= 500 || decodeErr != nil {
			t.Fatalf("status %d, JSON error %v, for query %q", resp.StatusCode, decodeErr, query)
		}
		if resp.StatusCode != 200 && resp.Header.Get("Set-Cookie") != "" {
			t.Fatalf("status %d sets a cookie", resp.StatusCode)
		}
	})
}
