// Package modeltest opens throwaway stores for tests, on the embedded
// SQLite database and on PostgreSQL, so one suite covers both dialects.
//
// PostgreSQL is named by TEST_DATABASE_URL. When it is unset or
// unreachable, the PostgreSQL half is skipped with a message, except when
// CI=true, where that is a test failure.
package modeltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/portcullis-id/portcullis/models"
)

// TestSecretKey is the secret key of every test store.
const TestSecretKey = "test-secret-key-0123456789abcdef0123456789abcdef"

// FastSettings returns store settings with cheap argon2id parameters, so
// tests that create many users stay fast. Tests of the real cost use
// models.DefaultSettings.
func FastSettings() models.Settings {
	s := models.DefaultSettings()
	s.Argon2 = models.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	return s
}

// Backend is one database a test runs against.
type Backend struct {
	Name   string
	Config models.DBConfig
}

// Backends returns the backends to test: SQLite always, PostgreSQL when
// reachable. Each backend gets a fresh, empty database (a temporary file,
// or a fresh schema in the PostgreSQL database).
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite", Config: models.DBConfig{DataDir: t.TempDir()}}}
	if u, ok := postgresURL(t); ok {
		out = append(out, Backend{Name: "postgres", Config: models.DBConfig{URL: freshSchema(t, u)}})
	}
	return out
}

// Each runs fn once per backend as a subtest, with a migrated,
// bootstrapped store.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, OpenBackend(t, b, FastSettings()))
		})
	}
}

// OpenBackend opens, migrates and bootstraps a store on the backend.
// The administrator's password is AdminPassword.
func OpenBackend(t testing.TB, b Backend, settings models.Settings) *models.Store {
	t.Helper()
	ctx := context.Background()
	db, err := models.OpenDB(ctx, b.Config, nil)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	if err := models.Migrate(ctx, db, b.Config.Dialect(), nil); err != nil {
		t.Fatalf("migrate %s: %v", b.Name, err)
	}
	keys, err := models.NewKeyring([]byte(TestSecretKey))
	if err != nil {
		t.Fatal(err)
	}
	s := models.NewStore(db, keys, settings, slog.New(slog.DiscardHandler))
	if _, err := s.Bootstrap(ctx, AdminPassword); err != nil {
		t.Fatalf("bootstrap %s: %v", b.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// AdminPassword is the bootstrap administrator's password in tests.
const AdminPassword = "admin-password-0001"

// DefaultPostgresURL is used when TEST_DATABASE_URL is unset: the server
// these machines start on 127.0.0.1:5432 with trust authentication.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	pgOnce sync.Once
	pgErr  error
	pgURL  string
)

func postgresURL(t testing.TB) (string, bool) {
	t.Helper()
	pgOnce.Do(func() {
		pgURL = os.Getenv("TEST_DATABASE_URL")
		if pgURL == "" {
			pgURL = DefaultPostgresURL
		}
		db, err := openAdmin(pgURL)
		if err != nil {
			pgErr = err
			return
		}
		sqlDB, _ := db.DB()
		defer sqlDB.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pgErr = sqlDB.PingContext(ctx)
	})
	if pgErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is unreachable and CI=true: %v", redact(pgURL), pgErr)
		}
		t.Logf("SKIPPING the PostgreSQL half: %s is unreachable (%v); set TEST_DATABASE_URL", redact(pgURL), pgErr)
		return "", false
	}
	return pgURL, true
}

func openAdmin(u string) (*gorm.DB, error) {
	return gorm.Open(postgres.Open(u), &gorm.Config{Logger: logger.Discard})
}

// freshSchema creates a schema of its own for the test and returns a URL
// whose search_path points at it. The schema is dropped at cleanup.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := openAdmin(base)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	if err := db.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		sqlDB.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		sqlDB.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the configured URL"
	}
	return p.Redacted()
}

// Name returns a unique login name with the prefix, for tests that share
// a store.
func Name(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%s@example.test", strings.TrimSuffix(prefix, "@"), hex.EncodeToString(b))
}
