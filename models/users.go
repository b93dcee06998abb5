package models

import (
	"context"
	"errors"
	"fmt"

	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// UserByID returns the user with the id, or ErrNotFound. Ids that are not
// UUIDs are rejected before any query.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	var u User
	if err := s.conn(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, mapError(err)
	}
	return &u, nil
}

// UserByLoginName returns the user whose login name matches after
// NormalizeLoginName, or ErrNotFound.
func (s *Store) UserByLoginName(ctx context.Context, name string) (*User, error) {
	key := NormalizeLoginName(name)
	if key == "" {
		return nil, ErrNotFound
	}
	var u User
	if err := s.conn(ctx).Where("login_name_key = ?", key).Take(&u).Error; err != nil {
		return nil, mapError(err)
	}
	return &u, nil
}

// NewUser describes a user to create. Password is hashed before storing.
type NewUser struct {
	LoginName             string
	DisplayName           string
	Email                 string
	MobileNumber          string
	Description           string
	Password              string
	IsServiceUser         bool
	IsOAuthClient         bool
	PasswordNeverExpires  bool
	RequirePasswordChange bool
}

// FieldError is a validation failure of one input field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationErrors collects the field errors of one request.
type ValidationErrors []*FieldError

func (v ValidationErrors) Error() string {
	msg := "invalid input"
	for i, fe := range v {
		if i == 0 {
			msg += ": "
		} else {
			msg += "; "
		}
		msg += fe.Error()
	}
	return msg
}

// Add records a field error.
func (v *ValidationErrors) Add(field, message string) {
	*v = append(*v, &FieldError{Field: field, Message: message})
}

// Err returns v as an error, or nil when it is empty.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// ByField returns the message per field, for forms.
func (v ValidationErrors) ByField() map[string]string {
	out := map[string]string{}
	for _, fe := range v {
		if _, ok := out[fe.Field]; !ok {
			out[fe.Field] = fe.Message
		}
	}
	return out
}

// AsValidationErrors extracts ValidationErrors from err.
func AsValidationErrors(err error) (ValidationErrors, bool) {
	var v ValidationErrors
	if errors.As(err, &v) {
		return v, true
	}
	return nil, false
}

// CreateUser validates and stores a new user. An OAuth confidential client
// is always a service user whose password never expires.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	var verrs ValidationErrors
	if err := ValidateLoginName(in.LoginName); err != nil {
		verrs.Add("login_name", err.Error())
	}
	if err := ValidatePassword(in.Password); err != nil {
		verrs.Add("password", err.Error())
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	if in.IsOAuthClient {
		in.IsServiceUser = true
		in.PasswordNeverExpires = true
	}

	hash, err := s.Hasher.Hash(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	now := s.Now()
	u := &User{
		ID:                    NewID(),
		LoginName:             cleanLoginName(in.LoginName),
		LoginNameKey:          NormalizeLoginName(in.LoginName),
		DisplayName:           in.DisplayName,
		Email:                 in.Email,
		MobileNumber:          in.MobileNumber,
		Description:           in.Description,
		PasswordHash:          hash,
		PasswordChangedAt:     &now,
		IsServiceUser:         in.IsServiceUser,
		IsOAuthClient:         in.IsOAuthClient,
		PasswordNeverExpires:  in.PasswordNeverExpires,
		RequirePasswordChange: in.RequirePasswordChange,
		CreatedAt:             now,
		UpdatedAt:             now,
	}
	if err := s.conn(ctx).Create(u).Error; err != nil {
		if err = mapError(err); errors.Is(err, ErrConflict) {
			return nil, ValidationErrors{{Field: "login_name", Message: "a user with this login name already exists"}}
		}
		return nil, err
	}
	return u, nil
}

// cleanLoginName is the login name as displayed: trimmed and in Unicode
// NFC, with the case the administrator typed.
func cleanLoginName(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }
