package models

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// testArgon2Params keeps tests fast. Only TestPasswordHasherDefaults uses
// the production parameters.
var testArgon2Params = Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func testHasher() PasswordHasher {
	return PasswordHasher{Params: testArgon2Params}
}

func TestPasswordHasherDefaults(t *testing.T) {
	want := Argon2Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	if got := DefaultArgon2Params(); got != want {
		t.Fatalf("DefaultArgon2Params() = %+v, want %+v", got, want)
	}

	// The zero value hashes with the defaults.
	var hasher PasswordHasher
	encoded, err := hasher.Hash("correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("Hash() = %q, want prefix $argon2id$v=19$m=19456,t=2,p=1$", encoded)
	}
	ok, err := hasher.Verify(encoded, "correct horse battery staple")
	if err != nil || !ok {
		t.Errorf("Verify(correct password) = %v, %v, want true, nil", ok, err)
	}
	if hasher.NeedsRehash(encoded) {
		t.Errorf("NeedsRehash(default hash) = true for the default hasher")
	}
}

func TestPasswordHashFormat(t *testing.T) {
	encoded, err := testHasher().Hash("password-0001")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}

	fields := strings.Split(encoded, "$")
	if len(fields) != 6 {
		t.Fatalf("Hash() = %q, want 6 $-separated fields", encoded)
	}
	if fields[1] != "argon2id" || fields[2] != "v=19" || fields[3] != "m=64,t=1,p=1" {
		t.Errorf("Hash() header = %q, want $argon2id$v=19$m=64,t=1,p=1", strings.Join(fields[:4], "$"))
	}

	salt, err := base64.RawStdEncoding.DecodeString(fields[4])
	if err != nil {
		t.Errorf("salt %q is not unpadded standard base64: %v", fields[4], err)
	}
	if len(salt) != 16 {
		t.Errorf("salt length = %d, want 16", len(salt))
	}
	key, err := base64.RawStdEncoding.DecodeString(fields[5])
	if err != nil {
		t.Errorf("key %q is not unpadded standard base64: %v", fields[5], err)
	}
	if len(key) != 32 {
		t.Errorf("key length = %d, want 32", len(key))
	}
}

func TestPasswordHashUsesFreshSalt(t *testing.T) {
	hasher := testHasher()
	first, err := hasher.Hash("same-password")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	second, err := hasher.Hash("same-password")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if first == second {
		t.Errorf("two hashes of one password are equal: %q", first)
	}
}

func TestPasswordVerify(t *testing.T) {
	hasher := testHasher()
	// A 100-byte secret: bcrypt would ignore everything after byte 72.
	long := strings.Repeat("0123456789", 10)
	prefix := long[:72]

	tests := []struct {
		name     string
		stored   string
		password string
		want     bool
	}{
		{name: "correct password", stored: "secret-a-0001", password: "secret-a-0001", want: true},
		{name: "wrong password", stored: "secret-a-0001", password: "secret-a-0002", want: false},
		{name: "empty password", stored: "secret-a-0001", password: "", want: false},
		{name: "case differs", stored: "secret-a-0001", password: "SECRET-A-0001", want: false},
		{name: "non-ASCII password", stored: "Grüße-7", password: "Grüße-7", want: true},
		{name: "non-ASCII not normalised", stored: "Grüße-7", password: "Grusse-7", want: false},
		{name: "100-byte secret", stored: long, password: long, want: true},
		{name: "72-byte prefix of long secret", stored: long, password: prefix, want: false},
		{name: "prefix plus XXXX", stored: long, password: prefix + "XXXX", want: false},
		{name: "prefix plus 28 X", stored: long, password: prefix + strings.Repeat("X", 28), want: false},
		{name: "long secret minus last byte", stored: long, password: long[:99], want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := hasher.Hash(tt.stored)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			got, err := hasher.Verify(encoded, tt.password)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Errorf("Verify() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPasswordVerifyOldParams(t *testing.T) {
	old := PasswordHasher{Params: Argon2Params{Memory: 32, Iterations: 2, Parallelism: 2, SaltLength: 8, KeyLength: 16}}
	encoded, err := old.Hash("password-0001")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}

	current := testHasher()
	ok, err := current.Verify(encoded, "password-0001")
	if err != nil || !ok {
		t.Errorf("Verify(hash with old params) = %v, %v, want true, nil", ok, err)
	}
	if !current.NeedsRehash(encoded) {
		t.Errorf("NeedsRehash(hash with old params) = false, want true")
	}
	if old.NeedsRehash(encoded) {
		t.Errorf("NeedsRehash(hash with own params) = true, want false")
	}
}

func TestPasswordNeedsRehashMalformed(t *testing.T) {
	if !testHasher().NeedsRehash("not-a-hash") {
		t.Errorf("NeedsRehash(malformed) = false, want true")
	}
}

func TestPasswordVerifyMalformedHash(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	valid := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key

	tests := []struct {
		name    string
		encoded string
	}{
		{name: "empty", encoded: ""},
		{name: "prefix only", encoded: "$argon2id$"},
		{name: "no leading dollar", encoded: strings.TrimPrefix(valid, "$")},
		{name: "argon2i", encoded: "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{name: "bcrypt", encoded: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{name: "version 16", encoded: "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{name: "version missing", encoded: "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{name: "extra field", encoded: valid + "$extra"},
		{name: "key missing", encoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{name: "parameters reordered", encoded: "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{name: "parameter missing", encoded: "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{name: "parameter not a number", encoded: "$argon2id$v=19$m=abc,t=1,p=1$" + salt + "$" + key},
		{name: "negative parameter", encoded: "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{name: "plus sign", encoded: "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{name: "zero iterations", encoded: "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{name: "zero parallelism", encoded: "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{name: "parallelism above uint8", encoded: "$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key},
		{name: "memory below 8 KiB per lane", encoded: "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{name: "memory 4 GiB", encoded: "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{name: "memory above 32 bits", encoded: "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key},
		{name: "memory just above cap", encoded: "$argon2id$v=19$m=262145,t=1,p=1$" + salt + "$" + key},
		{name: "iterations above cap", encoded: "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key},
		{name: "salt not base64", encoded: "$argon2id$v=19$m=64,t=1,p=1$***$" + key},
		{name: "salt padded", encoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{name: "salt empty", encoded: "$argon2id$v=19$m=64,t=1,p=1$$" + key},
		{name: "salt too short", encoded: "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key},
		{name: "key empty", encoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{name: "key too short", encoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAAAAAA"},
		{name: "key too long", encoded: "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 129))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := testHasher().Verify(tt.encoded, "password")
			if ok {
				t.Errorf("Verify() = true, want false")
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify() error = %v, want ErrMalformedHash", err)
			}
		})
	}

	// The control value must parse, or the table proves nothing.
	if _, err := testHasher().Verify(valid, "password"); err != nil {
		t.Fatalf("Verify(control hash) error = %v", err)
	}
}

func TestPasswordHashRejectsInvalidParams(t *testing.T) {
	tests := []struct {
		name   string
		params Argon2Params
	}{
		{name: "zero iterations", params: Argon2Params{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
		{name: "zero parallelism", params: Argon2Params{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32}},
		{name: "memory above cap", params: Argon2Params{Memory: 1 << 20, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
		{name: "short salt", params: Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32}},
		{name: "short key", params: Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if encoded, err := (PasswordHasher{Params: tt.params}).Hash("password"); err == nil {
				t.Errorf("Hash() = %q, nil, want an error", encoded)
			}
		})
	}
}

func TestPasswordVerifyDummy(t *testing.T) {
	// VerifyDummy returns nothing. These calls check that it does not panic,
	// also with parameters that Hash rejects.
	testHasher().VerifyDummy("password")
	testHasher().VerifyDummy("")
	PasswordHasher{Params: Argon2Params{Memory: 64}}.VerifyDummy("password")
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		wantErr string // substring of the error, or "" for success
	}{
		{name: "valid", pw: "correct horse", wantErr: ""},
		{name: "exactly 8 characters", pw: "abcdefgh", wantErr: ""},
		{name: "8 non-ASCII characters", pw: "ääääääää", wantErr: ""},
		{name: "1024 bytes", pw: strings.Repeat("a", 1024), wantErr: ""},
		{name: "empty", pw: "", wantErr: "empty"},
		{name: "7 characters", pw: "abcdefg", wantErr: "minimum is 8 characters"},
		{name: "7 non-ASCII characters in 14 bytes", pw: "äääääää", wantErr: "minimum is 8 characters"},
		{name: "1025 bytes", pw: strings.Repeat("a", 1025), wantErr: "maximum is 1024 bytes"},
		{name: "invalid UTF-8", pw: "password\xff", wantErr: "not valid UTF-8"},
		{name: "NUL", pw: "pass\x00word", wantErr: "control character U+0000"},
		{name: "newline", pw: "password\n", wantErr: "control character U+000A"},
		{name: "tab", pw: "pass\tword", wantErr: "control character U+0009"},
		{name: "DEL", pw: "password\x7f", wantErr: "control character U+007F"},
		{name: "C1 control", pw: "password\u0085", wantErr: "control character U+0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePassword(tt.pw)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ValidatePassword() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidatePassword() = nil, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ValidatePassword() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
