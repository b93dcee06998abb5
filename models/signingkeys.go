package models

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// SigningKeyBits is the RSA modulus size of new signing keys.
const SigningKeyBits = 2048

// signingCertValidity is the validity of a signing key's self-signed
// certificate. Nothing checks it when verifying our own tokens; it only
// has to outlast any realistic rotation schedule for JWKS consumers that
// inspect x5c.
const signingCertValidity = 10 * 365 * 24 * time.Hour

// MinSigningKeyOverlap is the shortest time a retired signing key stays
// published. It covers tokens that live shorter than any access token,
// such as the launch assertion of /run, which lives 120 seconds.
const MinSigningKeyOverlap = time.Hour

// signingKeyLockID is the PostgreSQL advisory lock that serialises key
// creation and rotation across instances. On SQLite, every transaction
// starts with BEGIN IMMEDIATE, which already serialises writers.
const signingKeyLockID = 0x706f7274_6b657973 // "portkeys"

// ErrNoSigningKey means the database holds no active signing key, which
// happens only when EnsureSigningKey has not run yet.
var ErrNoSigningKey = errors.New("no active signing key; run EnsureSigningKey at start")

// IsActive reports whether the key signs new tokens.
func (k *SigningKey) IsActive() bool { return k.RetiredAt == nil }

// X5T returns the base64url form (RFC 7515 §4.1.7) of the certificate's
// SHA-1 thumbprint.
func (k *SigningKey) X5T() string {
	sum := sha1.Sum(k.CertDER)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// IsPublishedAt reports whether the key is in the JWKS at t: the active
// key always, a retired key until its PublishUntil.
func (k *SigningKey) IsPublishedAt(t time.Time) bool {
	return k.RetiredAt == nil || (k.PublishUntil != nil && t.Before(*k.PublishUntil))
}

// certificateKid returns the kid of a certificate: its SHA-1 thumbprint in
// upper-case hex.
func certificateKid(certDER []byte) string {
	sum := sha1.Sum(certDER)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// newSigningKey generates an RSA key and a self-signed certificate for it,
// and seals the private key with the server's secret key.
func (s *Store) newSigningKey(now time.Time) (*SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, SigningKeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}

	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Portcullis token signing", Organization: []string{"Portcullis"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(signingCertValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	certDER, err := x509.CreateCertificate(rand.Reader, template, template, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("create signing certificate: %w", err)
	}

	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := s.Keys.Seal(PurposeSigningKey, privDER)
	if err != nil {
		return nil, fmt.Errorf("seal signing key: %w", err)
	}
	return &SigningKey{
		Kid:           certificateKid(certDER),
		CertDER:       certDER,
		PrivateKeyEnc: sealed,
		CreatedAt:     now,
	}, nil
}

// lockSigningKeys takes the cross-instance lock on the signing keys for
// the rest of the transaction tx.
func (s *Store) lockSigningKeys(ctx context.Context) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return s.conn(ctx).Exec("SELECT pg_advisory_xact_lock(?)", int64(signingKeyLockID)).Error
}

func (s *Store) countActiveSigningKeys(ctx context.Context) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&SigningKey{}).Where("retired_at IS NULL").Count(&n).Error
	return n, err
}

// EnsureSigningKey creates the first signing key when the database has no
// active one. Instances that start at once create exactly one key between
// them: the check and the insert run under a lock held by the database.
func (s *Store) EnsureSigningKey(ctx context.Context) error {
	n, err := s.countActiveSigningKeys(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}

	// Generate outside the transaction: it takes tens of milliseconds,
	// and the lock should not be held that long.
	key, err := s.newSigningKey(s.Now())
	if err != nil {
		return err
	}
	created := false
	err = s.InTx(ctx, func(tx *Store) error {
		if err := tx.lockSigningKeys(ctx); err != nil {
			return err
		}
		n, err := tx.countActiveSigningKeys(ctx)
		if err != nil || n > 0 {
			return err
		}
		created = true
		return tx.conn(ctx).Create(key).Error
	})
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	if created {
		s.Log.InfoContext(ctx, "created a signing key", "kid", key.Kid)
	}
	s.signing.invalidate()
	return nil
}

// RotateSigningKey creates a new active signing key and retires the
// current one. A retired key stays published until every token it may
// have signed has expired (see SigningKeyOverlap). Keys whose publication
// has ended are deleted. It returns the new key's kid.
func (s *Store) RotateSigningKey(ctx context.Context) (string, error) {
	key, err := s.newSigningKey(s.Now())
	if err != nil {
		return "", err
	}
	err = s.InTx(ctx, func(tx *Store) error {
		if err := tx.lockSigningKeys(ctx); err != nil {
			return err
		}
		overlap, err := tx.SigningKeyOverlap(ctx)
		if err != nil {
			return err
		}
		now := tx.Now()
		key.CreatedAt = now
		publishUntil := now.Add(overlap)
		db := tx.conn(ctx)
		if err := db.Model(&SigningKey{}).Where("retired_at IS NULL").
			Updates(map[string]any{"retired_at": now, "publish_until": publishUntil}).Error; err != nil {
			return err
		}
		if err := db.Where("retired_at IS NOT NULL AND publish_until < ?", now).Delete(&SigningKey{}).Error; err != nil {
			return err
		}
		return db.Create(key).Error
	})
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	s.Log.InfoContext(ctx, "rotated the signing key", "kid", key.Kid)
	s.signing.invalidate()
	return key.Kid, nil
}

// SigningKeyOverlap returns how long a key retired now stays published.
// The base is the maximum access token lifetime configured on any app,
// capped at MaxTokenLifetimeSeconds and at least MinSigningKeyOverlap. To
// it are added the time other instances may keep signing with a cached
// key and the clock leeway of VerifyJWT.
//
// NOTE: an app whose lifetime was lowered shortly before a rotation may
// still have tokens with the old, longer lifetime. Those stop verifying
// when the retired key is unpublished, which is early but never unsafe.
func (s *Store) SigningKeyOverlap(ctx context.Context) (time.Duration, error) {
	var lifetimes []int
	if err := s.conn(ctx).Model(&App{}).Pluck("token_lifetime_seconds", &lifetimes).Error; err != nil {
		return 0, err
	}
	longest := MinSigningKeyOverlap
	for _, seconds := range lifetimes {
		lifetime := (&App{TokenLifetimeSeconds: seconds}).TokenLifetime()
		longest = max(longest, min(lifetime, MaxTokenLifetimeSeconds*time.Second))
	}
	return longest + signingKeyRefreshInterval + JWTLeeway, nil
}

// SigningKeys returns every stored signing key, newest first, for the
// keys list command. Private parts stay sealed.
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	var keys []SigningKey
	err := s.conn(ctx).Order("created_at DESC, kid ASC").Find(&keys).Error
	return keys, err
}

// PublishedKeys returns the keys of the JWKS: the active key and the
// retired keys whose publication has not ended, newest first.
func (s *Store) PublishedKeys(ctx context.Context) ([]SigningKey, error) {
	set, err := s.signing.current(ctx, s)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var out []SigningKey
	for _, k := range set.keys {
		if k.row.IsPublishedAt(now) {
			row := k.row
			row.PrivateKeyEnc = nil
			out = append(out, row)
		}
	}
	return out, nil
}

// loadPublishedSigningKeys reads the keys that are published at now.
func (s *Store) loadPublishedSigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error) {
	var keys []SigningKey
	err := s.conn(ctx).
		Where("retired_at IS NULL OR publish_until > ?", now).
		Order("created_at DESC, kid ASC").
		Find(&keys).Error
	return keys, err
}

// parsePrivateKey opens and parses a sealed PKCS #8 RSA private key.
func (s *Store) parsePrivateKey(sealed []byte) (*rsa.PrivateKey, error) {
	der, err := s.Keys.Open(PurposeSigningKey, sealed)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key: %w", err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key is a %T, not an RSA key", parsed)
	}
	return priv, nil
}

// publicKeyOfCert returns the RSA public key of a DER certificate.
func publicKeyOfCert(certDER []byte) (*rsa.PublicKey, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	public, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("certificate contains a %T, not an RSA key", cert.PublicKey)
	}
	return public, nil
}
