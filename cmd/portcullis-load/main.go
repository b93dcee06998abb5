// Command portcullis-load drives a running Portcullis server over HTTP
// with N concurrent connections for a fixed duration and reports
// throughput, latency percentiles and, given the server's PID, the
// server's CPU time and resident memory, so work per server CPU-second
// can be compared across machines.
//
// Usage:
//
//	portcullis demo --json > fixture.json
//	portcullis-load -fixture fixture.json -scenario token -c 8 -d 20s -pid $(pgrep -f 'portcullis serve')
//	portcullis-load seed -users 1000000        (adds ordinary users to the configured database)
//	portcullis-load suite -binary bin/portcullis  (starts its own server and runs every scenario)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "seed":
		err = runSeed(ctx, os.Args[2:], os.Stdout)
	case len(os.Args) > 1 && os.Args[1] == "suite":
		err = runSuite(ctx, os.Args[2:], os.Stdout)
	default:
		err = runLoad(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "portcullis-load:", err)
		os.Exit(1)
	}
}

// fixture holds the values `portcullis demo --json` prints.
type fixture struct {
	BaseURL       string `json:"base_url"`
	ApplicationID string `json:"application_id"`
	Scope         string `json:"scope"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	AppKey        string `json:"app_key"`
	User          string `json:"user"`
}

func readFixture(path string) (fixture, error) {
	var f fixture
	var data []byte
	var err error
	if path == "-" {
		if info, serr := os.Stdin.Stat(); serr == nil && info.Mode()&os.ModeCharDevice != 0 {
			return f, errors.New("no fixture: give -fixture FILE, or pipe the output of 'portcullis demo --json' to standard input")
		}
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return f, fmt.Errorf("read fixture: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("fixture is not the JSON object that 'portcullis demo --json' prints: %w", err)
	}
	var missing []string
	for name, v := range map[string]string{"base_url": f.BaseURL, "application_id": f.ApplicationID, "client_id": f.ClientID, "client_secret": f.ClientSecret, "app_key": f.AppKey, "user": f.User} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return f, fmt.Errorf("fixture lacks %s", strings.Join(missing, ", "))
	}
	f.BaseURL = strings.TrimRight(f.BaseURL, "/")
	return f, nil
}

type loadOptions struct {
	fixturePath string
	scenario    string
	baseURL     string
	connections int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int
	pid         int
	jsonOut     bool
	clients     string
	seededUsers int
	timeout     time.Duration
}

// bindRunFlags registers the flags that shape one measured run, shared by
// the plain mode and the suite.
func (o *loadOptions) bindRunFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.connections, "c", 8, "concurrent connections (workers)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to send requests")
	fs.DurationVar(&o.warmup, "warmup", 0, "send requests for this long before measuring, to fill the server's caches; not counted")
	fs.IntVar(&o.maxRequests, "n", 5_000_000, "stop after this many requests even if the duration has not passed")
	fs.IntVar(&o.seededUsers, "seeded-users", 0, "user-token: name a random one of the first N users of 'portcullis-load seed -users' instead of the fixture's user")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
}

func (o *loadOptions) validate() error {
	if o.connections < 1 || o.connections > 4096 {
		return fmt.Errorf("-c %d is outside 1 to 4096", o.connections)
	}
	if o.duration <= 0 || o.duration > time.Hour {
		return fmt.Errorf("-d %s: give a duration above 0 and at most 1h, such as 10s", o.duration)
	}
	if o.warmup < 0 || o.warmup > time.Hour {
		return fmt.Errorf("-warmup %s: give a duration from 0 to 1h", o.warmup)
	}
	if o.timeout <= 0 || o.timeout > time.Hour {
		return fmt.Errorf("-timeout %s: give a duration above 0 and at most 1h", o.timeout)
	}
	if o.pid < 0 {
		return fmt.Errorf("-pid %d: give the server's process id, or 0 to leave out its CPU time and memory", o.pid)
	}
	if o.maxRequests < 1 {
		return fmt.Errorf("-n %d must be at least 1", o.maxRequests)
	}
	if o.seededUsers < 0 || o.seededUsers > 10_000_000 {
		return fmt.Errorf("-seeded-users %d is outside 0 to 10000000", o.seededUsers)
	}
	return nil
}

func runLoad(ctx context.Context, args []string, out io.Writer) error {
	var o loadOptions
	fs := flag.NewFlagSet("portcullis-load", flag.ContinueOnError)
	fs.StringVar(&o.fixturePath, "fixture", "-", "file with the output of 'portcullis demo --json' (- reads standard input)")
	fs.StringVar(&o.scenario, "scenario", "token", "token, token-cold, user-token or run")
	fs.StringVar(&o.baseURL, "base-url", "", "server URL; overrides the fixture's base_url")
	fs.IntVar(&o.pid, "pid", 0, "server process id; adds the server's CPU seconds and resident memory to the report")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as one JSON object")
	fs.StringVar(&o.clients, "clients", "", "token-cold: file of 'client_id:client_secret' lines from 'portcullis-load seed -clients N'")
	o.bindRunFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	fx, err := readFixture(o.fixturePath)
	if err != nil {
		return err
	}
	if o.baseURL != "" {
		fx.BaseURL = strings.TrimRight(o.baseURL, "/")
	}
	rep, err := measure(ctx, o, fx)
	if err != nil {
		return err
	}
	if err := rep.write(out, o.jsonOut); err != nil {
		return err
	}
	return failedRequests(rep)
}

// parseFlags parses args and rejects words left after the flags, which
// the flag package would silently stop at, ignoring the flags after them.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: every option is a flag, such as -d 10s", fs.Arg(0))
	}
	return nil
}

// failedRequests returns an error when any run had failed requests, so
// a script never takes the figures of a broken run for a measurement.
func failedRequests(runs ...*report) error {
	var failed, total int64
	first := ""
	for _, r := range runs {
		failed += r.Errors + r.Non2xx
		total += r.Requests + r.Errors + r.Non2xx
		if first == "" {
			first = r.FirstError
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d requests failed, the first with %s; the figures cover the successful ones only", failed, total, first)
}

// measure runs the scenario of o against the server of fx: first the
// warm-up, if any, then the measured run.
func measure(ctx context.Context, o loadOptions, fx fixture) (*report, error) {
	if err := checkLocal(fx.BaseURL); err != nil {
		return nil, err
	}
	client := &http.Client{
		Timeout: o.timeout,
		Transport: &http.Transport{
			MaxIdleConns:        o.connections * 2,
			MaxIdleConnsPerHost: o.connections * 2,
			MaxConnsPerHost:     o.connections * 2,
			IdleConnTimeout:     time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	sc, err := newScenario(ctx, o, fx, client)
	if err != nil {
		return nil, err
	}
	// One request before the run shows a wrong fixture, secret or address
	// at once, instead of as a run of fast failures.
	if status, err := sc.do(ctx, 0); err != nil || status < 200 || status > 299 {
		if err == nil {
			err = fmt.Errorf("status %d", status)
		}
		return nil, fmt.Errorf("the first %s request to %s failed: %w; check that the server runs and that the fixture comes from its database", o.scenario, fx.BaseURL, err)
	}
	if o.warmup > 0 {
		warm := o
		warm.duration, warm.pid = o.warmup, 0
		if _, err := run(ctx, sc, warm); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	rep, err := run(ctx, sc, o)
	if err != nil {
		return nil, err
	}
	rep.Scenario = o.scenario
	return rep, nil
}
