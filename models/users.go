package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

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

// User list filters offered by the Users page.
const (
	UserFilterAll     = "all"
	UserFilterActive  = "active"
	UserFilterService = "service"
	UserFilterLocked  = "locked"
)

// userSortColumns is the allow-list of sort keys and the column each one
// orders by. Nothing else ever reaches ORDER BY.
var userSortColumns = map[string]string{
	"login_name":   "login_name_key",
	"display_name": "display_name",
	"email":        "email",
	"created_at":   "created_at",
}

// UserSortKeys lists the sort keys ListUsers accepts.
var UserSortKeys = []string{"login_name", "display_name", "email", "created_at"}

// Paging bounds of the list functions. MaxPage keeps OFFSET far from
// integer overflow on every database.
const (
	DefaultPageSize = 25
	MaxPageSize     = 200
	MaxPage         = 1_000_000
)

// UserQuery selects a page of users. Unknown filters and sort keys fall
// back to the defaults (all users, by login name).
type UserQuery struct {
	// Search matches login name, display name and email, case-insensitively.
	Search  string
	Filter  string
	Sort    string
	Desc    bool
	Page    int // 1-based
	PerPage int
}

// UserPage is one page of users with the total count for paging.
type UserPage struct {
	Users   []User
	Total   int64
	Page    int
	PerPage int
}

// Pages returns the number of pages, at least 1.
func (p UserPage) Pages() int { return pageCount(p.Total, p.PerPage) }

func pageCount(total int64, perPage int) int {
	if perPage <= 0 || total <= 0 {
		return 1
	}
	return int((total + int64(perPage) - 1) / int64(perPage))
}

// normalizePaging clamps a 1-based page number and page size.
func normalizePaging(page, perPage int) (int, int) {
	if perPage <= 0 {
		perPage = DefaultPageSize
	}
	perPage = min(perPage, MaxPageSize)
	page = min(max(page, 1), MaxPage)
	return page, perPage
}

// likeEscape escapes the LIKE wildcards in s for use with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// likePattern matches s anywhere in a column.
func likePattern(s string) string { return "%" + likeEscape(s) + "%" }

// ListUsers returns a page of users matching q.
func (s *Store) ListUsers(ctx context.Context, q UserQuery) (UserPage, error) {
	page, perPage := normalizePaging(q.Page, q.PerPage)
	db := s.conn(ctx).Model(&User{})

	if search := strings.TrimSpace(q.Search); search != "" {
		pattern := likePattern(NormalizeLoginName(search))
		db = db.Where("login_name_key LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\' OR LOWER(email) LIKE ? ESCAPE '\\'",
			pattern, pattern, pattern)
	}
	switch q.Filter {
	case UserFilterActive:
		db = db.Where("disabled = ? AND locked = ? AND (locked_until IS NULL OR locked_until <= ?)", false, false, s.Now())
	case UserFilterService:
		db = db.Where("is_service_user = ?", true)
	case UserFilterLocked:
		db = db.Where("locked = ? OR locked_until > ?", true, s.Now())
	}

	var total int64
	if err := db.Count(&total).Error; err != nil {
		return UserPage{}, err
	}
	column, ok := userSortColumns[q.Sort]
	if !ok {
		column = userSortColumns["login_name"]
	}
	direction := "ASC"
	if q.Desc {
		direction = "DESC"
	}
	var users []User
	err := db.Order(column + " " + direction).Order("id ASC").
		Limit(perPage).Offset((page - 1) * perPage).
		Find(&users).Error
	if err != nil {
		return UserPage{}, err
	}
	return UserPage{Users: users, Total: total, Page: page, PerPage: perPage}, nil
}

// Length limits of the free-text user fields.
const (
	maxDisplayNameChars = 200
	maxEmailBytes       = 254
	maxMobileChars      = 32
	maxDescriptionChars = 2000
)

// validateProfileFields checks the free-text fields shared by create and
// update. Empty values are allowed for every one of them.
func validateProfileFields(verrs *ValidationErrors, displayName, email, mobile, description *string) {
	if displayName != nil && utf8.RuneCountInString(*displayName) > maxDisplayNameChars {
		verrs.Add("display_name", fmt.Sprintf("display name is longer than %d characters", maxDisplayNameChars))
	}
	if email != nil && *email != "" {
		if len(*email) > maxEmailBytes {
			verrs.Add("email", fmt.Sprintf("email address is longer than %d bytes", maxEmailBytes))
		} else if addr, err := mail.ParseAddress(*email); err != nil || addr.Address != *email {
			verrs.Add("email", "email address is invalid; use the form name@example.com")
		}
	}
	if mobile != nil && *mobile != "" && !mobilePattern.MatchString(*mobile) {
		verrs.Add("mobile_number", "mobile number is invalid; use digits with an optional leading + and spaces or hyphens, such as +1 555 0100")
	}
	if description != nil && utf8.RuneCountInString(*description) > maxDescriptionChars {
		verrs.Add("description", fmt.Sprintf("description is longer than %d characters", maxDescriptionChars))
	}
}

// mobilePattern accepts international and local phone numbers as people
// type them: an optional +, then digits with single spaces or hyphens.
var mobilePattern = regexp.MustCompile(`^\+?[0-9]([ -]?[0-9]){5,19}$`)

// UserChanges is an edit of a user. Nil fields are left unchanged, and set
// fields are written even when false or empty. Passwords are changed with
// ResetPassword, and Locked and Disabled with SetUserLocked and
// SetUserDisabled, so each of those has its own audit event.
type UserChanges struct {
	LoginName             *string
	DisplayName           *string
	Email                 *string
	MobileNumber          *string
	Description           *string
	IsServiceUser         *bool
	IsOAuthClient         *bool
	PasswordNeverExpires  *bool
	RequirePasswordChange *bool
}

// UpdateUser validates and saves changes to a user and records the audit
// event in the same transaction, if actor may change the user (see
// authz.go). Marking the user an OAuth confidential client also marks it a
// service user whose password never expires. A user that is and stays an
// OAuth confidential client keeps both flags, and a request that sets
// either to false gets a field error. A change that would leave System
// Administrator without a member who can sign in is rejected.
func (s *Store) UpdateUser(ctx context.Context, actor Actor, id string, in UserChanges) (*User, error) {
	var verrs ValidationErrors
	changes := map[string]any{}
	if in.LoginName != nil {
		if err := ValidateLoginName(*in.LoginName); err != nil {
			verrs.Add("login_name", err.Error())
		}
		changes["login_name"] = cleanLoginName(*in.LoginName)
		changes["login_name_key"] = NormalizeLoginName(*in.LoginName)
	}
	validateProfileFields(&verrs, in.DisplayName, in.Email, in.MobileNumber, in.Description)
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	setString := func(column string, v *string) {
		if v != nil {
			changes[column] = strings.TrimSpace(*v)
		}
	}
	setString("display_name", in.DisplayName)
	setString("email", in.Email)
	setString("mobile_number", in.MobileNumber)
	if in.Description != nil {
		changes["description"] = *in.Description
	}
	setBool := func(column string, v *bool) {
		if v != nil {
			changes[column] = *v
		}
	}
	setBool("is_service_user", in.IsServiceUser)
	setBool("is_oauth_client", in.IsOAuthClient)
	setBool("password_never_expires", in.PasswordNeverExpires)
	setBool("require_password_change", in.RequirePasswordChange)

	var out *User
	err := s.changeUser(ctx, actor, id, "user.update", func(tx *Store, u *User) error {
		if err := applyOAuthClientFlags(u, in, changes); err != nil {
			return err
		}
		// A changed address or number has not been confirmed by the user,
		// so codes are not sent to it until it is.
		if email, ok := changes["email"].(string); ok && email != u.Email {
			changes["email_verified"] = false
		}
		if mobile, ok := changes["mobile_number"].(string); ok && mobile != u.MobileNumber {
			changes["mobile_verified"] = false
		}
		// A user made a service user can no longer sign in to the admin
		// portal, so the change may take away an administrator's seat.
		err := tx.keepAdminSeat(ctx, func() error { return tx.updateUserColumns(ctx, id, changes) })
		if errors.Is(err, ErrConflict) {
			return ValidationErrors{{Field: "login_name", Message: "a user with this login name already exists"}}
		}
		if err != nil {
			return err
		}
		if out, err = tx.UserByID(ctx, id); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, userAudit("user.update", out, changedColumns(changes)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyOAuthClientFlags sets the flags that an OAuth confidential client
// always has. Ticking Is OAuth confidential client ticks the other two, as
// the portal's form does. A user that already is an OAuth confidential
// client and stays one cannot have either flag unticked.
func applyOAuthClientFlags(u *User, in UserChanges, changes map[string]any) error {
	oauth := u.IsOAuthClient
	if in.IsOAuthClient != nil {
		oauth = *in.IsOAuthClient
	}
	if !oauth {
		return nil
	}
	if u.IsOAuthClient {
		var verrs ValidationErrors
		if in.IsServiceUser != nil && !*in.IsServiceUser {
			verrs.Add("is_service_user", "An OAuth confidential client is always a service user. Untick Is OAuth confidential client first.")
		}
		if in.PasswordNeverExpires != nil && !*in.PasswordNeverExpires {
			verrs.Add("password_never_expires", "The password of an OAuth confidential client never expires. Untick Is OAuth confidential client first.")
		}
		if err := verrs.Err(); err != nil {
			return err
		}
	}
	changes["is_service_user"] = true
	changes["password_never_expires"] = true
	return nil
}

// changeUser loads the user, checks that actor may change it and runs fn,
// all in one transaction. A denied change is recorded as a failed action.
func (s *Store) changeUser(ctx context.Context, actor Actor, id, action string, fn func(tx *Store, u *User) error) error {
	var target *User
	err := s.InTx(ctx, func(tx *Store) error {
		u, err := tx.UserByID(ctx, id)
		if err != nil {
			return err
		}
		target = u
		if err := tx.authorizeUserChange(ctx, actor, u); err != nil {
			return err
		}
		return fn(tx, u)
	})
	if target == nil {
		return err
	}
	return s.recordDenial(ctx, actor, userAudit(action, target, ""), err)
}

// updateUserColumns writes the columns with a map, so false and empty
// values are saved, and reports ErrNotFound when no row matched.
func (s *Store) updateUserColumns(ctx context.Context, id string, changes map[string]any) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrNotFound
	}
	changes["updated_at"] = s.Now()
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(changes)
	if res.Error != nil {
		return mapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// changedColumns lists the columns of an update for the audit details,
// without their values, which may be personal data.
func changedColumns(changes map[string]any) string {
	var cols []string
	for k := range changes {
		if k != "updated_at" && k != "login_name_key" {
			cols = append(cols, k)
		}
	}
	slices.Sort(cols)
	return "fields: " + strings.Join(cols, ", ")
}

func userAudit(action string, u *User, details string) AuditEntry {
	return AuditEntry{Action: action, ObjectType: "user", ObjectID: u.ID, ObjectName: u.LoginName, Details: details}
}

// CreateUserAudited validates every field of a new user, creates it and
// records the audit event in the same transaction. All field errors are
// reported at once.
func (s *Store) CreateUserAudited(ctx context.Context, actor Actor, in NewUser) (*User, error) {
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Email = strings.TrimSpace(in.Email)
	in.MobileNumber = strings.TrimSpace(in.MobileNumber)

	var verrs ValidationErrors
	if err := ValidateLoginName(in.LoginName); err != nil {
		verrs.Add("login_name", err.Error())
	}
	validateProfileFields(&verrs, &in.DisplayName, &in.Email, &in.MobileNumber, &in.Description)
	if err := ValidatePassword(in.Password); err != nil {
		verrs.Add("password", err.Error())
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}

	var out *User
	err := s.InTx(ctx, func(tx *Store) error {
		u, err := tx.CreateUser(ctx, in)
		if err != nil {
			return err
		}
		out = u
		return tx.RecordAudit(ctx, actor, userAudit("user.create", u, ""))
	})
	return out, err
}

// ResetPassword sets a new password chosen by an administrator, optionally
// requiring the user to change it at the next sign-in, signs the user out
// of every portal session and deletes the user's challenge passes, so the
// next /run asks every challenge. Actor must be allowed to change the user
// (see authz.go).
func (s *Store) ResetPassword(ctx context.Context, actor Actor, id, password string, requireChange bool) error {
	if err := ValidatePassword(password); err != nil {
		return ValidationErrors{{Field: "password", Message: err.Error()}}
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return s.changeUser(ctx, actor, id, "user.reset_password", func(tx *Store, u *User) error {
		now := tx.Now()
		err := tx.updateUserColumns(ctx, id, map[string]any{
			"password_hash":           hash,
			"password_changed_at":     now,
			"require_password_change": requireChange,
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteUserWebSessions(ctx, id); err != nil {
			return err
		}
		if err := tx.deleteMFAPasses(ctx, id); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, userAudit("user.reset_password", u, fmt.Sprintf("require_password_change: %t", requireChange)))
	})
}

// SetUserLocked locks or unlocks a user. Unlocking also ends a lockout
// after too many wrong MFA answers or wrong passwords and deletes their
// records. Locking signs the user out of every portal session, and is
// rejected for the last member of System Administrator who can sign in.
// Actor must be allowed to change the user (see authz.go).
func (s *Store) SetUserLocked(ctx context.Context, actor Actor, id string, locked bool) error {
	action := "user.unlock"
	if locked {
		action = "user.lock"
	}
	return s.changeUser(ctx, actor, id, action, func(tx *Store, u *User) error {
		changes := map[string]any{"locked": locked}
		if !locked {
			changes["locked_until"] = nil
			if err := tx.conn(ctx).Where("user_id = ?", id).Delete(&MFAFailure{}).Error; err != nil {
				return err
			}
			if err := tx.clearSignInLockout(ctx, u); err != nil {
				return err
			}
		} else if err := tx.DeleteUserWebSessions(ctx, id); err != nil {
			return err
		}
		err := tx.keepAdminSeat(ctx, func() error { return tx.updateUserColumns(ctx, id, changes) })
		if err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, userAudit(action, u, ""))
	})
}

// SetUserDisabled disables or enables a user. Disabling signs the user out
// of every portal session, and is rejected for the last member of System
// Administrator who can sign in. Actor must be allowed to change the user
// (see authz.go).
func (s *Store) SetUserDisabled(ctx context.Context, actor Actor, id string, disabled bool) error {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return s.changeUser(ctx, actor, id, action, func(tx *Store, u *User) error {
		if disabled {
			if err := tx.DeleteUserWebSessions(ctx, id); err != nil {
				return err
			}
		}
		err := tx.keepAdminSeat(ctx, func() error {
			return tx.updateUserColumns(ctx, id, map[string]any{"disabled": disabled})
		})
		if err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, userAudit(action, u, ""))
	})
}

// ResetMFA removes every MFA enrollment of a user: the OATH OTP
// authenticator, the verified email and mobile number, and the security
// question. It also deletes the user's challenge passes, so no
// pass-through outlives the reset. The user enrolls again in the user
// portal. Actor must be allowed to change the user (see authz.go).
func (s *Store) ResetMFA(ctx context.Context, actor Actor, id string) error {
	return s.changeUser(ctx, actor, id, "user.reset_mfa", func(tx *Store, u *User) error {
		err := tx.updateUserColumns(ctx, id, map[string]any{
			"totp_secret_enc":      nil,
			"totp_last_step":       0,
			"totp_enrolled_at":     nil,
			"email_verified":       false,
			"mobile_verified":      false,
			"security_question":    "",
			"security_answer_hash": "",
		})
		if err != nil {
			return err
		}
		if err := tx.deleteMFAPasses(ctx, id); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, userAudit("user.reset_mfa", u, ""))
	})
}

// DeleteUser deletes a user with its role memberships, app permissions and
// portal sessions. Its tokens, MFA sessions and failure records go with it
// through the foreign keys. Actor must be allowed to change the user (see
// authz.go), and the last member of System Administrator who can sign in
// is not deleted.
func (s *Store) DeleteUser(ctx context.Context, actor Actor, id string) error {
	return s.changeUser(ctx, actor, id, "user.delete", func(tx *Store, u *User) error {
		err := tx.keepAdminSeat(ctx, func() error { return tx.deleteUserRows(ctx, id) })
		if err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, userAudit("user.delete", u, ""))
	})
}

// deleteUserRows deletes the user with its role memberships, app
// permissions and portal sessions.
func (s *Store) deleteUserRows(ctx context.Context, id string) error {
	db := s.conn(ctx)
	if err := db.Where("member_type = ? AND member_id = ?", PrincipalUser, id).Delete(&RoleMember{}).Error; err != nil {
		return err
	}
	if err := db.Where("principal_type = ? AND principal_id = ?", PrincipalUser, id).Delete(&AppPermission{}).Error; err != nil {
		return err
	}
	if err := s.DeleteUserWebSessions(ctx, id); err != nil {
		return err
	}
	return db.Where("id = ?", id).Delete(&User{}).Error
}
