package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MinSecretKeyLength is the shortest configured secret key accepted, in
// characters. A generated key is 64 hex characters (256 bits).
const MinSecretKeyLength = 32

// Keyring derives purpose-bound keys from the server's secret key. Every
// instance sharing a database must be configured with the same secret key.
type Keyring struct {
	master []byte
}

// Purposes for derived keys. A key derived for one purpose never
// decrypts or authenticates data of another.
const (
	PurposeSigningKey   = "signing-key"
	PurposeTOTPSecret   = "totp-secret"
	PurposeSessionHash  = "session-cookie-hash"
	PurposeSessionBlock = "session-cookie-block"
	PurposeSecretCache  = "client-secret-cache"
	PurposeCSRF         = "csrf"
)

// NewKeyring returns a keyring for the given secret key material.
func NewKeyring(secret []byte) (*Keyring, error) {
	if len(secret) < MinSecretKeyLength {
		return nil, fmt.Errorf("secret key is %d bytes long, it must be at least %d", len(secret), MinSecretKeyLength)
	}
	return &Keyring{master: append([]byte(nil), secret...)}, nil
}

// Key returns a 32-byte key for the purpose, derived with HKDF-SHA256.
func (k *Keyring) Key(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.master, nil, "portcullis "+purpose, 32)
	if err != nil {
		// hkdf.Key fails only for lengths above 255*32 bytes.
		panic(err)
	}
	return key
}

// MAC returns HMAC-SHA256 of data under the purpose's key.
func (k *Keyring) MAC(purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, k.Key(purpose))
	m.Write(data)
	return m.Sum(nil)
}

// Seal encrypts plaintext with AES-256-GCM under the purpose's key. The
// nonce is prepended to the result.
func (k *Keyring) Seal(purpose string, plaintext []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(purpose)), nil
}

// ErrDecrypt means sealed data did not open: the secret key differs from
// the one that sealed it, or the data was altered.
var ErrDecrypt = errors.New("decryption failed: the secret key does not match the one the data was sealed with")

// Open decrypts data produced by Seal for the same purpose.
func (k *Keyring) Open(purpose string, sealed []byte) ([]byte, error) {
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, ErrDecrypt
	}
	nonce, ciphertext := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ciphertext, []byte(purpose))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Key(purpose))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SecretKeyFile is the name of the generated secret key in the data directory.
const SecretKeyFile = "secret.key"

// LoadOrCreateSecretKey returns the configured secret key, or the one kept
// in the data directory, generating and storing it (mode 0600) on first start.
func LoadOrCreateSecretKey(configured, dataDir string, log *slog.Logger) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	path := filepath.Join(dataDir, SecretKeyFile)
	data, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(data))
		if len(key) < MinSecretKeyLength {
			return nil, fmt.Errorf("secret key file %s is shorter than %d characters; restore it from a backup or set PORTCULLIS_SECRET_KEY", path, MinSecretKeyLength)
		}
		return []byte(key), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := hex.EncodeToString(raw)
	// O_EXCL keeps two processes starting at once from overwriting each
	// other's key; the loser reads the winner's file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateSecretKey("", dataDir, log)
	}
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	if log != nil {
		log.Warn("generated a new secret key; back it up, since sealed signing keys and TOTP seeds cannot be read without it", "path", path)
	}
	return []byte(key), nil
}
