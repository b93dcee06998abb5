package models

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signingSlots admits at most GOMAXPROCS RSA signatures at once, in the
// order the requests reach it, because a channel queues blocked senders
// first in, first out. An RS256 signature costs about a millisecond of
// CPU. Without the queue, with the CPU saturated by 64 connections on two
// cores, the slowest 1% of token requests took over four times the median
// (p99 233 to 300 ms against a p50 of 38 to 66 ms). With it they took
// about twice the median (docs/benchmarks.md).
var signingSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// JWTLeeway is the clock skew VerifyJWT tolerates on exp, nbf and iat.
const JWTLeeway = 30 * time.Second

// maxJWTLength rejects absurd inputs before they are parsed. Our tokens
// are about 1 KiB long.
const maxJWTLength = 8 * 1024

// ErrInvalidJWT is returned by VerifyJWT for every token it rejects. The
// wrapped message gives the reason for the log, and clients get one
// response for all reasons.
var ErrInvalidJWT = errors.New("invalid token")

// reservedJWTHeaders are set by SignJWT itself, or must never be set
// because a verifier could take keys or rules from them (RFC 7515 §4.1).
var reservedJWTHeaders = map[string]bool{
	"alg": true, "typ": true, "kid": true, "x5t": true,
	"jku": true, "jwk": true, "x5u": true, "x5c": true, "x5t#S256": true, "crit": true,
}

// SignJWT signs claims with the active signing key as an RS256 JWT. The
// header carries typ JWT, the key's kid and x5t, and the members of
// extraHeader, such as app_id. An extraHeader member that SignJWT sets
// itself, or that names a key, is an error.
func (s *Store) SignJWT(ctx context.Context, claims jwt.MapClaims, extraHeader map[string]any) (string, error) {
	for name := range extraHeader {
		if reservedJWTHeaders[name] {
			return "", fmt.Errorf("sign token: the header %q cannot be set by the caller", name)
		}
	}
	key, err := s.activeSigningKey(ctx)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}

	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	for name, value := range extraHeader {
		token.Header[name] = value
	}
	token.Header["typ"] = "JWT"
	token.Header["kid"] = key.row.Kid
	token.Header["x5t"] = key.x5t
	signingSlots <- struct{}{}
	signed, err := token.SignedString(key.private)
	<-signingSlots
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// VerifyJWT checks a token signed by SignJWT and returns its claims. It
// accepts only RS256 with the kid of a published key, so "none", HMAC
// signed with the public key and foreign keys are rejected. exp is
// required; exp, nbf and iat are checked with JWTLeeway against the
// store's clock, and iss must equal issuer. Every rejection wraps
// ErrInvalidJWT.
func (s *Store) VerifyJWT(ctx context.Context, token string, issuer string) (jwt.MapClaims, error) {
	if issuer == "" {
		return nil, errors.New("verify token: the expected issuer is empty")
	}
	if token == "" || len(token) > maxJWTLength {
		return nil, fmt.Errorf("%w: empty or longer than %d bytes", ErrInvalidJWT, maxJWTLength)
	}
	claimChecks := []jwt.ParserOption{
		jwt.WithIssuer(issuer),
		jwt.WithLeeway(JWTLeeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.Now),
	}

	cacheKey := verifiedJWTKeyOf(token, issuer)
	if hit, ok := s.verifiedJWTs.get(cacheKey); ok {
		// The signature was checked when the entry was made; what can
		// change since is the time and the publication of the key.
		if err := jwt.NewValidator(claimChecks...).Validate(hit.claims); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
		}
		if _, err := s.verificationKey(ctx, hit.kid); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
		}
		return cloneClaims(hit.claims), nil
	}

	parser := jwt.NewParser(append(claimChecks, jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}))...)
	claims := jwt.MapClaims{}
	var kid string
	_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("algorithm %v is not RS256", t.Header["alg"])
		}
		if _, found := t.Header["crit"]; found {
			// RFC 7515 §4.1.11: we understand no extension, so a token
			// that marks one critical must be rejected.
			return nil, errors.New("the token names critical header extensions")
		}
		kid, _ = t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token has no kid")
		}
		key, err := s.verificationKey(ctx, kid)
		if err != nil {
			return nil, err
		}
		return key.public, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
	}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		s.verifiedJWTs.add(cacheKey, verifiedJWT{claims: cloneClaims(claims), kid: kid, until: exp.Add(JWTLeeway)})
	}
	return claims, nil
}

// JSONWebKey is one public key of a JWKS (RFC 7517), with its certificate
// chain (x5c, standard base64 DER) and SHA-1 thumbprint (x5t).
type JSONWebKey struct {
	Kty string   `json:"kty"`
	Use string   `json:"use"`
	Alg string   `json:"alg"`
	Kid string   `json:"kid"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5C []string `json:"x5c"`
	X5T string   `json:"x5t"`
}

// JSONWebKeySet is the document served at the JWKS endpoints.
type JSONWebKeySet struct {
	Keys []JSONWebKey `json:"keys"`
}

// BuildJWKS returns the JWKS of the keys. Keys whose certificate does not
// parse as an RSA certificate are left out with an error.
func BuildJWKS(keys []SigningKey) (JSONWebKeySet, error) {
	set := JSONWebKeySet{Keys: make([]JSONWebKey, 0, len(keys))}
	var errs []error
	for _, k := range keys {
		jwk, err := signingKeyJWK(k)
		if err != nil {
			errs = append(errs, fmt.Errorf("key %s: %w", k.Kid, err))
			continue
		}
		set.Keys = append(set.Keys, jwk)
	}
	return set, errors.Join(errs...)
}

func signingKeyJWK(k SigningKey) (JSONWebKey, error) {
	public, err := publicKeyOfCert(k.CertDER)
	if err != nil {
		return JSONWebKey{}, err
	}
	return JSONWebKey{
		Kty: "RSA",
		Use: "sig",
		Alg: jwt.SigningMethodRS256.Alg(),
		Kid: k.Kid,
		N:   base64.RawURLEncoding.EncodeToString(public.N.Bytes()),
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(public.E)).Bytes()),
		X5C: []string{base64.StdEncoding.EncodeToString(k.CertDER)},
		X5T: k.X5T(),
	}, nil
}

// JWKS returns the JWKS of the published keys.
func (s *Store) JWKS(ctx context.Context) (JSONWebKeySet, error) {
	keys, err := s.PublishedKeys(ctx)
	if err != nil {
		return JSONWebKeySet{}, err
	}
	return BuildJWKS(keys)
}
