package models_test

import (
	"context"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestChangedEmailIsUnverified(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("mail"), Password: "mail-password-01", Email: "a@example.com", MobileNumber: "+15550001111"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetVerifiedEmail(ctx, u.ID, "a@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetVerifiedMobile(ctx, u.ID, "+15550001111"); err != nil {
			t.Fatal(err)
		}

		same := "a@example.com"
		if _, err := s.UpdateUser(ctx, models.Actor{Name: "test"}, u.ID, models.UserChanges{Email: &same}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.UserByID(ctx, u.ID)
		if !got.EmailVerified || !got.MobileVerified {
			t.Fatalf("saving unchanged values cleared verification: %+v", got)
		}

		other, mobile := "b@example.com", "+15550002222"
		if _, err := s.UpdateUser(ctx, models.Actor{Name: "test"}, u.ID, models.UserChanges{Email: &other, MobileNumber: &mobile}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.UserByID(ctx, u.ID)
		if got.EmailVerified {
			t.Error("a changed email address is still marked verified")
		}
		if got.MobileVerified {
			t.Error("a changed mobile number is still marked verified")
		}
	})
}
