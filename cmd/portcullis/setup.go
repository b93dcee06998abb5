package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/portcullis-id/portcullis/models"
)

// newLogger returns the process logger in the configured format and level.
func newLogger(c *config, w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.ToLower(c.LogFormat) == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore loads the secret key, opens and migrates the database,
// bootstraps the built-in roles and first administrator, and returns the
// store. A generated administrator password is printed once on stderr.
func openStore(ctx context.Context, c *config, log *slog.Logger) (*models.Store, error) {
	secret, err := models.LoadOrCreateSecretKey(c.SecretKey, c.DataDir, log)
	if err != nil {
		return nil, err
	}
	keys, err := models.NewKeyring(secret)
	if err != nil {
		return nil, err
	}
	dbCfg := c.dbConfig()
	db, err := models.OpenDB(ctx, dbCfg, log)
	if err != nil {
		return nil, err
	}
	if err := models.Migrate(ctx, db, dbCfg.Dialect(), log); err != nil {
		return nil, err
	}
	store := models.NewStore(db, keys, c.storeSettings(), log)

	res, err := store.Bootstrap(ctx, c.AdminPassword)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if err := store.EnsureSigningKey(ctx); err != nil {
		store.Close()
		return nil, err
	}
	for _, r := range res.CreatedRoles {
		log.Info("created built-in role", "role", r)
	}
	if res.AdminCreated {
		log.Info("created first administrator", "login_name", models.BootstrapAdminName)
		if res.GeneratedPassword != "" {
			// Printed once, on stderr and not through the logger, so it
			// does not end up in log collectors.
			fmt.Fprintf(os.Stderr, "\n  First administrator: %s\n  Password (shown only now): %s\n\n",
				models.BootstrapAdminName, res.GeneratedPassword)
		}
	}
	return store, nil
}
