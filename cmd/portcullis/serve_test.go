package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready in time", url)
}

func TestServeStartsAndStops(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	t.Setenv("PORTCULLIS_ADMIN_PASSWORD", "serve-test-password-01")
	t.Setenv("PORTCULLIS_LOG_LEVEL", "error")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, []string{"--addr", addr, "--data-dir", dataDir}) }()

	waitReady(t, "http://"+addr+"/readyz")
	resp, err := http.Get("http://" + addr + "/static/css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	css, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(css) < 1000 {
		t.Fatalf("embedded CSS not served: %d, %d bytes", resp.StatusCode, len(css))
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}

	info, err := os.Stat(filepath.Join(dataDir, "secret.key"))
	if err != nil {
		t.Fatalf("secret key not generated: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret key mode %v, want 0600", info.Mode().Perm())
	}
	key1, _ := os.ReadFile(filepath.Join(dataDir, "secret.key"))

	// A restart reuses the key and the data.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { done <- runServe(ctx2, []string{"--addr", addr, "--data-dir", dataDir}) }()
	waitReady(t, "http://"+addr+"/readyz")
	cancel2()
	<-done
	key2, _ := os.ReadFile(filepath.Join(dataDir, "secret.key"))
	if string(key1) != string(key2) {
		t.Error("restart generated a new secret key")
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	t.Setenv("PORTCULLIS_LOG_LEVEL", "loud")
	t.Setenv("PORTCULLIS_SMTP_PORT", "many")
	_, _, err := parseConfig("serve", []string{"--addr", "nohost", "--base-url", "ftp://x", "--database-url", "mysql://x", "--secret-key", "short"}, nil)
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{"addr", "base-url", "database-url", "log-level", "secret-key", "PORTCULLIS_SMTP_PORT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestConfigFlagOverridesEnv(t *testing.T) {
	t.Setenv("PORTCULLIS_ADDR", "127.0.0.1:9999")
	c, _, err := parseConfig("serve", []string{"--addr", "127.0.0.1:7777"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" {
		t.Errorf("addr %q, want the flag's value", c.Addr)
	}
	c, _, err = parseConfig("serve", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" {
		t.Errorf("addr %q, want the variable's value", c.Addr)
	}
}
