package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestCheckLocalRejectsRemoteHosts(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
		ok   bool
	}{
		{"loopback v4", "http://127.0.0.1:8080", true},
		{"loopback range", "http://127.9.9.9:8080", true},
		{"localhost", "http://localhost:8080", true},
		{"loopback v6", "http://[::1]:8080", true},
		{"private address", "http://10.0.0.5:8080", false},
		{"public name", "https://id.example.com", false},
		{"not a URL", "::", false},
		{"another scheme", "ftp://127.0.0.1:21", false},
		{"a path", "http://127.0.0.1:8080/oauth2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkLocal(tc.url); (err == nil) != tc.ok {
				t.Fatalf("checkLocal(%q) = %v, want ok=%v", tc.url, err, tc.ok)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if got := percentile(d, 0.50); got != 50 {
		t.Errorf("p50 = %v, want 50", got)
	}
	if got := percentile(d, 0.99); got != 99 {
		t.Errorf("p99 = %v, want 99", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
}

func TestProcessStatsOfSelf(t *testing.T) {
	cpu, err := processCPUSeconds(os.Getpid())
	if err != nil || cpu < 0 {
		t.Fatalf("cpu %v, %v", cpu, err)
	}
	rss, peak, err := processMemoryMiB(os.Getpid())
	if err != nil || rss <= 0 || peak < rss {
		t.Fatalf("rss %v peak %v, %v", rss, peak, err)
	}
}

// fakeServer answers the token endpoint, failing every tenth request.
func fakeServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth2/token/demo" || r.Header.Get("Authorization") == "" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTokenScenarioCountsResponses(t *testing.T) {
	srv, served := fakeServer(t)
	fx := writeFixture(t, srv.URL)

	var out bytes.Buffer
	err := runLoad(context.Background(), []string{"-fixture", fx, "-scenario", "token", "-c", "4", "-d", "5s", "-n", "200", "-json", "-pid", itoa(os.Getpid())}, &out)
	if err == nil || !strings.Contains(err.Error(), "20 of 200 requests failed") {
		t.Errorf("error %v, want one naming 20 of 200 failed requests", err)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	// The server also handled the one request sent before the run.
	if served.Load() != 201 {
		t.Errorf("served %d, want 201", served.Load())
	}
	if rep.Requests != 180 {
		t.Errorf("successful requests %d, want 180", rep.Requests)
	}
	if rep.Non2xx != 20 {
		t.Errorf("non-2xx %d, want 20", rep.Non2xx)
	}
	if rep.P99Ms < rep.P50Ms || rep.MaxMs < rep.P99Ms {
		t.Errorf("percentiles out of order: %+v", rep)
	}
	if rep.ServerPeakMiB <= 0 {
		t.Errorf("no memory figures with -pid: %+v", rep)
	}
}

func TestLoadStopsAtFailedFirstRequest(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	fx := writeFixture(t, srv.URL)

	err := runLoad(context.Background(), []string{"-fixture", fx, "-scenario", "token", "-d", "5s"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Errorf("error %v, want one naming the first request's status 401", err)
	}
	if served.Load() != 1 {
		t.Errorf("served %d requests, want only the first", served.Load())
	}
}

func TestLoadRejectsBadOptions(t *testing.T) {
	fx := writeFixture(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"word after the flags", []string{"extra", "-d", "1s"}, `unexpected argument "extra"`},
		{"zero timeout", []string{"-timeout", "0s"}, "-timeout"},
		{"zero duration", []string{"-d", "0s"}, "above 0"},
		{"negative pid", []string{"-pid", "-3"}, "-pid"},
		{"another scheme", []string{"-base-url", "ftp://127.0.0.1:21"}, "http or https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-fixture", fx}, tc.args...)
			err := runLoad(context.Background(), args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("runLoad(%q) = %v, want an error naming %q", tc.args, err, tc.want)
			}
		})
	}
}

// writeFixture writes a fixture naming the server at baseURL.
func writeFixture(t *testing.T, baseURL string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.json")
	data, _ := json.Marshal(map[string]string{
		"base_url": baseURL, "application_id": "demo", "scope": "GetToken", "client_id": "c@x", "client_secret": "s",
		"app_key": "k", "user": "u@x",
	})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFixtureMissingKeys(t *testing.T) {
	dir := t.TempDir()
	fx := filepath.Join(dir, "fixture.json")
	os.WriteFile(fx, []byte(`{"base_url":"http://127.0.0.1:1"}`), 0o600)
	err := runLoad(context.Background(), []string{"-fixture", fx}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "client_secret") {
		t.Fatalf("error %v does not name the missing keys", err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestMedianReportTakesEachFigure(t *testing.T) {
	runs := []*report{
		{Scenario: "token", Connections: 8, RPS: 900, PerCPUSec: 700, P50Ms: 3, P99Ms: 30, Errors: 1},
		{Scenario: "run", Connections: 8, RPS: 100, PerCPUSec: 50, P50Ms: 90, P99Ms: 900},
		{Scenario: "token", Connections: 8, RPS: 1000, PerCPUSec: 800, P50Ms: 5, P99Ms: 10, Non2xx: 2},
		{Scenario: "token", Connections: 8, RPS: 950, PerCPUSec: 900, P50Ms: 4, P99Ms: 20},
	}
	m := medianReport("token", runs)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"requests/s", m.RPS, 950},
		{"per CPU-second", m.PerCPUSec, 800},
		{"p50", m.P50Ms, 4},
		{"p99", m.P99Ms, 20},
		{"errors", float64(m.Errors), 1},
		{"non-2xx", float64(m.Non2xx), 2},
	} {
		if c.got != c.want {
			t.Errorf("median %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestMedianReportEvenCount(t *testing.T) {
	m := medianReport("token", []*report{{Scenario: "token", RPS: 10}, {Scenario: "token", RPS: 20}})
	if m.RPS != 15 {
		t.Errorf("median of 10 and 20 = %v, want 15", m.RPS)
	}
}

func TestSuiteRejectsBadOptions(t *testing.T) {
	binary := filepath.Join(t.TempDir(), "portcullis")
	os.WriteFile(binary, nil, 0o700)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"-scenarios", "token,login"}, "login"},
		{"token-cold without clients", []string{"-scenarios", "token-cold"}, "-seed-clients"},
		{"remote address", []string{"-addr", "10.0.0.5:8080"}, "loopback"},
		{"missing binary", []string{"-binary", filepath.Join(t.TempDir(), "none")}, "make build"},
		{"no repeats", []string{"-repeat", "0"}, "-repeat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-binary", binary}, tc.args...)
			err := runSuite(context.Background(), args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("runSuite(%q) = %v, want an error naming %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestSeededUserNameMatchesBulkNames(t *testing.T) {
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	ctx := context.Background()
	if _, err := s.CreateUsersBulk(ctx, seededUserPrefix, seededUserSuffix, 3, "unused-hash"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3} {
		if _, err := s.UserByLoginName(ctx, seededUserName(n)); err != nil {
			t.Errorf("seeded user %d, %q: %v", n, seededUserName(n), err)
		}
	}
}
