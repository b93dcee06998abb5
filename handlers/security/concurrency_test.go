package security_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/oauth"
	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/handlers/security"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func firstBackend(t testing.TB) modeltest.Backend {
	return modeltest.Backends(t)[0]
}

// newApp builds an app from the fixture's possibly changed Deps.
func newApp(f *oauthtest.Fixture) *fiber.App {
	return handlers.New(f.Deps, oauth.Register, security.Register)
}

// TestGetTokenForUserConcurrentUsers sends 200 concurrent requests for two
// users whose names differ in length. Request strings live in buffers
// that fasthttp reuses, so a value kept past its handler would show up as
// a token or audit event for the other user.
func TestGetTokenForUserConcurrentUsers(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		const requests = 200
		token := f.AccessToken(t, "tfu")
		users := []*models.User{f.User01, f.User02}

		type outcome struct {
			user      *models.User
			status    int
			icbt      string
			requestID string
		}
		outcomes := make([]outcome, requests)
		var wg sync.WaitGroup
		for i := range requests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := users[i%2]
				resp, err := f.App.Test(oauthtest.GetTokenForUserRequest(token, userQuery(user.LoginName)), oauthtest.RequestTimeout)
				if err != nil {
					t.Error(err)
					return
				}
				var env envelope
				json.NewDecoder(resp.Body).Decode(&env)
				resp.Body.Close()
				outcomes[i] = outcome{user: user, status: resp.StatusCode, icbt: env.Result.Token, requestID: resp.Header.Get("X-Request-ID")}
			}()
		}
		wg.Wait()

		byRequest := map[string]*models.User{}
		for i, o := range outcomes {
			if o.status != 200 {
				t.Fatalf("request %d: status %d", i, o.status)
			}
			byRequest[o.requestID] = o.user
			ut, err := f.Store.ConsumeUserToken(t.Context(), o.icbt)
			if err != nil {
				t.Fatalf("request %d: token not found: %v", i, err)
			}
			if ut.UserID != o.user.ID {
				t.Errorf("request %d for %s got a token of user %s", i, o.user.LoginName, ut.UserID)
			}
		}

		page, err := f.Store.ListAudit(t.Context(), models.AuditQuery{Action: security.ActionMintUserToken, PerPage: models.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != requests {
			t.Fatalf("%d audit events, want %d", page.Total, requests)
		}
		var events []models.AuditEvent
		for p := 1; p <= page.Pages(); p++ {
			next, err := f.Store.ListAudit(t.Context(), models.AuditQuery{Action: security.ActionMintUserToken, Page: p, PerPage: models.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, next.Events...)
		}
		for _, ev := range events {
			user := byRequest[ev.RequestID]
			if user == nil || ev.ObjectID != user.ID || ev.ObjectName != user.LoginName {
				t.Errorf("audit event of request %s names %s (%s), want %v", ev.RequestID, ev.ObjectName, ev.ObjectID, user)
			}
		}
	})
}
