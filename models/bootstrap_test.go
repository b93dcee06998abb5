package models_test

import (
	"context"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestBootstrapIsIdempotent(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()

		// modeltest already bootstrapped once; a second run changes nothing.
		res, err := s.Bootstrap(ctx, "another-password-0001")
		if err != nil {
			t.Fatalf("second bootstrap: %v", err)
		}
		if res.AdminCreated || len(res.CreatedRoles) != 0 || res.GeneratedPassword != "" {
			t.Fatalf("second bootstrap created something: %+v", res)
		}

		admin, err := s.UserByLoginName(ctx, "ADMIN@portcullis.local")
		if err != nil {
			t.Fatalf("admin not found case-insensitively: %v", err)
		}
		ok, err := s.Hasher.Verify(admin.PasswordHash, modeltest.AdminPassword)
		if err != nil || !ok {
			t.Fatalf("admin password was changed by the second bootstrap: ok=%v err=%v", ok, err)
		}
		isAdmin, err := s.IsSysAdmin(ctx, admin)
		if err != nil || !isAdmin {
			t.Fatalf("admin is not in System Administrator: %v %v", isAdmin, err)
		}
		rights, err := s.RightsOf(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range models.AllRights {
			if !rights[r] {
				t.Errorf("System Administrator lacks right %s", r)
			}
		}
	})
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := models.OpenDB(ctx, b.Config, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { d, _ := db.DB(); d.Close() }()
			for i := 0; i < 2; i++ {
				if err := models.Migrate(ctx, db, b.Config.Dialect(), nil); err != nil {
					t.Fatalf("migrate run %d: %v", i+1, err)
				}
			}
			for _, table := range []string{"users", "roles", "apps", "scopes", "signing_keys", "user_tokens", "mfa_sessions", "audit_events"} {
				if !db.Migrator().HasTable(table) {
					t.Errorf("table %s missing after migration", table)
				}
			}
		})
	}
}

func TestBootstrapGeneratesPassword(t *testing.T) {
	b := modeltest.Backends(t)[0]
	ctx := context.Background()
	db, err := models.OpenDB(ctx, b.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(ctx, db, models.DialectSQLite, nil); err != nil {
		t.Fatal(err)
	}
	keys, _ := models.NewKeyring([]byte(modeltest.TestSecretKey))
	s := models.NewStore(db, keys, modeltest.FastSettings(), nil)
	defer s.Close()

	res, err := s.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !res.AdminCreated || len(res.GeneratedPassword) < 20 {
		t.Fatalf("expected a generated password of 20+ characters, got %+v", res)
	}
	admin, err := s.UserByLoginName(ctx, models.BootstrapAdminName)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Hasher.Verify(admin.PasswordHash, res.GeneratedPassword); !ok {
		t.Fatal("generated password does not verify")
	}
}
