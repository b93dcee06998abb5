package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// DefaultLoginSuffix is the login suffix of the bootstrap administrator.
const DefaultLoginSuffix = "portcullis.local"

// BootstrapAdminName is the login name of the first administrator.
const BootstrapAdminName = "admin@" + DefaultLoginSuffix

// BootstrapResult says what Bootstrap created.
type BootstrapResult struct {
	CreatedRoles []string
	// AdminCreated is true when the first administrator was created now.
	AdminCreated bool
	// GeneratedPassword is set when the administrator's password was
	// generated, so the caller can print it once.
	GeneratedPassword string
}

// Bootstrap creates the built-in roles and, on a database with no users,
// the first administrator. Running it again changes nothing.
func (s *Store) Bootstrap(ctx context.Context, adminPassword string) (BootstrapResult, error) {
	var res BootstrapResult
	err := s.InTx(ctx, func(tx *Store) error {
		for _, r := range []Role{
			{ID: RoleSysAdmin, Name: "System Administrator", Description: "Holds every administrative right.", BuiltIn: true, Rights: strings.Join(AllRights, " ")},
			{ID: RoleEverybody, Name: "Everybody", Description: "Every user who is not a service user.", BuiltIn: true},
		} {
			var count int64
			if err := tx.conn(ctx).Model(&Role{}).Where("id = ?", r.ID).Count(&count).Error; err != nil {
				return err
			}
			if count > 0 {
				continue
			}
			now := tx.Now()
			r.NameKey = NormalizeName(r.Name)
			r.CreatedAt, r.UpdatedAt = now, now
			if err := tx.conn(ctx).Create(&r).Error; err != nil {
				return err
			}
			res.CreatedRoles = append(res.CreatedRoles, r.Name)
		}

		var users int64
		if err := tx.conn(ctx).Model(&User{}).Count(&users).Error; err != nil {
			return err
		}
		if users > 0 {
			return nil
		}
		password := adminPassword
		if password == "" {
			generated, err := GeneratePassword()
			if err != nil {
				return err
			}
			password, res.GeneratedPassword = generated, generated
		}
		admin, err := tx.CreateUser(ctx, NewUser{
			LoginName:            BootstrapAdminName,
			DisplayName:          "Administrator",
			Password:             password,
			PasswordNeverExpires: adminPassword != "",
		})
		if err != nil {
			var verrs ValidationErrors
			if errors.As(err, &verrs) {
				return fmt.Errorf("bootstrap administrator: %w (check PORTCULLIS_ADMIN_PASSWORD)", err)
			}
			return err
		}
		if err := tx.conn(ctx).Create(&RoleMember{RoleID: RoleSysAdmin, MemberType: PrincipalUser, MemberID: admin.ID}).Error; err != nil {
			return err
		}
		res.AdminCreated = true
		return tx.RecordAudit(ctx, Actor{Name: "system"}, AuditEntry{
			Action: "bootstrap", ObjectType: "user", ObjectID: admin.ID, ObjectName: admin.LoginName,
		})
	})
	return res, err
}

// NormalizeName returns the case-insensitive key of a role or profile name.
func NormalizeName(s string) string { return NormalizeLoginName(s) }

// GeneratePassword returns a random 24-character password from an alphabet
// without look-alike characters (about 140 bits).
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	out := make([]byte, 24)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		out[i] = alphabet[n.Int64()]
	}
	return string(out), nil
}
