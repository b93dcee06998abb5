package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// binary builds the real portcullis binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "portcullis-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "portcullis")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build portcullis: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// testServer is the real binary serving on a loopback port.
type testServer struct {
	BaseURL string
	args    []string
	logs    *bytes.Buffer
}

// serverArgs returns the flags that point a command at the backend.
func serverArgs(t *testing.T, b modeltest.Backend, addr string) []string {
	args := []string{"--addr", addr, "--base-url", "http://" + addr, "--data-dir", b.Config.DataDir}
	if b.Config.DataDir == "" {
		args[len(args)-1] = t.TempDir()
	}
	if b.Config.URL != "" {
		args = append(args, "--database-url", b.Config.URL)
	}
	return args
}

// startBinary starts `portcullis serve` on the backend and stops it with
// SIGTERM at cleanup.
func startBinary(t *testing.T, b modeltest.Backend) *testServer {
	t.Helper()
	bin := binary(t)
	addr := freeAddr(t)
	s := &testServer{BaseURL: "http://" + addr, args: serverArgs(t, b, addr), logs: &bytes.Buffer{}}

	cmd := exec.Command(bin, append([]string{"serve"}, s.args...)...)
	cmd.Env = append(os.Environ(), "PORTCULLIS_ADMIN_PASSWORD="+modeltest.AdminPassword, "PORTCULLIS_SECRET_KEY="+modeltest.TestSecretKey)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		stopStart := time.Now()
		select {
		case <-done:
			t.Logf("server stopped in %s", time.Since(stopStart))
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("server did not stop within 20 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("server output:\n%s", s.logs.String())
		}
	})
	waitReady(t, s.BaseURL+"/readyz")
	return s
}

// demo runs `portcullis demo --json` against the server's database.
func (s *testServer) demo(t *testing.T) models.DemoFixture {
	t.Helper()
	out := s.demoJSON(t)
	var fx models.DemoFixture
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fx); err != nil {
		t.Fatalf("demo --json output is not the fixture object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("demo --json printed more than one JSON value:\n%s", out)
	}
	return fx
}

// demoJSON returns the standard output of `portcullis demo --json`.
func (s *testServer) demoJSON(t *testing.T) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), append([]string{"demo", "--json"}, s.args...)...)
	cmd.Env = append(os.Environ(), "PORTCULLIS_SECRET_KEY="+modeltest.TestSecretKey)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("portcullis demo --json: %v\n%s", err, stderr.String())
	}
	return out
}
