package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/models"
)

// config is the whole server configuration, from flags and PORTCULLIS_*
// environment variables. A flag wins over its variable.
type config struct {
	Addr           string
	BaseURL        string
	DatabaseURL    string
	DataDir        string
	LogLevel       string
	LogFormat      string
	SecretKey      string
	AdminPassword  string
	TrustedProxies string
	BodyLimitKiB   int

	Argon2MemoryKiB   int
	Argon2Iterations  int
	Argon2Parallelism int

	MFAMaxSessionFailures int
	MFAMaxUserFailures    int
	MFALockout            time.Duration
	ClientSecretCacheTTL  time.Duration

	SignInMaxFailures int
	SignInLockout     time.Duration
	SignInRateLimit   int

	SMTPHost     string
	SMTPPort     int
	SMTPUsername string
	SMTPPassword string
	SMTPFrom     string
	SMTPTLS      string
	SMSWebhook   string

	DebugAddr string
}

// option describes one setting: its flag, its variable and its help text.
type option struct {
	name string // flag name; the variable is PORTCULLIS_ + upper-case name with - as _
	help string
	ptr  any
	def  any
}

func (c *config) options() []option {
	argon := models.DefaultArgon2Params()
	return []option{
		{"addr", "listen address (host:port)", &c.Addr, "127.0.0.1:8080"},
		{"base-url", "public URL of the server, used as token issuer and in links", &c.BaseURL, "http://localhost:8080"},
		{"database-url", "postgres:// URL; empty uses the embedded SQLite database in the data directory", &c.DatabaseURL, ""},
		{"data-dir", "directory of the SQLite database and the generated secret key", &c.DataDir, "./data"},
		{"log-level", "log level: debug, info, warn or error", &c.LogLevel, "info"},
		{"log-format", "log format: text or json", &c.LogFormat, "text"},
		{"secret-key", "secret key (at least 32 characters) sealing signing keys and TOTP seeds; empty generates one in the data directory", &c.SecretKey, ""},
		{"admin-password", "password of the first administrator, used only when the database has no users; empty generates one", &c.AdminPassword, ""},
		{"trusted-proxies", "comma-separated proxy addresses or CIDRs whose X-Forwarded-For is trusted", &c.TrustedProxies, ""},
		{"body-limit-kib", "maximum request body size in KiB", &c.BodyLimitKiB, 1024},
		{"argon2-memory-kib", "argon2id memory cost in KiB for new password hashes", &c.Argon2MemoryKiB, int(argon.Memory)},
		{"argon2-iterations", "argon2id iterations for new password hashes", &c.Argon2Iterations, int(argon.Iterations)},
		{"argon2-parallelism", "argon2id parallelism for new password hashes", &c.Argon2Parallelism, int(argon.Parallelism)},
		{"mfa-max-session-failures", "wrong MFA answers that fail one MFA session", &c.MFAMaxSessionFailures, 5},
		{"mfa-max-user-failures", "wrong MFA answers across sessions, within the lockout duration, that lock the user", &c.MFAMaxUserFailures, 10},
		{"mfa-lockout", "how long a user stays locked after too many wrong MFA answers (Go duration)", &c.MFALockout, 15 * time.Minute},
		{"sign-in-max-failures", "wrong passwords for one login name, within the sign-in lockout duration, that lock password sign-in to the portals; 0 turns the lockout off", &c.SignInMaxFailures, 10},
		{"sign-in-lockout", "how long password sign-in stays locked after too many wrong passwords (Go duration)", &c.SignInLockout, 15 * time.Minute},
		{"sign-in-rate-limit", "sign-in form posts one client address may make to each portal per minute; 0 turns the limit off", &c.SignInRateLimit, 20},
		{"client-secret-cache-ttl", "how long a successful client secret verification is reused (Go duration); 0 verifies every request", &c.ClientSecretCacheTTL, models.SecretCacheTTL},
		{"smtp-host", "SMTP server for email codes; empty keeps mail in the outbox that administrators read", &c.SMTPHost, ""},
		{"smtp-port", "SMTP server port", &c.SMTPPort, 587},
		{"smtp-username", "SMTP user name; empty sends without authentication", &c.SMTPUsername, ""},
		{"smtp-password", "SMTP password", &c.SMTPPassword, ""},
		{"smtp-from", "sender address of email codes", &c.SMTPFrom, "Portcullis <no-reply@portcullis.local>"},
		{"smtp-tls", "SMTP TLS mode: starttls, tls (implicit) or none", &c.SMTPTLS, "starttls"},
		{"sms-webhook-url", "URL that receives SMS messages as JSON POSTs; empty keeps them in the outbox", &c.SMSWebhook, ""},
		{"debug-addr", "listen address of the pprof debug server; empty turns it off", &c.DebugAddr, ""},
	}
}

// envName returns the environment variable of a flag.
func envName(flagName string) string {
	return "PORTCULLIS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// bind registers every option on fs, with defaults taken from the
// environment, and returns the problems found reading the environment.
func (c *config) bind(fs *flag.FlagSet) []error {
	var errs []error
	for _, o := range c.options() {
		env, set := os.LookupEnv(envName(o.name))
		help := o.help + " (" + envName(o.name) + ")"
		switch p := o.ptr.(type) {
		case *string:
			def := o.def.(string)
			if set {
				def = env
			}
			fs.StringVar(p, o.name, def, help)
		case *int:
			def := o.def.(int)
			if set {
				n, err := strconv.Atoi(strings.TrimSpace(env))
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %q is not a whole number", envName(o.name), env))
				} else {
					def = n
				}
			}
			fs.IntVar(p, o.name, def, help)
		case *time.Duration:
			def := o.def.(time.Duration)
			if set {
				d, err := time.ParseDuration(strings.TrimSpace(env))
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 15m or 1h", envName(o.name), env))
				} else {
					def = d
				}
			}
			fs.DurationVar(p, o.name, def, help)
		}
	}
	return errs
}

// validate reports every problem at once.
func (c *config) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		add("addr: %q is not a host:port address", c.Addr)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		add("base-url: %q must be an absolute http or https URL without query, fragment or user info", c.BaseURL)
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			add("database-url: must be empty (embedded SQLite) or a postgres:// URL")
		}
	} else if c.DataDir == "" {
		add("data-dir: must not be empty when database-url is empty")
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		add("log-level: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch strings.ToLower(c.LogFormat) {
	case "text", "json":
	default:
		add("log-format: %q is not one of text, json", c.LogFormat)
	}
	if c.SecretKey != "" && len(c.SecretKey) < models.MinSecretKeyLength {
		add("secret-key: must be at least %d characters long", models.MinSecretKeyLength)
	}
	if c.AdminPassword != "" {
		if err := models.ValidatePassword(c.AdminPassword); err != nil {
			add("admin-password: %v", err)
		}
	}
	for _, p := range c.trustedProxies() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				add("trusted-proxies: %q is neither an IP address nor a CIDR", p)
			}
		}
	}
	if c.BodyLimitKiB < 1 || c.BodyLimitKiB > 64*1024 {
		add("body-limit-kib: %d is outside 1 to 65536", c.BodyLimitKiB)
	}
	if c.Argon2MemoryKiB < 8*c.Argon2Parallelism || c.Argon2MemoryKiB > 4*1024*1024 {
		add("argon2-memory-kib: %d is outside %d to 4194304", c.Argon2MemoryKiB, 8*c.Argon2Parallelism)
	}
	if c.Argon2Iterations < 1 || c.Argon2Iterations > 100 {
		add("argon2-iterations: %d is outside 1 to 100", c.Argon2Iterations)
	}
	if c.Argon2Parallelism < 1 || c.Argon2Parallelism > 255 {
		add("argon2-parallelism: %d is outside 1 to 255", c.Argon2Parallelism)
	}
	if c.MFAMaxSessionFailures < 1 || c.MFAMaxSessionFailures > 100 {
		add("mfa-max-session-failures: %d is outside 1 to 100", c.MFAMaxSessionFailures)
	}
	if c.MFAMaxUserFailures < 1 || c.MFAMaxUserFailures > 1000 {
		add("mfa-max-user-failures: %d is outside 1 to 1000", c.MFAMaxUserFailures)
	}
	if c.MFALockout < time.Second || c.MFALockout > 7*24*time.Hour {
		add("mfa-lockout: %s is outside 1s to 168h", c.MFALockout)
	}
	if c.SignInMaxFailures < 0 || c.SignInMaxFailures > 1000 {
		add("sign-in-max-failures: %d is outside 0 to 1000", c.SignInMaxFailures)
	}
	if c.SignInLockout < time.Second || c.SignInLockout > 7*24*time.Hour {
		add("sign-in-lockout: %s is outside 1s to 168h", c.SignInLockout)
	}
	if c.SignInRateLimit < 0 || c.SignInRateLimit > 100000 {
		add("sign-in-rate-limit: %d is outside 0 to 100000", c.SignInRateLimit)
	}
	if c.ClientSecretCacheTTL < 0 || c.ClientSecretCacheTTL > time.Hour {
		add("client-secret-cache-ttl: %s is outside 0 to 1h", c.ClientSecretCacheTTL)
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		add("smtp-port: %d is outside 1 to 65535", c.SMTPPort)
	}
	switch c.SMTPTLS {
	case "starttls", "tls", "none":
	default:
		add("smtp-tls: %q is not one of starttls, tls, none", c.SMTPTLS)
	}
	if c.SMSWebhook != "" {
		if u, err := url.Parse(c.SMSWebhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("sms-webhook-url: %q is not an absolute http or https URL", c.SMSWebhook)
		}
	}
	if c.DebugAddr != "" {
		if _, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			add("debug-addr: %q is not a host:port address", c.DebugAddr)
		}
	}
	return errors.Join(errs...)
}

func (c *config) trustedProxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *config) dbConfig() models.DBConfig {
	return models.DBConfig{URL: c.DatabaseURL, DataDir: c.DataDir}
}

func (c *config) storeSettings() models.Settings {
	s := models.DefaultSettings()
	s.Argon2.Memory = uint32(c.Argon2MemoryKiB)
	s.Argon2.Iterations = uint32(c.Argon2Iterations)
	s.Argon2.Parallelism = uint8(c.Argon2Parallelism)
	s.MFAMaxSessionFailures = c.MFAMaxSessionFailures
	s.MFAMaxUserFailures = c.MFAMaxUserFailures
	s.MFALockoutWindow = c.MFALockout
	s.MFALockoutDuration = c.MFALockout
	s.ClientSecretCacheTTL = c.ClientSecretCacheTTL
	s.SignInMaxFailures = c.SignInMaxFailures
	s.SignInFailureWindow = c.SignInLockout
	s.SignInLockoutDuration = c.SignInLockout
	s.SignInRateLimit = c.SignInRateLimit
	s.SignInRateWindow = time.Minute
	return s
}

func (c *config) httpConfig(version string) deps.Config {
	return deps.Config{
		BaseURL:        strings.TrimRight(c.BaseURL, "/"),
		BodyLimit:      c.BodyLimitKiB * 1024,
		ReadTimeout:    15 * time.Second,
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    120 * time.Second,
		TrustedProxies: c.trustedProxies(),
		Version:        version,
	}
}

// parseConfig parses args for one command and validates the result. The
// command's own flags, if any, are added by extra before parsing.
func parseConfig(command string, args []string, extra func(fs *flag.FlagSet)) (*config, *flag.FlagSet, error) {
	c := &config{}
	fs := flag.NewFlagSet("portcullis "+command, flag.ContinueOnError)
	envErrs := c.bind(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	if err := errors.Join(append(envErrs, c.validate())...); err != nil {
		return nil, fs, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, fs, nil
}
