package models_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestMigrationFourKeepsMFAFailures upgrades a database whose users gave
// wrong MFA answers before users.last_mfa_failure_at existed. The column
// lets the MFA pages skip counting, so the upgrade must fill it in, or
// those answers would stop counting towards the user's lockout.
func TestMigrationFourKeepsMFAFailures(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := models.OpenDB(ctx, b.Config, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := models.Migrate(ctx, db, b.Config.Dialect(), nil); err != nil {
				t.Fatal(err)
			}
			keys, err := models.NewKeyring([]byte(modeltest.TestSecretKey))
			if err != nil {
				t.Fatal(err)
			}
			s := models.NewStore(db, keys, modeltest.FastSettings(), slog.New(slog.DiscardHandler))
			t.Cleanup(func() { s.Close() })
			if _, err := s.Bootstrap(ctx, modeltest.AdminPassword); err != nil {
				t.Fatal(err)
			}
			f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})

			// Eight wrong answers leave the user two of the ten allowed.
			const failures = 8
			for range failures {
				if _, locked, err := s.RecordMFAFailure(ctx, f.User, "192.0.2.1"); err != nil || locked {
					t.Fatalf("record failure: locked %v, %v", locked, err)
				}
			}

			// Go back to the schema before the column, then upgrade again.
			sqlDB, err := db.DB()
			if err != nil {
				t.Fatal(err)
			}
			dialect := goose.DialectSQLite3
			if b.Config.Dialect() == models.DialectPostgres {
				dialect = goose.DialectPostgres
			}
			provider, err := goose.NewProvider(dialect, sqlDB, os.DirFS("migrations/"+b.Config.Dialect()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := provider.DownTo(ctx, 3); err != nil {
				t.Fatalf("down to 3: %v", err)
			}
			if _, err := provider.UpTo(ctx, 4); err != nil {
				t.Fatalf("up to 4: %v", err)
			}

			user, err := s.UserByID(ctx, f.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if user.LastMFAFailureAt == nil || !user.LastMFAFailureAt.Equal(f.Clock.Now()) {
				t.Fatalf("last_mfa_failure_at after the upgrade is %v, want %v", user.LastMFAFailureAt, f.Clock.Now())
			}
			_, st, err := s.StartMFASession(ctx, models.MFAStart{Token: f.MintToken(t), App: f.App})
			if err != nil {
				t.Fatal(err)
			}
			if want := modeltest.FastSettings().MFAMaxUserFailures - failures; st.TriesLeft != want {
				t.Fatalf("tries left after the upgrade: %d, want %d", st.TriesLeft, want)
			}

			// Instances of the previous release still write these while a
			// rolling upgrade runs.
			for _, column := range []string{"code_hash", "code_expires_at", "code_sent_at"} {
				if !db.Migrator().HasColumn("mfa_sessions", column) {
					t.Errorf("mfa_sessions.%s was dropped, which breaks instances of the previous release", column)
				}
			}
		})
	}
}
