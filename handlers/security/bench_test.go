package security_test

import (
	"testing"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// BenchmarkGetTokenForUser measures one GetTokenForUser request through
// the whole Fiber stack in process (app.Test), on SQLite: bearer
// verification, scope match, right check, mint and audit.
func BenchmarkGetTokenForUser(b *testing.B) {
	f := oauthtest.New(b, firstBackend(b))
	token := f.AccessToken(b, "tfu")
	defer modeltest.ReportCPUTime(b)()
	for b.Loop() {
		resp, body := f.Do(b, oauthtest.GetTokenForUserRequest(token, userQuery(oauthtest.User01Name)))
		if resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
}
