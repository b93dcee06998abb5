package oauth_test

import (
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// BenchmarkTokenEndpoint measures one client credentials request through
// the whole Fiber stack in process (app.Test), on SQLite. "cached secret"
// is the steady state of a client that asks often; "uncached secret"
// verifies the secret with the default (OWASP) argon2id cost every time.
func BenchmarkTokenEndpoint(b *testing.B) {
	f := oauthtest.New(b, modeltest.Backends(b)[0])
	basic := oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA)
	request := func(b *testing.B) {
		resp, body := f.Do(b, oauthtest.TokenRequest("/oauth2/token/"+oauthtest.AppA, basic, clientCredentialsTFU))
		if resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}

	b.Run("cached secret", func(b *testing.B) {
		request(b)
		defer modeltest.ReportCPUTime(b)()
		for b.Loop() {
			request(b)
		}
	})
	// shift only grows, also across the runs of -count, so no run finds
	// an entry that an earlier run left valid.
	shift := time.Duration(0)
	b.Run("uncached secret", func(b *testing.B) {
		f.Store.Hasher.Params = models.DefaultArgon2Params()
		f.SetSecret(b, f.ClientA, oauthtest.SecretA)
		realNow := f.Store.Now
		defer func() { f.Store.Now = realNow }()
		defer modeltest.ReportCPUTime(b)()
		for b.Loop() {
			// Each request comes after the previous cache entry expired.
			shift += models.SecretCacheTTL + time.Second
			f.Store.Now = func() time.Time { return realNow().Add(shift) }
			request(b)
		}
	})
}
