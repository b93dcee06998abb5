package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	runhandlers "github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
	runviews "github.com/portcullis-id/portcullis/views/run"
)

// Messages of the admin portal's MFA pages. msgMFAWrongAnswer is the one
// message for every rejected answer, and msgMFAEnded the one message for
// every sign-in that the challenges ended.
const (
	msgMFAWrongAnswer   = "That answer is not correct. Try again."
	msgMFAEnded         = "Too many wrong answers, or the account is locked for a while. Sign in again later."
	msgMFAExpired       = "The sign-in took too long. Sign in again."
	msgMFAResendTooSoon = "A code was sent less than 30 seconds ago. Wait a moment before asking for a new one."
	msgMFASendLimit     = "No more codes can be sent for this sign-in. Sign in again later."
	msgMFASendFailed    = "The code could not be sent. Try again in a minute."
	mfaPortalName       = "Admin Portal"
)

// sessionPendingMFA is the session value holding the JSON of the
// models.PortalMFA of a sign-in in stageMFA.
const sessionPendingMFA = "pending_mfa"

var (
	errNoPendingMFA = errors.New("no admin sign-in waiting for MFA")
	errMFAExpired   = errors.New("the admin sign-in waiting for MFA has expired")
)

// pendingMFA is a sign-in that passed the password and waits for the
// challenges of the admin portal's authentication profile.
type pendingMFA struct {
	user       *models.User
	challenges [][]string
	state      *models.PortalMFA
}

func savePendingMFA(c *fiber.Ctx, st *models.PortalMFA) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	sess := sessionOf(c)
	sess.Values[sessionPendingMFA] = string(raw)
	sess.Values[sessionStage] = stageMFA
	markDirty(c)
	return nil
}

// dropPendingMFA ends a sign-in in stageMFA. The session keeps its id: it
// never held a right, and the next password step regenerates it.
func dropPendingMFA(c *fiber.Ctx) {
	sess := sessionOf(c)
	delete(sess.Values, sessionPendingMFA)
	delete(sess.Values, sessionStage)
	markDirty(c)
}

// loadPendingMFA returns the sign-in of the session that waits for MFA,
// with the challenges as the profile names them now.
func (p *portal) loadPendingMFA(c *fiber.Ctx) (*pendingMFA, error) {
	sess := sessionOf(c)
	if sess == nil || sess.String(sessionStage) != stageMFA {
		return nil, errNoPendingMFA
	}
	var st models.PortalMFA
	if err := json.Unmarshal([]byte(sess.String(sessionPendingMFA)), &st); err != nil {
		return nil, errNoPendingMFA
	}
	if st.Expired(p.store.Now()) {
		return nil, errMFAExpired
	}
	ctx := c.UserContext()
	user, err := p.store.UserByID(ctx, st.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errNoPendingMFA
	}
	if err != nil {
		return nil, err
	}
	challenges, err := p.store.PortalChallenges(ctx, models.SettingAdminPortalProfile)
	if err != nil {
		return nil, err
	}
	return &pendingMFA{user: user, challenges: challenges, state: &st}, nil
}

// showMFA renders the current challenge, choosing the only mechanism at
// once and sending its code. A user enrolled in none of the challenge's
// mechanisms gets a page that explains it, and the sign-in ends there.
func (p *portal) showMFA(c *fiber.Ctx) error {
	pm, err := p.loadPendingMFA(c)
	if err != nil {
		return p.mfaError(c, nil, err)
	}
	if pm.state.Passed >= len(pm.challenges) {
		return p.completeMFA(c, pm)
	}
	options := models.ChallengeOptions(pm.user, pm.challenges, pm.state.Passed)
	if len(options) == 0 {
		return p.mfaNotEnrolled(c, pm)
	}

	var errText, notice string
	if pm.state.Mechanism == "" && len(options) == 1 {
		if err := models.ChoosePortalMechanism(pm.user, pm.challenges, pm.state, pm.state.Passed, options[0]); err != nil {
			return err
		}
		if models.IsCodeMechanism(pm.state.Mechanism) {
			errText, notice = p.sendMFACode(c, pm)
		}
	}
	return p.renderMFA(c, pm, errText, notice)
}

// chooseMFA handles POST /admin/mfa/choose: pick a mechanism, or "" to go
// back to the list. A code mechanism sends its code at once.
func (p *portal) chooseMFA(c *fiber.Ctx) error {
	pm, err := p.loadPendingMFA(c)
	if err != nil {
		return p.mfaError(c, nil, err)
	}
	step, _ := strconv.Atoi(postValue(c, "step"))
	if err := models.ChoosePortalMechanism(pm.user, pm.challenges, pm.state, step, postValue(c, "mechanism")); err != nil {
		return c.Redirect("/admin/mfa", fiber.StatusSeeOther)
	}
	var errText, notice string
	if models.IsCodeMechanism(pm.state.Mechanism) {
		errText, notice = p.sendMFACode(c, pm)
	}
	return p.renderMFA(c, pm, errText, notice)
}

// answerMFA handles POST /admin/mfa/answer. Wrong answers count towards
// the sign-in's limit and the user's MFA lockout, which /run shares.
func (p *portal) answerMFA(c *fiber.Ctx) error {
	pm, err := p.loadPendingMFA(c)
	if err != nil {
		return p.mfaError(c, nil, err)
	}
	ctx := c.UserContext()
	step, err := strconv.Atoi(postValue(c, "step"))
	if err != nil {
		step = -1
	}
	in := models.MFAAnswer{Step: step, Mechanism: postValue(c, "mechanism"), Answer: postValue(c, "answer"), SourceIP: c.IP()}

	err = p.store.AnswerPortalChallenge(ctx, pm.user, pm.challenges, pm.state, in)
	if err != nil && !errors.Is(err, models.ErrMFAStale) {
		p.log.InfoContext(ctx, "admin mfa answer rejected", "request_id", middleware.GetRequestID(c), "user_id", pm.user.ID,
			"mechanism", in.Mechanism, "step", in.Step+1, "error", err.Error(), "remote_ip", c.IP())
	}
	switch {
	case errors.Is(err, models.ErrMFAStale):
		return c.Redirect("/admin/mfa", fiber.StatusSeeOther)
	case errors.Is(err, models.ErrMFAWrongAnswer):
		return p.renderMFA(c, pm, msgMFAWrongAnswer, "")
	case err != nil:
		return p.mfaError(c, pm, err)
	}

	if pm.state.Passed >= len(pm.challenges) {
		return p.completeMFA(c, pm)
	}
	// A passed challenge is a step up in privilege, so the id changes.
	if err := regenerate(c); err != nil {
		return err
	}
	if err := savePendingMFA(c, pm.state); err != nil {
		return err
	}
	return c.Redirect("/admin/mfa", fiber.StatusSeeOther)
}

// resendMFA handles POST /admin/mfa/resend: a new email or SMS code,
// within the sign-in's limits.
func (p *portal) resendMFA(c *fiber.Ctx) error {
	pm, err := p.loadPendingMFA(c)
	if err != nil {
		return p.mfaError(c, nil, err)
	}
	errText, notice := p.sendMFACode(c, pm)
	return p.renderMFA(c, pm, errText, notice)
}

// completeMFA signs in a user whose challenges have all passed, with a
// new session id.
func (p *portal) completeMFA(c *fiber.Ctx, pm *pendingMFA) error {
	if err := regenerate(c); err != nil {
		return err
	}
	actor := models.Actor{UserID: pm.user.ID, Name: pm.user.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	return p.finishSignIn(c, actor, pm.user, append([]string{models.MechPassword}, pm.state.AMR...))
}

// sendMFACode issues and delivers a code for the chosen mechanism and
// returns the error or notice the page shows.
func (p *portal) sendMFACode(c *fiber.Ctx, pm *pendingMFA) (string, string) {
	ctx := c.UserContext()
	code, err := p.store.IssuePortalCode(pm.user, pm.state)
	switch {
	case errors.Is(err, models.ErrCodeResendTooSoon):
		return msgMFAResendTooSoon, ""
	case errors.Is(err, models.ErrCodeSendLimit):
		return msgMFASendLimit, ""
	case err != nil:
		p.log.ErrorContext(ctx, "issuing an admin sign-in code failed", "request_id", middleware.GetRequestID(c), "user_id", pm.user.ID, "error", err)
		return msgMFASendFailed, ""
	}
	if err := p.notifier.SendCode(ctx, code.Mechanism, code.Destination, code.Code, "the Portcullis admin portal"); err != nil {
		p.log.ErrorContext(ctx, "sending an admin sign-in code failed", "request_id", middleware.GetRequestID(c), "user_id", pm.user.ID,
			"mechanism", code.Mechanism, "error", err)
		p.store.WithdrawPortalCode(pm.user, pm.state, code)
		return msgMFASendFailed, ""
	}
	return "", "We sent a code to " + maskDestination(code.Mechanism, code.Destination) + "."
}

// renderMFA saves the sign-in state and renders its current challenge with
// the challenge page of /run.
func (p *portal) renderMFA(c *fiber.Ctx, pm *pendingMFA, errText, notice string) error {
	if err := savePendingMFA(c, pm.state); err != nil {
		return err
	}
	page := runhandlers.ChallengePageFor(runhandlers.ChallengeInput{
		Base:       "/admin/mfa",
		AppName:    mfaPortalName,
		User:       pm.user,
		Challenges: pm.challenges,
		Step:       pm.state.Passed,
		Mechanism:  pm.state.Mechanism,
		TriesLeft:  p.store.Settings.MFAMaxSessionFailures - pm.state.Failures,
		NoCodeSent: models.IsCodeMechanism(pm.state.Mechanism) && !pm.state.CodeSent(pm.user, p.store.Now()),
	})
	page.CSRF = csrfToken(c)
	page.Error, page.Notice = errText, notice
	return render(c, fiber.StatusOK, runviews.Challenge(page))
}

// mfaNotEnrolled ends a sign-in whose current challenge allows no
// mechanism the user is enrolled in, which the user cannot get past. The
// sign-in is audited as failed and the page names the allowed mechanisms.
func (p *portal) mfaNotEnrolled(c *fiber.Ctx, pm *pendingMFA) error {
	step := pm.state.Passed
	dropPendingMFA(c)
	reason := fmt.Sprintf("mfa_not_enrolled: challenge %d of %d allows %s", step+1, len(pm.challenges), strings.Join(pm.challenges[step], ", "))
	if err := p.auditMFAFailure(c, pm.user, reason); err != nil {
		return err
	}
	page := views.MFANotEnrolledPage{StepNumber: step + 1, StepCount: len(pm.challenges)}
	for _, m := range pm.challenges[step] {
		page.Allowed = append(page.Allowed, models.MechanismLabels[m])
	}
	return render(c, fiber.StatusForbidden, views.MFANotEnrolled(page))
}

// mfaError ends a sign-in that the challenges failed, or sends a request
// without one to the sign-in page. pm is nil when the state did not load.
func (p *portal) mfaError(c *fiber.Ctx, pm *pendingMFA, err error) error {
	switch {
	case errors.Is(err, errNoPendingMFA):
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	case errors.Is(err, errMFAExpired):
		dropPendingMFA(c)
		return redirectWithFlash(c, "/admin/login", msgMFAExpired)
	case errors.Is(err, models.ErrMFAFailed), errors.Is(err, models.ErrUserLocked), errors.Is(err, models.ErrUserDisabled):
		dropPendingMFA(c)
		if pm != nil {
			if aerr := p.auditMFAFailure(c, pm.user, "mfa: "+err.Error()); aerr != nil {
				return aerr
			}
		}
		return render(c, fiber.StatusForbidden, views.Login(views.LoginPage{CSRF: csrfToken(c), Error: msgMFAEnded}))
	}
	return err
}

func (p *portal) auditMFAFailure(c *fiber.Ctx, user *models.User, reason string) error {
	actor := models.Actor{UserID: user.ID, Name: user.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	p.log.InfoContext(c.UserContext(), "admin sign-in failed at MFA", "request_id", actor.RequestID, "user_id", user.ID, "reason", reason)
	return p.store.RecordAudit(c.UserContext(), actor, models.AuditEntry{
		Action: "admin.sign_in", ObjectType: "user", ObjectID: user.ID, ObjectName: user.LoginName,
		Outcome: models.OutcomeFailure, Details: "reason: " + reason,
	})
}

// postValue returns a field of a urlencoded POST body. Unlike c.FormValue
// it never reads the query string, so an answer cannot ride in a link.
func postValue(c *fiber.Ctx, name string) string {
	return string(c.Request().PostArgs().Peek(name))
}

func maskDestination(mechanism, destination string) string {
	if mechanism == models.MechEmail {
		return models.MaskEmail(destination)
	}
	return models.MaskPhone(destination)
}
