package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/portcullis-id/portcullis/models"
)

// runSeed adds ordinary users (to measure cost against database size) and
// confidential clients with Run permission on an app (for token-cold)
// straight to the database the server uses.
func runSeed(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("portcullis-load seed", flag.ContinueOnError)
	dbURL := fs.String("database-url", os.Getenv("PORTCULLIS_DATABASE_URL"), "postgres:// URL; empty uses the SQLite database in -data-dir (PORTCULLIS_DATABASE_URL)")
	dataDir := fs.String("data-dir", envOr("PORTCULLIS_DATA_DIR", "./data"), "data directory of the server (PORTCULLIS_DATA_DIR)")
	secretKey := fs.String("secret-key", os.Getenv("PORTCULLIS_SECRET_KEY"), "the server's secret key, when it is not kept in the data directory (PORTCULLIS_SECRET_KEY)")
	users := fs.Int("users", 0, "ordinary users to add, named "+seededUserName(1)+" and up")
	clients := fs.Int("clients", 0, "confidential clients to add, each with Run permission on -application-id")
	appID := fs.String("application-id", "demo", "OAuth Client app the new clients may use")
	clientsFile := fs.String("clients-file", "load-clients.txt", "where to write the new clients' client_id:client_secret lines (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *users < 0 || *users > 10_000_000 || *clients < 0 || *clients > 100_000 {
		return fmt.Errorf("-users must be 0 to 10000000 and -clients 0 to 100000")
	}
	if *users == 0 && *clients == 0 {
		return fmt.Errorf("nothing to do: give -users N or -clients N")
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := models.DBConfig{URL: *dbURL, DataDir: *dataDir}
	secret, err := models.LoadOrCreateSecretKey(*secretKey, *dataDir, log)
	if err != nil {
		return err
	}
	keys, err := models.NewKeyring(secret)
	if err != nil {
		return err
	}
	db, err := models.OpenDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := models.Migrate(ctx, db, cfg.Dialect(), log); err != nil {
		return err
	}
	store := models.NewStore(db, keys, models.DefaultSettings(), log)
	defer store.Close()

	if *users > 0 {
		start := time.Now()
		// Every seeded user shares one hash of a random password: nobody
		// signs in as them, and hashing a million passwords would take hours.
		password, err := models.GeneratePassword()
		if err != nil {
			return err
		}
		hash, err := store.Hasher.Hash(password)
		if err != nil {
			return err
		}
		n, err := store.CreateUsersBulk(ctx, seededUserPrefix, seededUserSuffix, *users, hash)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "added %d users in %s\n", n, time.Since(start).Round(time.Millisecond))
	}

	if *clients > 0 {
		app, err := store.AppByApplicationID(ctx, *appID)
		if err != nil {
			return fmt.Errorf("OAuth Client app %q: %w (run 'portcullis demo' first)", *appID, err)
		}
		var lines []string
		stamp := time.Now().UTC().Format("20060102150405")
		for i := 1; i <= *clients; i++ {
			secret, err := models.GeneratePassword()
			if err != nil {
				return err
			}
			name := fmt.Sprintf("load-client-%s-%05d@load.test", stamp, i)
			u, err := store.CreateUser(ctx, models.NewUser{LoginName: name, Password: secret, IsOAuthClient: true})
			if err != nil {
				return err
			}
			if err := store.SetAppPermission(ctx, app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: u.ID, Run: true}); err != nil {
				return err
			}
			lines = append(lines, name+":"+secret)
		}
		if err := os.WriteFile(*clientsFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "added %d clients; credentials in %s\n", *clients, *clientsFile)
	}
	return nil
}

// The seeded users are named load-user-0000001@load.test and up, the
// names models.CreateUsersBulk gives them.
const (
	seededUserPrefix = "load-user"
	seededUserSuffix = "load.test"
)

func seededUserName(n int) string {
	return fmt.Sprintf("%s-%07d@%s", seededUserPrefix, n, seededUserSuffix)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
