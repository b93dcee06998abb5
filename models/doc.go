// Package models holds Portcullis's GORM models, the rules that belong to
// them and the store that reads and writes them. The admin portal, the
// token API and the MFA pages share it, so a rule such as scope matching,
// redirect validation or TOTP replay protection is written once, here.
//
// Store methods return the package's sentinel errors (ErrNotFound,
// ErrConflict, ValidationErrors with one message per field), never a
// *gorm.DB or a driver error for an expected outcome. Ids are parsed
// before any query, updates go through column maps so false and empty
// values are saved, and every change the portal makes is recorded with
// its audit event in the same transaction.
//
// The store runs on the embedded SQLite database and on PostgreSQL; the
// migrations in migrations/sqlite and migrations/postgres are one history
// per dialect, and the tests run every store test on both (see modeltest).
package models
