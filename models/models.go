package models

import (
	"strings"
	"time"
)

// User is a person or a service account. Login names are unique after
// NormalizeLoginName; LoginNameKey holds that normalised form.
type User struct {
	ID                    string `gorm:"primaryKey"`
	LoginName             string
	LoginNameKey          string
	DisplayName           string
	Email                 string
	MobileNumber          string
	Description           string
	PasswordHash          string
	PasswordChangedAt     *time.Time
	IsServiceUser         bool
	IsOAuthClient         bool `gorm:"column:is_oauth_client"`
	PasswordNeverExpires  bool
	RequirePasswordChange bool
	Locked                bool
	LockedUntil           *time.Time
	// LastMFAFailureAt is the time of the latest wrong MFA answer, kept
	// with every row of MFAFailure so that counting them can be skipped
	// for users without a recent one.
	LastMFAFailureAt   *time.Time `gorm:"column:last_mfa_failure_at"`
	Disabled           bool
	TOTPSecretEnc      []byte `gorm:"column:totp_secret_enc"`
	TOTPLastStep       int64  `gorm:"column:totp_last_step"`
	TOTPEnrolledAt     *time.Time
	EmailVerified      bool
	MobileVerified     bool
	SecurityQuestion   string
	SecurityAnswerHash string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// IsLockedAt reports whether the user is locked at t, either by an
// administrator (Locked) or by a lockout that has not yet run out.
func (u *User) IsLockedAt(t time.Time) bool {
	return u.Locked || (u.LockedUntil != nil && t.Before(*u.LockedUntil))
}

// HasTOTP reports whether the user has enrolled an OATH OTP authenticator.
func (u *User) HasTOTP() bool { return len(u.TOTPSecretEnc) > 0 }

// Built-in role ids. They are fixed so configuration and tests can name them.
const (
	RoleSysAdmin  = "sysadmin"
	RoleEverybody = "everybody"
)

// Administrative rights a role can hold. System Administrator holds all of
// them implicitly, whatever its Rights column says.
const (
	RightAdminPortalLogin      = "admin_portal_login"
	RightUserManagement        = "user_management"
	RightRoleManagement        = "role_management"
	RightApplicationManagement = "application_management"
	RightMintUserTokens        = "mint_user_tokens"
	RightAuditRead             = "audit_read"
)

// AllRights lists every right in the order the portal shows them.
var AllRights = []string{
	RightAdminPortalLogin,
	RightUserManagement,
	RightRoleManagement,
	RightApplicationManagement,
	RightMintUserTokens,
	RightAuditRead,
}

// RightLabels maps each right to its label in the portal.
var RightLabels = map[string]string{
	RightAdminPortalLogin:      "Admin Portal Login",
	RightUserManagement:        "User Management",
	RightRoleManagement:        "Role Management",
	RightApplicationManagement: "Application Management",
	RightMintUserTokens:        "Mint User Tokens (GetTokenForUser)",
	RightAuditRead:             "Read Audit Log",
}

// Role groups users and other roles and carries administrative rights.
type Role struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	NameKey     string
	Description string
	BuiltIn     bool
	Rights      string // space-separated right ids
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RightList returns the role's rights as a slice.
func (r *Role) RightList() []string { return strings.Fields(r.Rights) }

// Principal types used by role membership and app permissions.
const (
	PrincipalUser = "user"
	PrincipalRole = "role"
)

// RoleMember links a role to a member user or member role.
type RoleMember struct {
	RoleID     string `gorm:"primaryKey"`
	MemberType string `gorm:"primaryKey"`
	MemberID   string `gorm:"primaryKey"`
}

// App templates offered in the Custom tab of Add Web App.
const (
	TemplateOAuthClient = "oauth_client"
	TemplateWebApp      = "web_app"
)

// Launch methods of a web application.
const (
	LaunchRedirect = "redirect"
	LaunchFormPost = "form_post"
)

// DefaultTokenLifetime is the access token lifetime of a new OAuth Client app.
const DefaultTokenLifetime = 5 * time.Hour

// App is a web app: an OAuth Client (token endpoint) or a launchable web
// application (the target of /run). Both carry an App Key.
type App struct {
	ID                   string `gorm:"primaryKey"`
	AppKey               string
	Template             string
	Name                 string
	Description          string
	ApplicationID        *string `gorm:"column:application_id"`
	ApplicationIDKey     *string `gorm:"column:application_id_key"`
	Enabled              bool
	TokenType            string
	AllowClientCreds     bool
	AllowAuthCode        bool
	AllowImplicit        bool
	AllowResourceOwner   bool
	TokenLifetimeSeconds int
	LaunchURL            string `gorm:"column:launch_url"`
	FailureURLs          string `gorm:"column:failure_urls"` // one URL per line
	AuthProfileID        *string
	LaunchMethod         string
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// FailureURLList returns the allowed failure-redirect URLs, one per line.
func (a *App) FailureURLList() []string { return splitLines(a.FailureURLs) }

// AppIDString returns the Application ID, or "" for apps without one.
func (a *App) AppIDString() string {
	if a.ApplicationID == nil {
		return ""
	}
	return *a.ApplicationID
}

// TokenLifetime returns the access token lifetime from the Tokens page.
func (a *App) TokenLifetime() time.Duration {
	if a.TokenLifetimeSeconds <= 0 {
		return DefaultTokenLifetime
	}
	return time.Duration(a.TokenLifetimeSeconds) * time.Second
}

// Scope is a named scope definition of an OAuth Client app: the REST paths
// a token carrying it may call, as anchored regular expressions.
type Scope struct {
	ID          string `gorm:"primaryKey"`
	AppID       string
	Name        string
	Description string
	Regexes     string // one regex per line
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RegexList returns the allowed REST regexes, one per line.
func (s *Scope) RegexList() []string { return splitLines(s.Regexes) }

// AppPermission grants a user or role rights on an app.
type AppPermission struct {
	AppID         string `gorm:"primaryKey"`
	PrincipalType string `gorm:"primaryKey"`
	PrincipalID   string `gorm:"primaryKey"`
	CanGrant      bool
	CanView       bool
	CanRun        bool
}

// MFA mechanisms an authentication profile can ask for.
const (
	MechPassword         = "password"
	MechOATH             = "oath_otp"
	MechEmail            = "email_code"
	MechSMS              = "sms_code"
	MechSecurityQuestion = "security_question"
)

// AllMechanisms lists the mechanisms in the order the pages show them.
var AllMechanisms = []string{MechPassword, MechOATH, MechEmail, MechSMS, MechSecurityQuestion}

// MechanismLabels maps each mechanism to its label.
var MechanismLabels = map[string]string{
	MechPassword:         "Password",
	MechOATH:             "OATH OTP (authenticator app)",
	MechEmail:            "Email code",
	MechSMS:              "SMS code",
	MechSecurityQuestion: "Security question",
}

// IsCodeMechanism reports whether the mechanism sends a one-time code
// (email or SMS) before the user can answer.
func IsCodeMechanism(m string) bool { return m == MechEmail || m == MechSMS }

// MaxChallenges is the number of ordered challenges a profile can hold.
const MaxChallenges = 3

// AuthProfile is an authentication profile: up to three ordered challenges,
// each a set of mechanisms of which the user answers one.
type AuthProfile struct {
	ID                 string `gorm:"primaryKey"`
	Name               string
	NameKey            string
	Challenge1         string // space-separated mechanism ids
	Challenge2         string
	Challenge3         string
	PassThroughMinutes int
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Challenges returns the non-empty challenges in order.
func (p *AuthProfile) Challenges() [][]string {
	var out [][]string
	for _, c := range []string{p.Challenge1, p.Challenge2, p.Challenge3} {
		if mechs := strings.Fields(c); len(mechs) > 0 {
			out = append(out, mechs)
		}
	}
	return out
}

// SigningKey is an RSA key with its self-signed certificate. The kid is the
// certificate's SHA-1 thumbprint in upper-case hex. The private key is
// sealed with the server's secret key.
type SigningKey struct {
	Kid           string `gorm:"primaryKey"`
	CertDER       []byte `gorm:"column:cert_der"`
	PrivateKeyEnc []byte
	CreatedAt     time.Time
	RetiredAt     *time.Time
	PublishUntil  *time.Time
}

// UserToken is a minted icbt token. Only its SHA-256 hash is stored.
type UserToken struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    string
	ClientID  string
	SourceIP  string `gorm:"column:source_ip"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// MFA session states.
const (
	MFAActive   = "active"
	MFAFailed   = "failed"
	MFALaunched = "launched"
)

// MFASession is the server-side state of one /run flow, created when an
// icbt token is consumed. Passed counts the challenges answered so far.
type MFASession struct {
	ID                 string `gorm:"primaryKey"` // SHA-256 of the cookie value
	UserID             string
	AppID              string
	Status             string
	Passed             int
	AMR                string `gorm:"column:amr"` // space-separated mechanisms used
	Failures           int
	FailureURL         string `gorm:"column:failure_url"`
	ChallengeMechanism string
	CodeSends          int
	CreatedAt          time.Time
	ExpiresAt          time.Time
	FinishedAt         *time.Time
	// PassedThrough lists the challenges of the app's profile that this
	// session skips because the user passed them within the profile's
	// pass-through duration, as space-separated "index:mechanisms" entries
	// (see passThroughEntry). PassedThroughAt is the earliest of those
	// passes, or nil when nothing was skipped.
	PassedThrough   string     `gorm:"column:passed_through"`
	PassedThroughAt *time.Time `gorm:"column:passed_through_at"`
}

// MFAFailure records one wrong MFA answer of a user, so the lockout count is
// shared by every session and instance.
type MFAFailure struct {
	ID       int64 `gorm:"primaryKey"`
	UserID   string
	SourceIP string `gorm:"column:source_ip"`
	At       time.Time
}

// WebSession is the server-side state behind a portal session cookie.
type WebSession struct {
	ID         string `gorm:"primaryKey"` // SHA-256 of the cookie value
	Kind       string
	UserID     string
	Data       string // JSON object of session values
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// AuditEvent records who did what to which object, when and from where.
type AuditEvent struct {
	ID         int64 `gorm:"primaryKey"`
	At         time.Time
	ActorID    string
	ActorName  string
	Action     string
	ObjectType string
	ObjectID   string
	ObjectName string
	Outcome    string
	SourceIP   string `gorm:"column:source_ip"`
	RequestID  string
	Details    string
}

// OutboxMessage is a mail or SMS message kept for administrators to read,
// when no real delivery is configured.
type OutboxMessage struct {
	ID        int64 `gorm:"primaryKey"`
	Channel   string
	Recipient string
	Subject   string
	Body      string
	CreatedAt time.Time
}

// RevokedToken records the jti of a revoked access token until it expires.
type RevokedToken struct {
	JTI       string `gorm:"primaryKey;column:jti"`
	ExpiresAt time.Time
}

// Setting is one server-wide key/value setting kept in the database.
type Setting struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

func splitLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
