package models

import "testing"

func TestPresetMechanism(t *testing.T) {
	totpOnly := &User{TOTPSecretEnc: []byte("sealed")}
	totpAndEmail := &User{TOTPSecretEnc: []byte("sealed"), Email: "user@example.test", EmailVerified: true}
	emailOnly := &User{Email: "user@example.test", EmailVerified: true}
	profile := [][]string{{MechOATH, MechEmail}, {MechSecurityQuestion}}

	cases := []struct {
		name string
		user *User
		step int
		want string
	}{
		{"the only enrolled mechanism is chosen", totpOnly, 0, MechOATH},
		{"two enrolled mechanisms leave the choice to the user", totpAndEmail, 0, ""},
		{"a code mechanism waits for the page, which sends the code", emailOnly, 0, ""},
		{"no enrolled mechanism chooses nothing", totpOnly, 1, ""},
		{"past the last challenge", totpOnly, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := presetMechanism(c.user, profile, c.step); got != c.want {
				t.Errorf("presetMechanism = %q, want %q", got, c.want)
			}
		})
	}
}
