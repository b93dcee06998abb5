package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/portcullis-id/portcullis/models"
)

func init() {
	commands["keys"] = command{
		summary: "list or rotate the token signing keys: keys list, keys rotate",
		run: func(ctx context.Context, args []string) error {
			return runKeys(ctx, args, os.Stdout)
		},
	}
}

// runKeys runs "keys list" or "keys rotate" with the server's
// configuration flags and writes the result to out.
func runKeys(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		return fmt.Errorf("keys needs a subcommand: 'portcullis keys list' or 'portcullis keys rotate', followed by the server's flags")
	}
	sub := args[0]
	c, _, err := parseConfig("keys "+sub, args[1:], nil)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c, newLogger(c, os.Stderr))
	if err != nil {
		return err
	}
	defer store.Close()

	if sub == "rotate" {
		return rotateKeys(ctx, store, out)
	}
	return listKeys(ctx, store, out)
}

// rotateKeys makes a new key active. Running instances pick it up within
// 30 seconds, or at once for a token with its kid.
func rotateKeys(ctx context.Context, store *models.Store, out io.Writer) error {
	kid, err := store.RotateSigningKey(ctx)
	if err != nil {
		return err
	}
	keys, err := store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "New signing key %s is active.\n", kid)

	// The rotation retired the previous key at the new key's creation time.
	var created time.Time
	for _, k := range keys {
		if k.Kid == kid {
			created = k.CreatedAt
		}
	}
	for _, k := range keys {
		if k.RetiredAt != nil && k.PublishUntil != nil && k.RetiredAt.Equal(created) {
			fmt.Fprintf(out, "The previous key %s stays published until %s, so tokens it signed keep verifying.\n", k.Kid, k.PublishUntil.Format(time.RFC3339))
		}
	}
	return nil
}

// listKeys prints every stored key with its state.
func listKeys(ctx context.Context, store *models.Store, out io.Writer) error {
	keys, err := store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	now := store.Now()
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tSTATE\tCREATED")
	for _, k := range keys {
		state := "active"
		switch {
		case k.IsActive():
		case k.IsPublishedAt(now):
			state = "retired, published until " + k.PublishUntil.Format(time.RFC3339)
		default:
			state = "retired, no longer published"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", k.Kid, state, k.CreatedAt.Format(time.RFC3339))
	}
	return w.Flush()
}
