package models

import (
	"context"
	"errors"
	"unicode/utf8"
)

// ErrInvalidClient means client authentication failed. Callers send one
// identical response for every reason, and ClientAuthError carries the
// reason for the log.
var ErrInvalidClient = errors.New("invalid client")

// ClientAuthError is an ErrInvalidClient with the reason, which is logged
// and never sent to the client.
type ClientAuthError struct {
	Reason string
}

func (e *ClientAuthError) Error() string { return "client authentication failed: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidClient) true.
func (e *ClientAuthError) Is(target error) bool { return target == ErrInvalidClient }

// Reasons of ClientAuthError.
const (
	ReasonNoSecret       = "no secret"
	ReasonUnknownClient  = "unknown client"
	ReasonWrongSecret    = "wrong secret"
	ReasonDisabled       = "client disabled"
	ReasonLocked         = "client locked"
	ReasonNotOAuthClient = "user is not an OAuth confidential client"
	ReasonAppDisabled    = "app disabled"
	ReasonNoRunRight     = "client has no Run permission on the app"
)

// ClientCredentials is one reading of the credentials a client sent.
type ClientCredentials struct {
	ID     string
	Secret string
}

// AuthenticateClient checks client credentials for a request to app. Each
// element of candidates is one reading of what the client sent: HTTP Basic
// credentials may be form-urldecoded or raw, so callers pass both, in the
// order to try. The first reading whose id and secret match wins.
//
// The client must then be an enabled, unlocked user marked OAuth
// confidential client, the app must be enabled, and the client must hold
// Run permission on it, directly or through a role. Every failure returns
// a *ClientAuthError. A reading with an unknown id costs one argon2id
// verification, like a wrong secret, so timing does not reveal which
// clients exist. A client that may not get a token is told so only after
// its secret matched, and always pays the full hash, so timing does not
// reveal whether its secret was right either.
func (s *Store) AuthenticateClient(ctx context.Context, app *App, candidates ...ClientCredentials) (*User, error) {
	client, ineligible, reason, err := s.matchClientSecret(ctx, app, dedupeCredentials(candidates))
	if err != nil {
		return nil, err
	}
	if client == nil {
		return nil, &ClientAuthError{Reason: reason}
	}
	if ineligible != "" {
		return nil, &ClientAuthError{Reason: ineligible}
	}
	return client, nil
}

// clientIneligibility returns why the user may not get tokens for the
// app, or "" when it may.
func (s *Store) clientIneligibility(ctx context.Context, user *User, app *App) (string, error) {
	switch {
	case user.Disabled:
		return ReasonDisabled, nil
	case user.IsLockedAt(s.Now()):
		return ReasonLocked, nil
	case !user.IsOAuthClient:
		return ReasonNotOAuthClient, nil
	case !app.Enabled:
		return ReasonAppDisabled, nil
	}
	rights, err := s.AppRightsOf(ctx, user, app.ID)
	if err != nil {
		return "", err
	}
	if !rights.Run {
		return ReasonNoRunRight, nil
	}
	return "", nil
}

// matchClientSecret returns the user of the first reading whose secret
// matches, or nil and the reason of the last failure. Every reading is
// looked up in the cache before any argon2id runs. A client whose second
// reading is the right one, such as raw Basic credentials with a "+" in
// the secret, then does not pay for the wrong first reading every time.
func (s *Store) matchClientSecret(ctx context.Context, app *App, candidates []ClientCredentials) (client *User, ineligible, reason string, err error) {
	type reading struct {
		cred       ClientCredentials
		user       *User // nil for an unknown client
		ineligible string
	}
	var readings []reading
	now := s.Now()
	for _, cred := range candidates {
		if cred.ID == "" || cred.Secret == "" || len(cred.Secret) > maxPasswordBytes || !utf8.ValidString(cred.Secret) {
			// No stored password can match such a secret for any client,
			// so skipping the hash reveals nothing about the account.
			continue
		}
		user, err := s.UserByLoginName(ctx, cred.ID)
		if errors.Is(err, ErrNotFound) {
			readings = append(readings, reading{cred: cred})
			continue
		}
		if err != nil {
			return nil, "", "", err
		}
		// The cache serves only clients that may get a token. A client that
		// may not always pays the full hash, so the time of its answer does
		// not tell a correct secret from a wrong one.
		why, err := s.clientIneligibility(ctx, user, app)
		if err != nil {
			return nil, "", "", err
		}
		if why == "" && s.clientSecrets.contains(s.clientSecrets.key(user.ID, user.PasswordHash, cred.Secret), now) {
			return user, "", "", nil
		}
		readings = append(readings, reading{cred: cred, user: user, ineligible: why})
	}

	reason = ReasonNoSecret
	for _, r := range readings {
		if r.user == nil {
			s.verifyDummySecret(r.cred)
			reason = ReasonUnknownClient
			continue
		}
		ok, err := s.verifyClientSecret(ctx, r.user, r.cred.Secret)
		if err != nil {
			return nil, "", "", err
		}
		if ok {
			return r.user, r.ineligible, "", nil
		}
		reason = ReasonWrongSecret
	}
	return nil, "", reason, nil
}

// verifyClientSecret checks secret against the user's password hash with
// argon2id and caches a success. Concurrent calls with the same user, hash
// and secret share one verification, so a burst of requests from a client
// whose cache entry expired costs one argon2id run, not one per request.
func (s *Store) verifyClientSecret(ctx context.Context, user *User, secret string) (bool, error) {
	key := s.clientSecrets.key(user.ID, user.PasswordHash, secret)
	ok, err, _ := s.clientSecrets.verifying.Do(string(key[:]), func() (any, error) {
		return s.verifyAndCacheSecret(ctx, user, secret, key)
	})
	return ok.(bool), err
}

// verifyDummySecret costs what verifyClientSecret costs for a client that
// does not exist, including the sharing of concurrent identical calls, so
// neither a single request nor a burst of them tells which clients exist.
func (s *Store) verifyDummySecret(cred ClientCredentials) {
	key := s.clientSecrets.key("unknown client", NormalizeLoginName(cred.ID), cred.Secret)
	s.clientSecrets.verifying.Do(string(key[:]), func() (any, error) {
		s.Hasher.VerifyDummy(cred.Secret)
		return false, nil
	})
}

// verifyAndCacheSecret runs argon2id for verifyClientSecret. After a
// successful verification of a hash written with other parameters than the
// current ones, it stores a new hash.
func (s *Store) verifyAndCacheSecret(ctx context.Context, user *User, secret string, key secretCacheKey) (bool, error) {
	now := s.Now()
	s.clientSecrets.hashRuns.Add(1)
	ok, err := s.Hasher.Verify(user.PasswordHash, secret)
	if errors.Is(err, ErrMalformedHash) {
		s.Log.ErrorContext(ctx, "a client's stored password hash is malformed; reset its secret", "user_id", user.ID, "error", err)
		return false, nil
	}
	if err != nil || !ok {
		return false, err
	}

	if s.Hasher.NeedsRehash(user.PasswordHash) {
		if newHash, ok := s.rehashPassword(ctx, user, secret); ok {
			key = s.clientSecrets.key(user.ID, newHash, secret)
		}
	}
	s.clientSecrets.add(key, now)
	return true, nil
}

// rehashPassword replaces the user's hash with one made with the current
// parameters, unless the password changed meanwhile. A failure is logged
// and leaves the old hash, which still verifies.
func (s *Store) rehashPassword(ctx context.Context, user *User, password string) (string, bool) {
	newHash, err := s.Hasher.Hash(password)
	if err == nil {
		err = s.conn(ctx).Model(&User{}).
			Where("id = ? AND password_hash = ?", user.ID, user.PasswordHash).
			Update("password_hash", newHash).Error
	}
	if err != nil {
		s.Log.WarnContext(ctx, "storing a client's password hash with the current argon2id parameters failed", "user_id", user.ID, "error", err)
		return "", false
	}
	user.PasswordHash = newHash
	return newHash, true
}

// dedupeCredentials drops readings that repeat an earlier one, so equal
// readings cost one verification.
func dedupeCredentials(in []ClientCredentials) []ClientCredentials {
	out := make([]ClientCredentials, 0, len(in))
	for _, c := range in {
		duplicate := false
		for _, seen := range out {
			if seen == c {
				duplicate = true
				break
			}
		}
		if !duplicate {
			out = append(out, c)
		}
	}
	return out
}
