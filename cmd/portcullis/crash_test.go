package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestKillMidWriteLeavesCleanDatabase kills the server with SIGKILL while
// requests write to the embedded SQLite database, then checks that the
// database passes SQLite's integrity check and a restart serves again
// with the data written before the kill.
func TestKillMidWriteLeavesCleanDatabase(t *testing.T) {
	backend := modeltest.Backends(t)[0]
	addr := freeAddr(t)
	args := serverArgs(t, backend, addr)
	base := "http://" + addr
	env := append(os.Environ(), "PORTCULLIS_ADMIN_PASSWORD="+modeltest.AdminPassword, "PORTCULLIS_SECRET_KEY="+modeltest.TestSecretKey, "PORTCULLIS_LOG_LEVEL=error")

	start := func() *exec.Cmd {
		cmd := exec.Command(binary(t), append([]string{"serve"}, args...)...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitReady(t, base+"/readyz")
		return cmd
	}

	server := start()
	fx := (&testServer{BaseURL: base, args: args}).demo(t)
	accessToken := clientCredentialsToken(t, fx)

	// Writers: every GetTokenForUser inserts an icbt row and an audit event.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	minted := 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/security/GetTokenForUser?user="+url.QueryEscape(fx.User), nil)
				req.Header.Set("Authorization", "Bearer "+accessToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					minted++
					mu.Unlock()
				}
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := minted
		mu.Unlock()
		if n >= 200 {
			break
		}
	}
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	cancel()
	wg.Wait()
	if minted == 0 {
		t.Fatal("no request succeeded before the kill")
	}

	db, err := models.OpenDB(context.Background(), backend.Config, nil)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	var result string
	if err := db.Raw("PRAGMA integrity_check").Scan(&result).Error; err != nil || result != "ok" {
		t.Fatalf("integrity_check after kill: %q, %v", result, err)
	}
	var events int64
	db.Model(&models.AuditEvent{}).Where("action = ?", "user_token.mint").Count(&events)
	sqlDB, _ := db.DB()
	sqlDB.Close()
	if events == 0 {
		t.Errorf("no mint survived the kill, though %d requests succeeded", minted)
	}

	restarted := start()
	defer func() {
		restarted.Process.Signal(syscall.SIGTERM)
		restarted.Wait()
	}()
	if got := clientCredentialsToken(t, fx); got == "" {
		t.Error("restarted server issued no token")
	}
}
