package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestKeysRotateAndList(t *testing.T) {
	dataDir := t.TempDir()
	t.Setenv("PORTCULLIS_ADMIN_PASSWORD", "keys-test-password-01")
	t.Setenv("PORTCULLIS_LOG_LEVEL", "error")
	ctx := context.Background()
	flags := []string{"--data-dir", dataDir}

	var list bytes.Buffer
	if err := runKeys(ctx, append([]string{"list"}, flags...), &list); err != nil {
		t.Fatal(err)
	}
	kid := regexp.MustCompile(`[0-9A-F]{40}`)
	first := kid.FindString(list.String())
	if first == "" || !strings.Contains(list.String(), "active") {
		t.Fatalf("list on a new database shows no active key:\n%s", list.String())
	}

	var rotate bytes.Buffer
	if err := runKeys(ctx, append([]string{"rotate"}, flags...), &rotate); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rotate.String(), "is active") || !strings.Contains(rotate.String(), first+" stays published until") {
		t.Errorf("rotate output:\n%s", rotate.String())
	}

	list.Reset()
	if err := runKeys(ctx, append([]string{"list"}, flags...), &list); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(list.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("list after a rotation has %d lines, want a header and 2 keys:\n%s", len(lines), list.String())
	}
	if !strings.Contains(lines[1], "active") || !strings.HasPrefix(lines[2], first) || !strings.Contains(lines[2], "retired, published until") {
		t.Errorf("list after a rotation:\n%s", list.String())
	}

	if err := runKeys(ctx, []string{"delete"}, &list); err == nil {
		t.Error("an unknown subcommand was accepted")
	}
}
