package models

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Dialects the store supports.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DBConfig selects and tunes the database.
type DBConfig struct {
	// URL is empty for the embedded SQLite database, or a postgres:// URL.
	URL string
	// DataDir holds the SQLite file when URL is empty.
	DataDir string
	// MaxOpenConns bounds the PostgreSQL pool; 0 picks a default.
	MaxOpenConns int
}

// Dialect returns the dialect the configuration selects.
func (c DBConfig) Dialect() string {
	if c.URL == "" {
		return DialectSQLite
	}
	return DialectPostgres
}

// SQLitePath returns the path of the embedded database file.
func (c DBConfig) SQLitePath() string {
	return filepath.Join(c.DataDir, "portcullis.db")
}

// OpenDB opens the database and checks that it answers. It does not migrate.
func OpenDB(ctx context.Context, cfg DBConfig, log *slog.Logger) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		// The default logger prints bound values, which include secrets.
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}

	var (
		db  *gorm.DB
		err error
	)
	switch cfg.Dialect() {
	case DialectSQLite:
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
		}
		db, err = gorm.Open(sqlite.Open(sqliteDSN(cfg.SQLitePath())), gcfg)
	default:
		db, err = gorm.Open(postgres.Open(cfg.URL), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", cfg.Dialect(), err)
	}

	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	configurePool(sqlDB, cfg)

	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", cfg.Dialect(), err)
	}
	if log != nil {
		log.Info("database opened", "dialect", cfg.Dialect(), "location", describeLocation(cfg))
	}
	return db, nil
}

// sqliteDSN turns on WAL, a busy timeout and foreign keys for every
// connection of the pool, since SQLite pragmas are per connection. With
// WAL, synchronous=NORMAL keeps every committed transaction across a
// crash of the process; a power loss may drop the last few commits, but
// never corrupts the file.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func configurePool(sqlDB *sql.DB, cfg DBConfig) {
	if cfg.Dialect() == DialectSQLite {
		// One connection serves every statement in turn. SQLite allows one
		// writer at a time, and with four connections concurrent writers
		// waited in SQLite's busy handler, which sleeps up to 100 ms per
		// try, and each connection read back the pages that the others
		// had written. One connection gave the hot paths the same or a
		// higher rate per CPU-second and a lower p99 (docs/benchmarks.md).
		// Code inside Store.InTx must use the transaction's store only,
		// since the outer store would wait for the one connection.
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
		return
	}
	maxOpen := cfg.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 20
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxOpen)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
}

// describeLocation names where the data lives without printing a password.
func describeLocation(cfg DBConfig) string {
	if cfg.Dialect() == DialectSQLite {
		return cfg.SQLitePath()
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

// Migrate applies every pending migration of the dialect's history.
func Migrate(ctx context.Context, db *gorm.DB, dialect string, log *slog.Logger) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	sub, err := fs.Sub(migrationFiles, "migrations/"+dialect)
	if err != nil {
		return err
	}
	gooseDialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if dialect == DialectPostgres {
		gooseDialect = goose.DialectPostgres
		// An advisory lock keeps instances that start together from
		// applying the same migration twice.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	provider, err := goose.NewProvider(gooseDialect, sqlDB, sub, opts...)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	if log != nil {
		for _, r := range results {
			log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	return nil
}

// DialectOf returns the dialect of an open database.
func DialectOf(db *gorm.DB) string {
	if strings.Contains(db.Dialector.Name(), "postgres") {
		return DialectPostgres
	}
	return DialectSQLite
}

// Sentinel errors the store returns; handlers map them to responses.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("already exists")
	ErrForbidden = errors.New("not allowed")
)

// mapError turns driver errors into the store's sentinel errors.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrConflict
	}
	return err
}
