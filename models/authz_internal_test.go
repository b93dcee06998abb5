package models

import (
	"context"
	"testing"
)

func TestAdminSeatGapAllowsOtherChanges(t *testing.T) {
	s := openInternalTestStore(t)
	ctx := context.Background()
	if _, err := s.Bootstrap(ctx, "admin-password-0001"); err != nil {
		t.Fatal(err)
	}
	root, err := s.UserByLoginName(ctx, BootstrapAdminName)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.CreateUser(ctx, NewUser{LoginName: "plain@example.test", Password: "password-0001"})
	if err != nil {
		t.Fatal(err)
	}
	// A database from before the seat rule may have no administrator who
	// can sign in. Only a direct update can make one now.
	if err := s.conn(ctx).Model(&User{}).Where("id = ?", root.ID).Update("disabled", true).Error; err != nil {
		t.Fatal(err)
	}
	seats, err := s.adminSeats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if seats != 0 {
		t.Fatalf("%d seats, want 0", seats)
	}

	system := Actor{Name: "test"}
	if err := s.SetUserLocked(ctx, system, plain.ID, true); err != nil {
		t.Errorf("lock an unrelated user: %v", err)
	}
	if err := s.DeleteUser(ctx, system, plain.ID); err != nil {
		t.Errorf("delete an unrelated user: %v", err)
	}
	if err := s.SetUserDisabled(ctx, system, root.ID, false); err != nil {
		t.Errorf("enable the administrator again: %v", err)
	}
	if seats, _ := s.adminSeats(ctx); seats != 1 {
		t.Errorf("%d seats after the repair, want 1", seats)
	}
}
