package models

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Settings tunes the rules the store enforces.
type Settings struct {
	Argon2 Argon2Params
	// MFAMaxSessionFailures is the number of wrong answers that fails one
	// MFA session.
	MFAMaxSessionFailures int
	// MFAMaxUserFailures is the number of wrong answers, across sessions,
	// within MFALockoutWindow that locks the user for MFALockoutDuration.
	MFAMaxUserFailures int
	MFALockoutWindow   time.Duration
	MFALockoutDuration time.Duration
	// ClientSecretCacheTTL is how long a successful client secret
	// verification is reused by this instance; 0 turns the cache off.
	ClientSecretCacheTTL time.Duration
	// SignInMaxFailures is the number of wrong passwords for one login
	// name, within SignInFailureWindow, that locks password sign-in to the
	// admin and user portals for SignInLockoutDuration. Zero or less turns
	// the lockout off.
	SignInMaxFailures     int
	SignInFailureWindow   time.Duration
	SignInLockoutDuration time.Duration
	// SignInRateLimit is the number of sign-in form posts one client
	// address may make to each portal per SignInRateWindow. Every instance
	// counts on its own.
	SignInRateLimit  int
	SignInRateWindow time.Duration
}

// DefaultSettings returns the settings used when nothing is configured.
func DefaultSettings() Settings {
	return Settings{
		Argon2:                DefaultArgon2Params(),
		MFAMaxSessionFailures: 5,
		MFAMaxUserFailures:    10,
		MFALockoutWindow:      15 * time.Minute,
		MFALockoutDuration:    15 * time.Minute,
		ClientSecretCacheTTL:  SecretCacheTTL,
		SignInMaxFailures:     10,
		SignInFailureWindow:   15 * time.Minute,
		SignInLockoutDuration: 15 * time.Minute,
		SignInRateLimit:       20,
		SignInRateWindow:      time.Minute,
	}
}

// Store is the data layer shared by the portal and the APIs. It returns
// the sentinel errors of this package, never driver errors for expected
// outcomes.
type Store struct {
	db       *gorm.DB
	dialect  string
	Keys     *Keyring
	Hasher   *PasswordHasher
	Settings Settings
	Log      *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time

	// signing caches the parsed signing keys, verifiedJWTs the tokens
	// whose signature verified, clientSecrets the successful client secret
	// verifications and state the configuration rows. Copies made by InTx
	// share them.
	signing       *signingKeyCache
	verifiedJWTs  *verifiedJWTCache
	clientSecrets *secretCache
	state         *stateCache
	// inTx is set on the copies InTx hands out, with txStateGen, the
	// state cache generation when the transaction began.
	inTx       bool
	txStateGen uint64
}

// NewStore wraps an open, migrated database.
func NewStore(db *gorm.DB, keys *Keyring, settings Settings, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var secretCacheKey []byte
	if keys != nil {
		secretCacheKey = keys.Key(PurposeSecretCache)
	}
	cacheSize := secretCacheSize
	if settings.ClientSecretCacheTTL <= 0 {
		cacheSize = 0
	}
	state := newStateCache(StateCacheTTL, stateCacheSize)
	if err := registerStateInvalidation(db, state); err != nil {
		log.Error("configuration rows are read from the database on every request", "error", err)
		state = nil
	}
	return &Store{
		db:            db,
		dialect:       DialectOf(db),
		Keys:          keys,
		Hasher:        &PasswordHasher{Params: settings.Argon2},
		Settings:      settings,
		Log:           log,
		Now:           func() time.Time { return time.Now().UTC() },
		signing:       newSigningKeyCache(),
		verifiedJWTs:  newVerifiedJWTCache(verifiedJWTCacheSize),
		clientSecrets: newSecretCache(secretCacheKey, settings.ClientSecretCacheTTL, cacheSize),
		state:         state,
	}
}

// Dialect returns the database dialect.
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the database pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// conn returns the database bound to ctx.
func (s *Store) conn(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// InTx runs fn in a transaction on a copy of the store bound to it. A
// returned error rolls the whole transaction back. fn must reach the
// database through tx only: on SQLite the pool has one connection, which
// the transaction holds, so a query through s inside fn waits forever.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	var gen uint64
	if s.state != nil {
		gen = s.state.gen.Load()
	}
	err := s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		copy := *s
		copy.db = gtx
		copy.inTx = true
		copy.txStateGen = gen
		return fn(&copy)
	})
	if s.state != nil && s.state.gen.Load() != gen {
		// A cached table was written, here or elsewhere, while the
		// transaction ran. Readers outside it saw the old rows until the
		// commit, so what they cached meanwhile must go.
		s.state.invalidate()
	}
	return err
}

// NewID returns a random UUID string for a new row.
func NewID() string { return uuid.NewString() }
