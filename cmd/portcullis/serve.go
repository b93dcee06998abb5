package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/models/notify"
)

func init() {
	commands["serve"] = command{summary: "start the HTTP server (the default)", run: runServe}
	commands["migrate"] = command{summary: "apply database migrations and exit", run: runMigrate}
}

func runServe(ctx context.Context, args []string) error {
	c, _, err := parseConfig("serve", args, nil)
	if err != nil {
		return err
	}
	log := newLogger(c, os.Stderr)
	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer store.Close()

	notifier, err := notify.New(c.notifyConfig(), store, log)
	if err != nil {
		return err
	}
	d := deps.Deps{Config: c.httpConfig(version), Store: store, Log: log, Notifier: notifier}
	app := handlers.New(d, handlers.All()...)

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	log.Info("server started", "addr", ln.Addr().String(), "base_url", d.Config.BaseURL, "version", version, "database", store.Dialect())
	if c.DebugAddr != "" {
		go serveDebug(c.DebugAddr, d)
	}

	go runCleanup(ctx, d)

	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := app.ShutdownWithTimeout(20 * time.Second); err != nil {
		log.Error("shutdown did not finish cleanly", "error", err)
	}
	log.Info("server stopped")
	return nil
}

// notifyConfig returns the mail and SMS delivery settings.
func (c *config) notifyConfig() notify.Config {
	return notify.Config{
		SMTP: notify.SMTPConfig{
			Host:     c.SMTPHost,
			Port:     c.SMTPPort,
			Username: c.SMTPUsername,
			Password: c.SMTPPassword,
			From:     c.SMTPFrom,
			TLS:      c.SMTPTLS,
		},
		SMSWebhookURL: c.SMSWebhook,
	}
}

// runCleanup deletes expired sessions and tokens every few minutes.
func runCleanup(ctx context.Context, d deps.Deps) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.Store.DeleteExpired(ctx); err != nil && !errors.Is(err, context.Canceled) {
				d.Log.Error("cleanup of expired rows failed", "error", err)
			}
		}
	}
}

// serveDebug serves net/http/pprof on a separate listener that is off
// unless --debug-addr is set.
func serveDebug(addr string, d deps.Deps) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	d.Log.Info("debug server started", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		d.Log.Error("debug server stopped", "error", err)
	}
}

func runMigrate(ctx context.Context, args []string) error {
	c, _, err := parseConfig("migrate", args, nil)
	if err != nil {
		return err
	}
	log := newLogger(c, os.Stderr)
	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	log.Info("database is up to date", "database", store.Dialect())
	return store.Close()
}
