package my

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	runhandlers "github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/handlers/session"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/my"
	runviews "github.com/portcullis-id/portcullis/views/run"
)

// Messages of the sign-in. msgSignInFailed is the one message for every
// failed password sign-in, whatever the reason.
const (
	msgSignInFailed  = "The login name or password is incorrect, or this account cannot sign in here."
	msgMFAEnded      = "Too many wrong answers, or the account is locked for a while. Sign in again later."
	msgWrongAnswer   = "That answer is not correct. Try again."
	msgNotEnrolled   = "You cannot sign in here yet: the portal asks for a method you have not set up. Ask your administrator for help."
	msgMFAExpired    = "The sign-in took too long. Sign in again."
	msgResendTooSoon = "A code was sent there less than 30 seconds ago. Enter that code, or wait a moment before asking for a new one."
	msgSendLimit     = "No more codes can be sent there in this sign-in. Use another method if you have one, or sign in again later."
	msgSendFailed    = "The code could not be sent. Try again in a minute."
	portalName       = "Your account"
)

// maxLoginInputBytes bounds what a sign-in hashes.
const maxLoginInputBytes = 1024

func (h *handler) showLogin(c *fiber.Ctx) error {
	s, err := h.load(c)
	if err != nil {
		return err
	}
	if s.UserID() != "" {
		return c.Redirect("/my", fiber.StatusSeeOther)
	}
	return h.render(c, fiber.StatusOK, views.Login(views.LoginPage{CSRF: csrfOf(c), Notice: popNotice(s)}))
}

// login checks the password. Every failure renders the same page with the
// same status and message, and an unknown login name still costs one
// password hash, so neither the answer nor its timing tells whether the
// account exists.
func (h *handler) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	loginName := truncate(strings.TrimSpace(postValue(c, "login_name")))
	password := truncate(postValue(c, "password"))

	actor := models.Actor{Name: loginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	user, reason, err := h.checkCredentials(ctx, actor, password)
	if err != nil {
		return err
	}
	if reason != "" {
		h.logger(c).InfoContext(ctx, "user portal sign-in failed", "reason", reason, "source_ip", c.IP())
		return h.render(c, fiber.StatusUnauthorized, views.Login(views.LoginPage{CSRF: csrfOf(c), LoginName: loginName, Error: msgSignInFailed}))
	}

	s := sessionOf(c)
	if err := regenerate(s); err != nil {
		return err
	}
	challenges, err := h.store.PortalChallenges(ctx, models.SettingUserPortalProfile)
	if err != nil {
		return err
	}
	if len(challenges) == 0 {
		return h.completeSignIn(c, user, nil)
	}
	st, err := models.NewPortalMFA(user.ID, h.store.Now())
	if err != nil {
		return err
	}
	if err := savePortalMFA(s, st); err != nil {
		return err
	}
	return h.redirect(c, "/my/mfa")
}

func truncate(s string) string {
	if len(s) > maxLoginInputBytes {
		return s[:maxLoginInputBytes]
	}
	return s
}

// checkCredentials returns the user when the password is right and the
// user may use the portal, or a reason for the log otherwise. Wrong
// passwords count towards the per-name lockout that the admin portal
// shares.
func (h *handler) checkCredentials(ctx context.Context, actor models.Actor, password string) (*models.User, string, error) {
	check, err := h.store.CheckSignInPassword(ctx, models.PasswordSignIn{LoginName: actor.Name, Password: password, Actor: actor})
	if err != nil {
		return nil, "", err
	}
	user := check.User
	switch {
	case check.Reason != "":
		return nil, check.Reason, nil
	case user.Disabled:
		return nil, "disabled", nil
	case user.IsLockedAt(h.store.Now()):
		return nil, "locked", nil
	case user.IsServiceUser:
		return nil, "service_user", nil
	}
	return user, "", nil
}

// completeSignIn turns the session into a signed-in one with a new id.
// amr lists the mechanisms the portal's challenges asked. A sign-in that
// answered a second factor counts as a fresh challenge, one with the
// password alone does not.
func (h *handler) completeSignIn(c *fiber.Ctx, user *models.User, amr []string) error {
	s := sessionOf(c)
	if err := regenerate(s); err != nil {
		return err
	}
	delete(s.Values, keyPendingMFA)
	delete(s.Values, keyStepUp)
	s.Values[session.KeyUserID] = user.ID
	delete(s.Values, keyStepUpAt)
	if hasSecondFactor(amr) {
		s.Values[keyStepUpAt] = h.store.Now().Unix()
	}
	if err := h.audit(c, user, "my.sign_in", models.OutcomeSuccess); err != nil {
		return err
	}
	h.logger(c).InfoContext(c.UserContext(), "user portal sign-in", "user_id", user.ID)
	return h.redirect(c, "/my")
}

func (h *handler) logout(c *fiber.Ctx) error {
	if err := sessionOf(c).Destroy(); err != nil {
		return err
	}
	return c.Redirect("/my/login", fiber.StatusSeeOther)
}

// portalMFA is a sign-in waiting for its challenges.
type portalMFA struct {
	user       *models.User
	challenges [][]string
	state      *models.PortalMFA
}

func savePortalMFA(s *session.Session, st *models.PortalMFA) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	s.Values[keyPendingMFA] = string(raw)
	return nil
}

var (
	errNoPendingMFA = errors.New("no sign-in waiting for MFA")
	errMFAExpired   = errors.New("the sign-in waiting for MFA has expired")
)

// loadPortalMFA returns the sign-in waiting for its challenges.
func (h *handler) loadPortalMFA(c *fiber.Ctx) (*portalMFA, error) {
	s, err := h.load(c)
	if err != nil {
		return nil, err
	}
	raw := s.String(keyPendingMFA)
	if raw == "" {
		return nil, errNoPendingMFA
	}
	var st models.PortalMFA
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return nil, errNoPendingMFA
	}
	if st.Expired(h.store.Now()) {
		return nil, errMFAExpired
	}
	user, err := h.store.UserByID(c.UserContext(), st.UserID)
	if err != nil {
		return nil, errNoPendingMFA
	}
	challenges, err := h.store.PortalChallenges(c.UserContext(), models.SettingUserPortalProfile)
	if err != nil {
		return nil, err
	}
	return &portalMFA{user: user, challenges: challenges, state: &st}, nil
}

// showMFA renders the current challenge of the sign-in, choosing the only
// mechanism at once and sending its code.
func (h *handler) showMFA(c *fiber.Ctx) error {
	p, err := h.loadPortalMFA(c)
	if err != nil {
		return h.mfaError(c, err)
	}
	if p.state.Passed >= len(p.challenges) {
		return h.completeSignIn(c, p.user, p.state.AMR)
	}
	options := models.ChallengeOptions(p.user, p.challenges, p.state.Passed)
	if len(options) == 0 {
		return h.notEnrolled(c, p)
	}
	var errText, notice string
	if p.state.Mechanism == "" && len(options) == 1 {
		if err := models.ChoosePortalMechanism(p.user, p.challenges, p.state, p.state.Passed, options[0]); err != nil {
			return err
		}
		if models.IsCodeMechanism(p.state.Mechanism) {
			errText, notice = h.sendPortalCode(c, p)
		}
	}
	return h.renderMFA(c, p, errText, notice)
}

func (h *handler) chooseMFA(c *fiber.Ctx) error {
	p, err := h.loadPortalMFA(c)
	if err != nil {
		return h.mfaError(c, err)
	}
	step, _ := strconv.Atoi(postValue(c, "step"))
	if err := models.ChoosePortalMechanism(p.user, p.challenges, p.state, step, postValue(c, "mechanism")); err != nil {
		return h.redirect(c, "/my/mfa")
	}
	var errText, notice string
	if models.IsCodeMechanism(p.state.Mechanism) {
		errText, notice = h.sendPortalCode(c, p)
	}
	return h.renderMFA(c, p, errText, notice)
}

func (h *handler) answerMFA(c *fiber.Ctx) error {
	p, err := h.loadPortalMFA(c)
	if err != nil {
		return h.mfaError(c, err)
	}
	step, err := strconv.Atoi(postValue(c, "step"))
	if err != nil {
		step = -1
	}
	in := models.MFAAnswer{Step: step, Mechanism: postValue(c, "mechanism"), Answer: postValue(c, "answer"), SourceIP: c.IP()}

	err = h.store.AnswerPortalChallenge(c.UserContext(), p.user, p.challenges, p.state, in)
	if err != nil && !errors.Is(err, models.ErrMFAStale) {
		h.logger(c).InfoContext(c.UserContext(), "user portal mfa answer rejected", "user_id", p.user.ID,
			"mechanism", in.Mechanism, "step", in.Step+1, "error", err.Error(), "source_ip", c.IP())
	}

	switch {
	case errors.Is(err, models.ErrMFAStale):
		return h.redirect(c, "/my/mfa")
	case errors.Is(err, models.ErrMFAWrongAnswer):
		if err := savePortalMFA(sessionOf(c), p.state); err != nil {
			return err
		}
		return h.renderMFA(c, p, msgWrongAnswer, "")
	case err != nil:
		return h.mfaError(c, err)
	}
	if p.state.Passed >= len(p.challenges) {
		return h.completeSignIn(c, p.user, p.state.AMR)
	}
	// A passed challenge is a step up in privilege, so the id changes.
	if err := regenerate(sessionOf(c)); err != nil {
		return err
	}
	if err := savePortalMFA(sessionOf(c), p.state); err != nil {
		return err
	}
	return h.redirect(c, "/my/mfa")
}

func (h *handler) resendMFA(c *fiber.Ctx) error {
	p, err := h.loadPortalMFA(c)
	if err != nil {
		return h.mfaError(c, err)
	}
	errText, notice := h.sendPortalCode(c, p)
	return h.renderMFA(c, p, errText, notice)
}

// sendPortalCode issues and delivers a code for the chosen mechanism and
// returns the error or notice the page shows.
func (h *handler) sendPortalCode(c *fiber.Ctx, p *portalMFA) (string, string) {
	code, err := h.store.IssuePortalCode(p.user, p.state)
	switch {
	case errors.Is(err, models.ErrCodeResendTooSoon):
		return msgResendTooSoon, ""
	case errors.Is(err, models.ErrCodeSendLimit):
		return msgSendLimit, ""
	case err != nil:
		h.logger(c).ErrorContext(c.UserContext(), "issuing a user portal code failed", "user_id", p.user.ID, "error", err)
		return msgSendFailed, ""
	}
	if err := h.notifier.SendCode(c.UserContext(), code.Mechanism, code.Destination, code.Code, "your Portcullis account"); err != nil {
		h.logger(c).ErrorContext(c.UserContext(), "sending a user portal code failed", "user_id", p.user.ID, "mechanism", code.Mechanism, "error", err)
		h.store.WithdrawPortalCode(p.user, p.state, code)
		return msgSendFailed, ""
	}
	return "", "We sent a code to " + maskDestination(code.Mechanism, code.Destination) + "."
}

// renderMFA saves the sign-in state and renders its current challenge.
func (h *handler) renderMFA(c *fiber.Ctx, p *portalMFA, errText, notice string) error {
	if err := savePortalMFA(sessionOf(c), p.state); err != nil {
		return err
	}
	left := h.store.Settings.MFAMaxSessionFailures - p.state.Failures
	page := runhandlers.ChallengePageFor(runhandlers.ChallengeInput{
		Base:       "/my/mfa",
		AppName:    portalName,
		User:       p.user,
		Challenges: p.challenges,
		Step:       p.state.Passed,
		Mechanism:  p.state.Mechanism,
		TriesLeft:  left,
		NoCodeSent: models.IsCodeMechanism(p.state.Mechanism) && !p.state.CodeSent(p.user, h.store.Now()),
	})
	page.CSRF = csrfOf(c)
	page.Error, page.Notice = errText, notice
	return h.render(c, fiber.StatusOK, runviews.Challenge(page))
}

// mfaError ends a sign-in whose challenges failed, or sends a request
// without one to the sign-in page.
func (h *handler) mfaError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, errNoPendingMFA):
		return c.Redirect("/my/login", fiber.StatusSeeOther)
	case errors.Is(err, errMFAExpired):
		delete(sessionOf(c).Values, keyPendingMFA)
		return h.redirectWithNotice(c, "/my/login", msgMFAExpired)
	case errors.Is(err, models.ErrMFAFailed), errors.Is(err, models.ErrUserLocked), errors.Is(err, models.ErrUserDisabled):
		s := sessionOf(c)
		if err := regenerate(s); err != nil {
			return err
		}
		delete(s.Values, keyPendingMFA)
		return h.render(c, fiber.StatusForbidden, views.Login(views.LoginPage{CSRF: csrfOf(c), Error: msgMFAEnded}))
	}
	return err
}

// notEnrolled ends a sign-in whose current challenge allows no mechanism
// the user is enrolled in. The user cannot get past it, so the sign-in is
// dropped, audited and explained.
func (h *handler) notEnrolled(c *fiber.Ctx, p *portalMFA) error {
	step := p.state.Passed
	delete(sessionOf(c).Values, keyPendingMFA)
	if err := sessionOf(c).Save(); err != nil {
		return err
	}
	actor := models.Actor{UserID: p.user.ID, Name: p.user.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	err := h.store.RecordAudit(c.UserContext(), actor, models.AuditEntry{
		Action: "my.sign_in", ObjectType: "user", ObjectID: p.user.ID, ObjectName: p.user.LoginName, Outcome: models.OutcomeFailure,
		Details: fmt.Sprintf("reason: not enrolled in any mechanism of challenge %d (%s)", step+1, strings.Join(p.challenges[step], ", ")),
	})
	if err != nil {
		return err
	}
	h.logger(c).InfoContext(c.UserContext(), "user portal challenge has no mechanism the user is enrolled in", "user_id", p.user.ID, "step", step+1)
	return middleware.NewHTTPError(fiber.StatusForbidden, msgNotEnrolled, errors.New("user portal challenge has no enrolled mechanism"))
}

func maskDestination(mechanism, destination string) string {
	if mechanism == models.MechEmail {
		return models.MaskEmail(destination)
	}
	return models.MaskPhone(destination)
}

func popNotice(s *session.Session) string {
	notice := s.String(keyNotice)
	delete(s.Values, keyNotice)
	return notice
}
