package models

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is returned when a stored password hash is not a PHC
// string for argon2id version 19, or its parameters are outside the
// accepted bounds.
var ErrMalformedHash = errors.New("malformed argon2id password hash")

// Bounds for Argon2 parameters, both for configured parameters and for those
// read from a stored hash, so a corrupt or hostile row cannot make one
// verification allocate gigabytes or run for minutes.
const (
	// maxArgon2Memory is 256 MiB, above OWASP's largest argon2id option
	// (46 MiB) and the 64 MiB second option of RFC 9106 §4. It rejects the
	// 2 GiB first option of RFC 9106, which is too large per request.
	maxArgon2Memory      = 256 * 1024 // KiB
	maxArgon2Iterations  = 64
	maxArgon2Parallelism = 64
	// RFC 9106 §3.1 allows salts from 8 bytes and recommends 16.
	minArgon2SaltLength = 8
	maxArgon2SaltLength = 128
	// A tag shorter than 16 bytes would be cheap to collide with.
	minArgon2KeyLength = 16
	maxArgon2KeyLength = 128
)

const argon2idPrefix = "$argon2id$"

// argon2Slots bounds the argon2id computations that run at once to the
// number of CPUs Go uses. One computation with parallelism 1 keeps one
// core busy, so running more at once finishes none of them sooner. Each
// holds its memory cost (19 MiB by default) until it finishes, so without
// the bound a burst of 64 sign-ins would hold over a GiB.
var argon2Slots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// deriveArgon2Key is argon2.IDKey. Tests replace it to watch the calls.
var deriveArgon2Key = argon2.IDKey

// argon2IDKey derives an argon2id key within argon2Slots.
func argon2IDKey(password, salt []byte, params Argon2Params) []byte {
	argon2Slots <- struct{}{}
	defer func() { <-argon2Slots }()
	return deriveArgon2Key(password, salt, params.Iterations, params.Memory, params.Parallelism, params.KeyLength)
}

// Argon2Params is a set of argon2id cost parameters.
type Argon2Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// DefaultArgon2Params returns the argon2id parameters recommended by the
// OWASP Password Storage Cheat Sheet: 19 MiB of memory, 2 iterations and
// parallelism 1, with a 16-byte salt and a 32-byte key.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{
		Memory:      19456,
		Iterations:  2,
		Parallelism: 1,
		SaltLength:  16,
		KeyLength:   32,
	}
}

// validate checks p against the same bounds that Verify applies to stored
// hashes, so every hash that Hash writes can later be verified.
func (p Argon2Params) validate() error {
	if p.Iterations < 1 || p.Iterations > maxArgon2Iterations {
		return fmt.Errorf("argon2 iterations must be between 1 and %d, got %d", maxArgon2Iterations, p.Iterations)
	}
	if p.Parallelism < 1 || p.Parallelism > maxArgon2Parallelism {
		return fmt.Errorf("argon2 parallelism must be between 1 and %d, got %d", maxArgon2Parallelism, p.Parallelism)
	}
	// RFC 9106 §3.1 requires at least 8 KiB per lane.
	minMemory := 8 * uint32(p.Parallelism)
	if p.Memory < minMemory || p.Memory > maxArgon2Memory {
		return fmt.Errorf("argon2 memory must be between %d and %d KiB, got %d KiB", minMemory, maxArgon2Memory, p.Memory)
	}
	if p.SaltLength < minArgon2SaltLength || p.SaltLength > maxArgon2SaltLength {
		return fmt.Errorf("argon2 salt length must be between %d and %d bytes, got %d", minArgon2SaltLength, maxArgon2SaltLength, p.SaltLength)
	}
	if p.KeyLength < minArgon2KeyLength || p.KeyLength > maxArgon2KeyLength {
		return fmt.Errorf("argon2 key length must be between %d and %d bytes, got %d", minArgon2KeyLength, maxArgon2KeyLength, p.KeyLength)
	}
	return nil
}

// PasswordHasher hashes and verifies passwords with argon2id. The zero value
// uses DefaultArgon2Params.
type PasswordHasher struct {
	Params Argon2Params
}

func (h PasswordHasher) params() Argon2Params {
	if h.Params == (Argon2Params{}) {
		return DefaultArgon2Params()
	}
	return h.Params
}

// Hash derives an argon2id key from the whole password and a fresh random
// salt. It returns a PHC string such as
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, where salt and key are
// unpadded standard base64. Argon2 has no input length limit, so unlike
// bcrypt no byte of the password is ignored.
func (h PasswordHasher) Hash(password string) (string, error) {
	params := h.params()
	if err := params.validate(); err != nil {
		return "", err
	}

	salt := make([]byte, params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generate password salt: %w", err)
	}

	key := argon2IDKey([]byte(password), salt, params)
	return encodeArgon2id(params, salt, key), nil
}

// Verify reports whether password matches the encoded hash. The cost
// parameters come from the encoded string, so hashes written with older
// parameters keep working. It returns an error wrapping ErrMalformedHash,
// and false, when the string cannot be parsed or its parameters exceed the
// bounds in this file.
func (h PasswordHasher) Verify(encoded, password string) (bool, error) {
	params, salt, key, err := decodeArgon2id(encoded)
	if err != nil {
		return false, err
	}

	computed := argon2IDKey([]byte(password), salt, params)
	return subtle.ConstantTimeCompare(computed, key) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a new hash,
// because it is malformed or was written with parameters other than the
// hasher's current ones. Callers rehash after a successful Verify.
func (h PasswordHasher) NeedsRehash(encoded string) bool {
	params, _, _, err := decodeArgon2id(encoded)
	if err != nil {
		return true
	}
	return params != h.params()
}

// VerifyDummy runs one verification against a fixed hash built from the
// hasher's current parameters and discards the result. Call it when the
// account does not exist: it costs as much as verifying a hash written with
// the current parameters, so timing does not reveal whether the account
// exists.
func (h PasswordHasher) VerifyDummy(password string) {
	params := h.params()
	if params.validate() != nil {
		// Hash fails with the same parameters, so no real hash can use them.
		// Fall back to the defaults so the call still costs a verification.
		params = DefaultArgon2Params()
	}

	dummy := encodeArgon2id(params, make([]byte, params.SaltLength), make([]byte, params.KeyLength))
	_, _ = h.Verify(dummy, password)
}

func encodeArgon2id(params Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2idPrefix, argon2.Version,
		params.Memory, params.Iterations, params.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// decodeArgon2id parses a PHC string of the form
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<key>.
// Every error wraps ErrMalformedHash and never contains the hash itself.
func decodeArgon2id(encoded string) (Argon2Params, []byte, []byte, error) {
	var params Argon2Params

	// The split yields "", "argon2id", version, parameters, salt and key.
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return params, nil, nil, fmt.Errorf("%w: expected 5 fields separated by $", ErrMalformedHash)
	}
	if fields[1] != "argon2id" {
		return params, nil, nil, fmt.Errorf("%w: algorithm is not argon2id", ErrMalformedHash)
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return params, nil, nil, fmt.Errorf("%w: version is not %d", ErrMalformedHash, argon2.Version)
	}

	if err := parseArgon2Costs(fields[3], &params); err != nil {
		return params, nil, nil, err
	}

	salt, err := base64.RawStdEncoding.DecodeString(fields[4])
	if err != nil {
		return params, nil, nil, fmt.Errorf("%w: salt is not unpadded base64", ErrMalformedHash)
	}
	key, err := base64.RawStdEncoding.DecodeString(fields[5])
	if err != nil {
		return params, nil, nil, fmt.Errorf("%w: key is not unpadded base64", ErrMalformedHash)
	}
	params.SaltLength = uint32(len(salt))
	params.KeyLength = uint32(len(key))

	if err := params.validate(); err != nil {
		return params, nil, nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return params, salt, key, nil
}

// parseArgon2Costs parses "m=<KiB>,t=<iterations>,p=<lanes>" in that order,
// which is the order the PHC string format fixes for argon2.
func parseArgon2Costs(field string, params *Argon2Params) error {
	parts := strings.Split(field, ",")
	names := []string{"m", "t", "p"}
	if len(parts) != len(names) {
		return fmt.Errorf("%w: expected parameters m, t and p", ErrMalformedHash)
	}

	values := make([]uint32, len(names))
	for i, part := range parts {
		text, found := strings.CutPrefix(part, names[i]+"=")
		if !found {
			return fmt.Errorf("%w: expected parameter %s at position %d", ErrMalformedHash, names[i], i+1)
		}
		// ParseUint rejects signs, spaces and values above 2^32-1.
		value, err := strconv.ParseUint(text, 10, 32)
		if err != nil {
			return fmt.Errorf("%w: parameter %s is not a 32-bit unsigned integer", ErrMalformedHash, names[i])
		}
		values[i] = uint32(value)
	}

	if values[2] > maxArgon2Parallelism {
		return fmt.Errorf("%w: parallelism %d exceeds the maximum %d", ErrMalformedHash, values[2], maxArgon2Parallelism)
	}
	params.Memory = values[0]
	params.Iterations = values[1]
	params.Parallelism = uint8(values[2])
	return nil
}

// Password length limits. The maximum bounds the work of hashing a request
// body and leaves room for passphrases.
const (
	minPasswordChars = 8
	maxPasswordBytes = 1024
)

// ValidatePassword checks a new password before it is hashed: it must be
// valid UTF-8, at least 8 characters (Unicode code points) and at most 1024
// bytes long, and contain no control characters such as NUL, tab or newline.
// Spaces and all other printable characters are allowed.
func ValidatePassword(pw string) error {
	if pw == "" {
		return errors.New("password is empty")
	}
	if !utf8.ValidString(pw) {
		return errors.New("password is not valid UTF-8 text")
	}
	if len(pw) > maxPasswordBytes {
		return fmt.Errorf("password is %d bytes long, the maximum is %d bytes", len(pw), maxPasswordBytes)
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return fmt.Errorf("password contains the control character %U. Use printable characters only", r)
		}
	}
	if n := utf8.RuneCountInString(pw); n < minPasswordChars {
		return fmt.Errorf("password is %d characters long, the minimum is %d characters", n, minPasswordChars)
	}
	return nil
}
