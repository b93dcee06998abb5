package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// clientFixture is an OAuth Client app and confidential clients on it.
type clientFixture struct {
	app   *models.App
	admin *models.User
}

func newClientFixture(t testing.TB, s *models.Store) clientFixture {
	t.Helper()
	ctx := context.Background()
	app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Billing", ApplicationID: "billing-" + models.NewID()[:8]})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.UserByLoginName(ctx, models.BootstrapAdminName)
	if err != nil {
		t.Fatal(err)
	}
	return clientFixture{app: app, admin: admin}
}

// addClient creates a confidential client with Run permission on the app.
func (f clientFixture) addClient(t testing.TB, s *models.Store, prefix, secret string) *models.User {
	t.Helper()
	ctx := context.Background()
	client, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name(prefix), Password: secret, IsOAuthClient: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAppPermission(ctx, f.app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: client.ID, Run: true}); err != nil {
		t.Fatal(err)
	}
	return client
}

func TestAuthenticateClient(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newClientFixture(t, s)
		actor := models.Actor{Name: "test"}
		const secret = "client-secret-0001"
		long := strings.Repeat("0123456789", 10)

		good := f.addClient(t, s, "good", secret)
		longSecret := f.addClient(t, s, "long", long)
		disabled := f.addClient(t, s, "disabled", secret)
		if err := s.SetUserDisabled(ctx, actor, disabled.ID, true); err != nil {
			t.Fatal(err)
		}
		locked := f.addClient(t, s, "locked", secret)
		if err := s.SetUserLocked(ctx, actor, locked.ID, true); err != nil {
			t.Fatal(err)
		}
		plain, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("plain"), Password: secret, IsServiceUser: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetAppPermission(ctx, f.app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: plain.ID, Run: true}); err != nil {
			t.Fatal(err)
		}
		viewOnly, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("view"), Password: secret, IsOAuthClient: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetAppPermission(ctx, f.app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: viewOnly.ID, View: true}); err != nil {
			t.Fatal(err)
		}
		viaRole, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("role"), Password: secret, IsOAuthClient: true})
		if err != nil {
			t.Fatal(err)
		}
		role, err := s.CreateRole(ctx, models.RoleInput{Name: "Billing backends"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddRoleMember(ctx, f.admin, role.ID, models.PrincipalUser, viaRole.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAppPermission(ctx, f.app.ID, models.PermissionInput{PrincipalType: models.PrincipalRole, PrincipalID: role.ID, Run: true}); err != nil {
			t.Fatal(err)
		}
		disabledApp := newClientFixture(t, s)
		onDisabledApp := disabledApp.addClient(t, s, "on-disabled", secret)
		off := false
		if _, err := s.UpdateAppSettings(ctx, disabledApp.app.ID, models.AppSettings{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		disabledApp.app, _ = s.AppByID(ctx, disabledApp.app.ID)

		cases := []struct {
			name       string
			app        *models.App
			candidates []models.ClientCredentials
			want       *models.User
			reason     string
		}{
			{"right secret", f.app, creds(good.LoginName, secret), good, ""},
			{"login name in another case", f.app, creds(strings.ToUpper(good.LoginName), secret), good, ""},
			{"second reading matches", f.app, append(creds(good.LoginName, "decoded-reading"), creds(good.LoginName, secret)...), good, ""},
			{"wrong secret", f.app, creds(good.LoginName, "wrong-secret-0001"), nil, models.ReasonWrongSecret},
			{"secret in another case", f.app, creds(good.LoginName, strings.ToUpper(secret)), nil, models.ReasonWrongSecret},
			{"empty secret", f.app, creds(good.LoginName, ""), nil, models.ReasonNoSecret},
			{"unknown client", f.app, creds("nobody@example.test", secret), nil, models.ReasonUnknownClient},
			{"100-byte secret", f.app, creds(longSecret.LoginName, long), longSecret, ""},
			{"first 72 bytes of a 100-byte secret", f.app, creds(longSecret.LoginName, long[:72]), nil, models.ReasonWrongSecret},
			{"72 bytes and other bytes", f.app, creds(longSecret.LoginName, long[:72]+strings.Repeat("X", 28)), nil, models.ReasonWrongSecret},
			{"disabled client", f.app, creds(disabled.LoginName, secret), nil, models.ReasonDisabled},
			{"locked client", f.app, creds(locked.LoginName, secret), nil, models.ReasonLocked},
			{"not a confidential client", f.app, creds(plain.LoginName, secret), nil, models.ReasonNotOAuthClient},
			{"no Run permission", f.app, creds(viewOnly.LoginName, secret), nil, models.ReasonNoRunRight},
			{"Run permission through a role", f.app, creds(viaRole.LoginName, secret), viaRole, ""},
			{"client of another app", f.app, creds(onDisabledApp.LoginName, secret), nil, models.ReasonNoRunRight},
			{"disabled app", disabledApp.app, creds(onDisabledApp.LoginName, secret), nil, models.ReasonAppDisabled},
			{"no readings", f.app, nil, nil, models.ReasonNoSecret},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.AuthenticateClient(ctx, tc.app, tc.candidates...)
				if tc.want != nil {
					if err != nil {
						t.Fatalf("rejected: %v", err)
					}
					if got.ID != tc.want.ID {
						t.Fatalf("authenticated %s, want %s", got.LoginName, tc.want.LoginName)
					}
					return
				}
				if !errors.Is(err, models.ErrInvalidClient) {
					t.Fatalf("got %v, want ErrInvalidClient", err)
				}
				var authErr *models.ClientAuthError
				if !errors.As(err, &authErr) || authErr.Reason != tc.reason {
					t.Errorf("reason %v, want %q", err, tc.reason)
				}
			})
		}
	})
}

func creds(id, secret string) []models.ClientCredentials {
	return []models.ClientCredentials{{ID: id, Secret: secret}}
}

// TestSecretCacheMissesAfterPasswordChange changes a client's password on
// one instance and checks that the other instance, which cached the old
// secret, rejects it at once.
func TestSecretCacheMissesAfterPasswordChange(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			first := modeltest.OpenBackend(t, b, modeltest.FastSettings())
			second := modeltest.OpenBackend(t, b, modeltest.FastSettings())
			f := newClientFixture(t, first)
			client := f.addClient(t, first, "rotating", "old-secret-0001")

			for range 2 { // the second call is served by the cache
				if _, err := first.AuthenticateClient(ctx, f.app, creds(client.LoginName, "old-secret-0001")...); err != nil {
					t.Fatalf("old secret before the change: %v", err)
				}
			}
			if err := second.ResetPassword(ctx, models.Actor{Name: "test"}, client.ID, "new-secret-0001", false); err != nil {
				t.Fatal(err)
			}
			if _, err := first.AuthenticateClient(ctx, f.app, creds(client.LoginName, "old-secret-0001")...); !errors.Is(err, models.ErrInvalidClient) {
				t.Errorf("old secret after the change on another instance: got %v, want ErrInvalidClient", err)
			}
			if _, err := first.AuthenticateClient(ctx, f.app, creds(client.LoginName, "new-secret-0001")...); err != nil {
				t.Errorf("new secret: %v", err)
			}

			// Disabling takes effect even while the secret is cached.
			if err := second.SetUserDisabled(ctx, models.Actor{Name: "test"}, client.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := first.AuthenticateClient(ctx, f.app, creds(client.LoginName, "new-secret-0001")...); !errors.Is(err, models.ErrInvalidClient) {
				t.Errorf("disabled client with a cached secret: got %v, want ErrInvalidClient", err)
			}
		})
	}
}

func TestAuthenticateClientRehashesOldParameters(t *testing.T) {
	b := modeltest.Backends(t)[0]
	ctx := context.Background()
	cheap := modeltest.FastSettings()
	old := modeltest.OpenBackend(t, b, cheap)
	f := newClientFixture(t, old)
	client := f.addClient(t, old, "rehash", "client-secret-0001")

	stronger := cheap
	stronger.Argon2.Iterations = 2
	current := modeltest.OpenBackend(t, b, stronger)
	if _, err := current.AuthenticateClient(ctx, f.app, creds(client.LoginName, "client-secret-0001")...); err != nil {
		t.Fatal(err)
	}
	after, _ := current.UserByID(ctx, client.ID)
	if after.PasswordHash == client.PasswordHash || current.Hasher.NeedsRehash(after.PasswordHash) {
		t.Errorf("hash not upgraded to the current parameters: %s", after.PasswordHash[:30])
	}
	if _, err := current.AuthenticateClient(ctx, f.app, creds(client.LoginName, "client-secret-0001")...); err != nil {
		t.Errorf("secret rejected after the rehash: %v", err)
	}
}

// BenchmarkClientSecretVerification measures AuthenticateClient with the
// default (OWASP) argon2id cost: "miss" verifies the hash each time,
// "hit" is served by the cache of successful verifications.
func BenchmarkClientSecretVerification(b *testing.B) {
	backend := modeltest.Backends(b)[0]
	s := modeltest.OpenBackend(b, backend, models.DefaultSettings())
	f := newClientFixture(b, s)
	client := f.addClient(b, s, "bench", "client-secret-0001")
	ctx := context.Background()

	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.AuthenticateClient(ctx, f.app, creds(client.LoginName, "client-secret-0001")...); err != nil {
				b.Fatal(err)
			}
		}
	})
	// shift only grows, also across the runs of -count, so no run finds
	// an entry that an earlier run left valid.
	shift := time.Duration(0)
	b.Run("miss", func(b *testing.B) {
		realNow := s.Now
		defer func() { s.Now = realNow }()
		for b.Loop() {
			// Each call is past the previous entry's lifetime.
			shift += models.SecretCacheTTL + time.Second
			s.Now = func() time.Time { return realNow().Add(shift) }
			if _, err := s.AuthenticateClient(ctx, f.app, creds(client.LoginName, "client-secret-0001")...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unknown client", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.AuthenticateClient(ctx, f.app, creds("nobody@example.test", "client-secret-0001")...); err == nil {
				b.Fatal("unknown client accepted")
			}
		}
	})
}
