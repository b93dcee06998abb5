package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/portcullis-id/portcullis/models"
)

func init() {
	commands["demo"] = command{
		summary: "create (idempotently) everything the on-demand MFA flow needs, print its values and exit",
		run:     runDemo,
	}
}

func runDemo(ctx context.Context, args []string) error {
	var asJSON, asEnv bool
	c, _, err := parseConfig("demo", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the values as exactly one JSON object")
		fs.BoolVar(&asEnv, "env", false, "print the values as shell variable assignments, for eval")
	})
	if err != nil {
		return err
	}
	// The JSON goes to stdout alone, so logs and the bootstrap password
	// stay on stderr.
	log := newLogger(c, os.Stderr)
	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer store.Close()

	fx, err := store.SeedDemo(ctx, c.httpConfig(version).BaseURL)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if asEnv {
		return printDemoEnv(os.Stdout, fx)
	}
	return printDemo(os.Stdout, fx, asJSON)
}

// printDemoEnv prints NAME='value' lines. The user's variable is DEMO_USER
// because USER is the shell's own.
func printDemoEnv(w io.Writer, fx *models.DemoFixture) error {
	for _, kv := range [][2]string{
		{"BASE_URL", fx.BaseURL}, {"APPLICATION_ID", fx.ApplicationID}, {"SCOPE", fx.Scope},
		{"CLIENT_ID", fx.ClientID}, {"CLIENT_SECRET", fx.ClientSecret}, {"APP_KEY", fx.AppKey},
		{"DEMO_USER", fx.User}, {"TOTP_SECRET", fx.TOTPSecret}, {"LAUNCH_URL", fx.LaunchURL}, {"FAILURE_URL", fx.FailureURL},
	} {
		if _, err := fmt.Fprintf(w, "%s=%s\n", kv[0], shellQuote(kv[1])); err != nil {
			return err
		}
	}
	return nil
}

// shellQuote wraps s in single quotes for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printDemo(w io.Writer, fx *models.DemoFixture, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(fx)
	}
	_, err := fmt.Fprintf(w, `Demo fixtures are ready (secrets below are specific to this database).

  Base URL            %s
  Application ID      %s
  Scope               %s
  Client ID           %s
  Client secret       %s
  App Key             %s
  User                %s   (password %s, for the user portal at /my)
  TOTP secret         %s   (add it to an authenticator app)
  Launch URL          %s
  Failure URL         %s

Step 3, a bearer token (form-data, as Postman sends it):
  curl -s -X POST %s/oauth2/token/%s -F grant_type=client_credentials -F scope=%s \
       -F client_id='%s' -F client_secret='%s'
Step 4, an icbt token for the user:
  curl -s -c - -X POST '%s/security/GetTokenForUser?user=%s' -H "Authorization: Bearer $ACCESS_TOKEN"
Step 5, the MFA pages:
  curl -s '%s/run?appkey=%s&failureRedirectUrl=%%2Fdemo%%2Ffailed' -H "Authorization: Bearer $ICBT"
`,
		fx.BaseURL, fx.ApplicationID, fx.Scope, fx.ClientID, fx.ClientSecret, fx.AppKey, fx.User, fx.UserPassword, fx.TOTPSecret, fx.LaunchURL, fx.FailureURL,
		fx.BaseURL, fx.ApplicationID, fx.Scope, fx.ClientID, fx.ClientSecret,
		fx.BaseURL, fx.User,
		fx.BaseURL, fx.AppKey)
	return err
}
