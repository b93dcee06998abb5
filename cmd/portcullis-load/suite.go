package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// suiteOptions configures runSuite.
type suiteOptions struct {
	binary      string
	addr        string
	databaseURL string
	dataDir     string
	secretKey   string
	serverArgs  string
	scenarios   string
	repeat      int
	restart     bool
	seedUsers   int
	seedClients int
	jsonOut     bool
	run         loadOptions
}

// suiteResult is the output of runSuite with -json.
type suiteResult struct {
	Database string    `json:"database"`
	Runs     []*report `json:"runs"`
	Medians  []*report `json:"medians"`
}

// runSuite starts a Portcullis server from -binary on a loopback address,
// seeds it with 'portcullis demo --json' (and 'seed' when asked), runs
// each scenario -repeat times and prints every run and the median of each
// figure per scenario. By default the server is restarted before each
// repeat, so every repeat starts with cold caches and a fresh process.
func runSuite(ctx context.Context, args []string, out io.Writer) error {
	var o suiteOptions
	fs := flag.NewFlagSet("portcullis-load suite", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "bin/portcullis", "the portcullis binary to start ('make build' writes bin/portcullis)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:18080", "loopback address the server listens on")
	fs.StringVar(&o.databaseURL, "database-url", "", "postgres:// URL of an empty or earlier suite's schema; empty uses SQLite in -data-dir")
	fs.StringVar(&o.dataDir, "data-dir", "", "data directory of the server; empty makes a temporary one and removes it afterwards")
	fs.StringVar(&o.secretKey, "secret-key", os.Getenv("PORTCULLIS_SECRET_KEY"), "the server's secret key; empty uses the one in -data-dir, made on first use, so a PostgreSQL schema kept from an earlier suite also needs that -data-dir (PORTCULLIS_SECRET_KEY)")
	fs.StringVar(&o.serverArgs, "server-args", "", "extra flags for 'portcullis serve', separated by spaces, such as '--client-secret-cache-ttl 0'")
	fs.StringVar(&o.scenarios, "scenarios", "token,user-token,run", "comma-separated scenarios to run, in order")
	fs.IntVar(&o.repeat, "repeat", 3, "how often to run each scenario; the report gives the median")
	fs.BoolVar(&o.restart, "restart", true, "restart the server before each repeat; false keeps one process, to watch its memory across repeats")
	fs.IntVar(&o.seedUsers, "seed-users", 0, "add this many ordinary users before the first run")
	fs.IntVar(&o.seedClients, "seed-clients", 0, "add this many confidential clients before the first run, for token-cold")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as one JSON object")
	o.run.bindRunFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}

	if o.dataDir == "" {
		dir, err := os.MkdirTemp("", "portcullis-suite-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.dataDir = dir
	}
	fx, err := o.prepare(ctx)
	if err != nil {
		return err
	}
	res := &suiteResult{Database: "sqlite"}
	if o.databaseURL != "" {
		res.Database = "postgres"
	}
	var srv *server
	defer func() { srv.stop() }()
	for r := 1; r <= o.repeat; r++ {
		if srv == nil || o.restart {
			srv.stop()
			if srv, err = o.startServer(ctx); err != nil {
				return err
			}
		}
		for _, name := range strings.Split(o.scenarios, ",") {
			opts := o.run
			opts.scenario = name
			opts.pid = srv.cmd.Process.Pid
			rep, err := measure(ctx, opts, fx)
			if err != nil {
				return fmt.Errorf("%s, repeat %d: %w; the server's log ends: %s", name, r, err, srv.logTail())
			}
			res.Runs = append(res.Runs, rep)
			if !o.jsonOut {
				fmt.Fprintf(out, "repeat %d: ", r)
				rep.writeLine(out)
			}
		}
	}
	for _, name := range strings.Split(o.scenarios, ",") {
		res.Medians = append(res.Medians, medianReport(name, res.Runs))
	}

	if o.jsonOut {
		if err := json.NewEncoder(out).Encode(res); err != nil {
			return err
		}
	} else {
		if o.repeat == 1 {
			fmt.Fprintf(out, "result of 1 repeat on %s:\n", res.Database)
		} else {
			fmt.Fprintf(out, "medians of %d repeats on %s:\n", o.repeat, res.Database)
		}
		for _, m := range res.Medians {
			m.writeLine(out)
		}
	}
	return failedRequests(res.Runs...)
}

func (o *suiteOptions) validate() error {
	if err := o.run.validate(); err != nil {
		return err
	}
	if o.repeat < 1 || o.repeat > 100 {
		return fmt.Errorf("-repeat %d is outside 1 to 100", o.repeat)
	}
	if err := checkLocal("http://" + o.addr); err != nil {
		return err
	}
	if _, err := os.Stat(o.binary); err != nil {
		return fmt.Errorf("-binary: %w (run 'make build' first)", err)
	}
	for _, name := range strings.Split(o.scenarios, ",") {
		if !slices.Contains([]string{"token", "token-cold", "user-token", "run"}, name) {
			return fmt.Errorf("-scenarios: unknown scenario %q: use token, token-cold, user-token or run", name)
		}
		if name == "token-cold" && o.seedClients == 0 {
			return errors.New("-scenarios: token-cold needs -seed-clients N")
		}
	}
	if o.seedUsers < 0 || o.seedClients < 0 {
		return errors.New("-seed-users and -seed-clients must not be negative")
	}
	return nil
}

// commonArgs are the flags that demo, seed and serve share.
func (o *suiteOptions) commonArgs() []string {
	args := []string{"--data-dir", o.dataDir, "--addr", o.addr, "--base-url", "http://" + o.addr}
	if o.databaseURL != "" {
		args = append(args, "--database-url", o.databaseURL)
	}
	return args
}

// env is the environment of the server and demo commands. Without a
// secret key, they read or create the one in the data directory.
func (o *suiteOptions) env() []string {
	if o.secretKey == "" {
		return os.Environ()
	}
	return append(os.Environ(), "PORTCULLIS_SECRET_KEY="+o.secretKey)
}

// prepare seeds the database with the demo fixture and any extra users
// and clients, and returns the fixture.
func (o *suiteOptions) prepare(ctx context.Context) (fixture, error) {
	cmd := exec.CommandContext(ctx, o.binary, append([]string{"demo", "--json"}, o.commonArgs()...)...)
	cmd.Env = o.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fixture{}, fmt.Errorf("%s demo --json: %w: %s", o.binary, err, lastLines(stderr.String(), 5))
	}
	path := filepath.Join(o.dataDir, "fixture.json")
	if err := os.WriteFile(path, stdout.Bytes(), 0o600); err != nil {
		return fixture{}, err
	}
	fx, err := readFixture(path)
	if err != nil {
		return fixture{}, err
	}

	seedArgs := []string{"-data-dir", o.dataDir, "-database-url", o.databaseURL}
	if o.secretKey != "" {
		seedArgs = append(seedArgs, "-secret-key", o.secretKey)
	}
	if o.seedUsers > 0 {
		if err := runSeed(ctx, append(seedArgs, "-users", fmt.Sprint(o.seedUsers)), os.Stderr); err != nil {
			return fixture{}, err
		}
	}
	if o.seedClients > 0 {
		o.run.clients = filepath.Join(o.dataDir, "load-clients.txt")
		if err := runSeed(ctx, append(seedArgs, "-clients", fmt.Sprint(o.seedClients), "-application-id", fx.ApplicationID, "-clients-file", o.run.clients), os.Stderr); err != nil {
			return fixture{}, err
		}
	}
	return fx, nil
}

// server is a running 'portcullis serve'.
type server struct {
	cmd     *exec.Cmd
	logPath string
	done    chan error
}

// startServer starts 'portcullis serve' with its log in the data
// directory and waits until /healthz answers 200.
func (o *suiteOptions) startServer(ctx context.Context) (*server, error) {
	// A server already listening there would respond in place of this one.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("-addr %s is not free: %w; choose a free loopback address", o.addr, err)
	}
	ln.Close()

	logPath := filepath.Join(o.dataDir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve"}, o.commonArgs()...)
	args = append(args, strings.Fields(o.serverArgs)...)
	cmd := exec.Command(o.binary, args...)
	cmd.Env = o.env()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s serve: %w", o.binary, err)
	}
	srv := &server{cmd: cmd, logPath: logPath, done: make(chan error, 1)}
	go func() {
		srv.done <- cmd.Wait()
		logFile.Close()
	}()

	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+o.addr+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-srv.done:
			srv.done <- err
			return nil, fmt.Errorf("the server exited before /healthz responded: %v; its log ends: %s", err, srv.logTail())
		case <-ctx.Done():
			srv.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			srv.stop()
			return nil, fmt.Errorf("the server did not respond to /healthz within 30 s; its log ends: %s", srv.logTail())
		}
	}

	// A process that took the address after the check above responds to
	// /healthz too. The server started here then exits, failing to listen.
	select {
	case err := <-srv.done:
		srv.done <- err
		return nil, fmt.Errorf("the server exited after start (%v), and another process listens on %s; choose a free -addr. Its log ends: %s", err, o.addr, srv.logTail())
	case <-time.After(200 * time.Millisecond):
	}
	return srv, nil
}

// logTail returns the last lines of the server's log, which lives in a
// data directory the suite may delete when it ends.
func (s *server) logTail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return lastLines(string(data), 5)
}

// stop ends the server with SIGTERM, or SIGKILL after 25 seconds. It is a
// no-op on nil.
func (s *server) stop() {
	if s == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(25 * time.Second):
		s.cmd.Process.Kill()
	}
}

// medianReport returns, for the runs of the scenario, the median of each
// figure taken separately, with the sums of errors and non-2xx responses.
func medianReport(scenario string, runs []*report) *report {
	var picked []*report
	for _, r := range runs {
		if r.Scenario == scenario {
			picked = append(picked, r)
		}
	}
	m := &report{Scenario: scenario}
	if len(picked) == 0 {
		return m
	}
	field := func(get func(*report) float64) float64 {
		values := make([]float64, 0, len(picked))
		for _, r := range picked {
			values = append(values, get(r))
		}
		slices.Sort(values)
		n := len(values)
		if n%2 == 1 {
			return values[n/2]
		}
		return (values[n/2-1] + values[n/2]) / 2
	}
	m.Connections = picked[0].Connections
	m.DurationSec = field(func(r *report) float64 { return r.DurationSec })
	m.Requests = int64(field(func(r *report) float64 { return float64(r.Requests) }))
	m.RPS = field(func(r *report) float64 { return r.RPS })
	m.P50Ms = field(func(r *report) float64 { return r.P50Ms })
	m.P95Ms = field(func(r *report) float64 { return r.P95Ms })
	m.P99Ms = field(func(r *report) float64 { return r.P99Ms })
	m.MaxMs = field(func(r *report) float64 { return r.MaxMs })
	m.ServerCPUSec = field(func(r *report) float64 { return r.ServerCPUSec })
	m.PerCPUSec = field(func(r *report) float64 { return r.PerCPUSec })
	m.ServerRSSMiB = field(func(r *report) float64 { return r.ServerRSSMiB })
	m.ServerPeakMiB = field(func(r *report) float64 { return r.ServerPeakMiB })
	for _, r := range picked {
		m.Non2xx += r.Non2xx
		m.Errors += r.Errors
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	return m
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
