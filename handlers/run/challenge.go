package run

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/run"
)

// User-facing messages of the challenge page. msgWrongAnswer is the one
// message for every rejected answer, whatever the reason.
const (
	msgWrongAnswer   = "That answer is not correct. Try again."
	msgNoSession     = "There is no sign-in in progress in this browser. Go back to the app and start again."
	msgResendTooSoon = "A code was sent there less than 30 seconds ago. Enter that code, or wait a moment before asking for a new one."
	msgSendLimit     = "No more codes can be sent there in this sign-in. Use another method if you have one, or go back to the app and start again."
	msgSendFailed    = "The code could not be sent. Try again in a minute."
)

// triesLeftShownBelow is the number of remaining tries from which the
// page starts showing the count.
const triesLeftShownBelow = 4

// showChallenge renders the current challenge. A challenge with a single
// mechanism the user is enrolled in is chosen at once, and a code is sent
// when that mechanism needs one.
func (h *handler) showChallenge(c *fiber.Ctx) error {
	ms, st, err := h.loadState(c)
	if err != nil {
		return h.fail(c, ms, st, err)
	}
	if st.Done() {
		return h.launch(c, ms, st)
	}
	if len(st.Options) == 0 {
		return h.renderNotEnrolled(c, ms, st)
	}

	// The page renders from the state loaded above unless sending a code
	// changes it.
	page := challengePage{state: st}
	if st.Mechanism() == "" && len(st.Options) == 1 {
		st, err = h.store.ChooseMFAMechanismIn(c.UserContext(), st, st.Step, st.Options[0])
		if err != nil {
			return h.stateError(c, ms, st, err)
		}
		page.state = st
		if models.IsCodeMechanism(st.Mechanism()) {
			page = h.sendCode(c, ms)
		}
	}
	return h.renderChallenge(c, ms, page)
}

// loadState returns the MFA session of the request with its state.
func (h *handler) loadState(c *fiber.Ctx) (*mfaSession, *models.MFAState, error) {
	ms, err := h.loadSession(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := h.store.MFAStateByToken(c.UserContext(), ms.token)
	return ms, st, err
}

// loadPost is loadState for a form post: it also checks the CSRF token.
func (h *handler) loadPost(c *fiber.Ctx) (*mfaSession, *models.MFAState, error) {
	ms, err := h.loadSession(c)
	if err != nil {
		return nil, nil, err
	}
	if err := h.checkCSRF(c, ms); err != nil {
		return nil, nil, err
	}
	st, err := h.store.MFAStateByToken(c.UserContext(), ms.token)
	return ms, st, err
}

// choose handles POST /run/choose: pick a mechanism, or "" to go back to
// the list. A code mechanism sends its code at once.
func (h *handler) choose(c *fiber.Ctx) error {
	ms, st, err := h.loadPost(c)
	if err != nil {
		return h.fail(c, ms, st, err)
	}
	step, _ := strconv.Atoi(postValue(c, "step"))
	st, err = h.store.ChooseMFAMechanism(c.UserContext(), ms.token, step, postValue(c, "mechanism"))
	if err != nil {
		return h.stateError(c, ms, st, err)
	}
	if !models.IsCodeMechanism(st.Mechanism()) {
		return c.Redirect("/run/challenge", fiber.StatusSeeOther)
	}
	return h.renderChallenge(c, ms, h.sendCode(c, ms))
}

// answer handles POST /run/answer.
func (h *handler) answer(c *fiber.Ctx) error {
	ms, st, err := h.loadPost(c)
	if err != nil {
		return h.fail(c, ms, st, err)
	}
	step, err := strconv.Atoi(postValue(c, "step"))
	if err != nil {
		step = -1
	}
	in := models.MFAAnswer{
		Step:      step,
		Mechanism: postValue(c, "mechanism"),
		Answer:    postValue(c, "answer"),
		SourceIP:  c.IP(),
	}
	st, err = h.store.AnswerMFAChallenge(c.UserContext(), ms.token, in)
	if st != nil && isRejection(err) {
		h.logger(c).InfoContext(c.UserContext(), "mfa answer rejected", "user_id", st.User.ID, "app_key", st.App.AppKey,
			"mechanism", in.Mechanism, "step", in.Step+1, "tries_left", st.TriesLeft, "outcome", rejectionOutcome(err), "source_ip", c.IP())
	}
	switch {
	case errors.Is(err, models.ErrMFAWrongAnswer):
		return h.renderChallenge(c, ms, challengePage{errorText: msgWrongAnswer, state: st})
	case err != nil:
		return h.stateError(c, ms, st, err)
	}

	h.logger(c).InfoContext(c.UserContext(), "mfa challenge passed", "user_id", st.User.ID, "app_key", st.App.AppKey,
		"mechanism", in.Mechanism, "step", in.Step+1)
	if st.Done() {
		return h.launch(c, ms, st)
	}
	return c.Redirect("/run/challenge", fiber.StatusSeeOther)
}

// isRejection reports whether err is the engine's verdict on a wrong
// answer, as opposed to a stale form or a session that had already ended.
func isRejection(err error) bool {
	return errors.Is(err, models.ErrMFAWrongAnswer) || errors.Is(err, models.ErrMFAFailed) || errors.Is(err, models.ErrUserLocked)
}

// rejectionOutcome names what a rejected answer led to, for the log.
func rejectionOutcome(err error) string {
	switch {
	case errors.Is(err, models.ErrUserLocked):
		return "user_locked"
	case errors.Is(err, models.ErrMFAFailed):
		return "session_failed"
	}
	return "retry"
}

// resend handles POST /run/resend: a new email or SMS code, within the
// session's rate limits.
func (h *handler) resend(c *fiber.Ctx) error {
	ms, st, err := h.loadPost(c)
	if err != nil {
		return h.fail(c, ms, st, err)
	}
	return h.renderChallenge(c, ms, h.sendCode(c, ms))
}

// sendCode issues a code for the chosen mechanism and delivers it. It
// returns the notice or error the page shows about the delivery.
func (h *handler) sendCode(c *fiber.Ctx, ms *mfaSession) challengePage {
	ctx := c.UserContext()
	code, st, err := h.store.IssueMFACode(ctx, ms.token)
	switch {
	case errors.Is(err, models.ErrCodeResendTooSoon):
		return challengePage{errorText: msgResendTooSoon}
	case errors.Is(err, models.ErrCodeSendLimit):
		return challengePage{errorText: msgSendLimit}
	case err != nil:
		// The page is rendered again from a fresh state, which reports
		// the session error itself.
		return challengePage{}
	}

	log := h.logger(c).With("user_id", st.User.ID, "app_key", st.App.AppKey, "mechanism", code.Mechanism)
	if err := h.notifier.SendCode(ctx, code.Mechanism, code.Destination, code.Code, st.App.Name); err != nil {
		log.ErrorContext(ctx, "sending the MFA code failed", "error", err)
		// The page must not ask for a code that never arrived.
		if werr := h.store.WithdrawMFACode(ctx, st, code); werr != nil {
			log.ErrorContext(ctx, "withdrawing the undelivered MFA code failed", "error", werr)
		}
		return challengePage{errorText: msgSendFailed}
	}
	log.InfoContext(ctx, "mfa code sent")
	return challengePage{noticeText: "We sent a code to " + maskedDestination(code.Mechanism, code.Destination) + "."}
}

// stateError handles the errors of the engine's operations: a stale form
// shows the current challenge again, anything else ends the flow.
func (h *handler) stateError(c *fiber.Ctx, ms *mfaSession, st *models.MFAState, err error) error {
	if errors.Is(err, models.ErrMFAStale) {
		return c.Redirect("/run/challenge", fiber.StatusSeeOther)
	}
	return h.fail(c, ms, st, err)
}

// challengePage carries what one request adds to the challenge page.
type challengePage struct {
	errorText  string
	noticeText string
	// state, when set, is used instead of loading the state again.
	state *models.MFAState
}

// renderChallenge renders the current challenge from the stored state.
func (h *handler) renderChallenge(c *fiber.Ctx, ms *mfaSession, extra challengePage) error {
	st := extra.state
	if st == nil {
		var err error
		if st, err = h.store.MFAStateByToken(c.UserContext(), ms.token); err != nil {
			return h.fail(c, ms, st, err)
		}
	}
	if st.Done() {
		return h.launch(c, ms, st)
	}
	if len(st.Options) == 0 {
		return h.renderNotEnrolled(c, ms, st)
	}

	codeSent, err := h.store.MFACodeSent(c.UserContext(), st)
	if err != nil {
		return err
	}
	p := ChallengePageFor(ChallengeInput{
		Base:       "/run",
		AppName:    st.App.Name,
		User:       st.User,
		Challenges: st.Challenges,
		Step:       st.Step,
		Mechanism:  st.Mechanism(),
		TriesLeft:  st.TriesLeft,
		NoCodeSent: models.IsCodeMechanism(st.Mechanism()) && !codeSent,
	})
	p.CSRF = h.csrfFor(ms.token)
	p.Error, p.Notice = extra.errorText, extra.noticeText
	return render(c, fiber.StatusOK, views.Challenge(p))
}

// ChallengeInput is what ChallengePageFor needs to describe a challenge.
type ChallengeInput struct {
	Base       string
	AppName    string
	User       *models.User
	Challenges [][]string
	Step       int
	Mechanism  string
	TriesLeft  int
	// NoCodeSent is set when no valid code was sent for the chosen email
	// or SMS mechanism, so the page offers to send one instead of asking
	// for it.
	NoCodeSent bool
}

// ChallengePageFor returns the view model of a challenge: the list of the
// user's mechanisms while none is chosen, else the answer form of the
// chosen one. The caller adds the CSRF token and any message. The user
// portal uses it for its own sign-in challenges.
func ChallengePageFor(in ChallengeInput) views.ChallengePage {
	options := models.ChallengeOptions(in.User, in.Challenges, in.Step)
	p := views.ChallengePage{
		Base:          in.Base,
		AppName:       in.AppName,
		StepNumber:    in.Step + 1,
		StepCount:     len(in.Challenges),
		Step:          in.Step,
		Mechanism:     in.Mechanism,
		TriesLeft:     in.TriesLeft,
		ShowTriesLeft: in.TriesLeft < triesLeftShownBelow,
		CanSwitch:     len(options) > 1,
	}
	if p.Mechanism == "" {
		for _, m := range options {
			p.Choices = append(p.Choices, views.Choice{Mechanism: m, Label: models.MechanismLabels[m], Detail: destinationOf(in.User, m)})
		}
		return p
	}

	p.Label = models.MechanismLabels[p.Mechanism]
	switch p.Mechanism {
	case models.MechOATH:
		p.Prompt, p.InputKind = "Enter the 6-digit code from your authenticator app.", "code"
	case models.MechEmail, models.MechSMS:
		p.Prompt, p.InputKind = "Enter the 6-digit code we sent to", "code"
		if in.NoCodeSent {
			p.Prompt = "We have not sent a valid code to"
		}
		p.Destination = destinationOf(in.User, p.Mechanism)
		p.CanResend = true
		p.NoCodeSent = in.NoCodeSent
	case models.MechSecurityQuestion:
		p.Prompt, p.InputKind = "Answer your security question.", "text"
		p.Question = in.User.SecurityQuestion
	case models.MechPassword:
		p.Prompt, p.InputKind = "Enter your password.", "password"
	}
	return p
}

// renderNotEnrolled ends a flow whose current challenge allows no
// mechanism the user is enrolled in. With a failure URL the session fails
// and the browser goes there with error=not_enrolled. Otherwise a page
// names the allowed mechanisms and links to the user portal.
func (h *handler) renderNotEnrolled(c *fiber.Ctx, ms *mfaSession, st *models.MFAState) error {
	ctx := c.UserContext()
	h.logger(c).InfoContext(ctx, "mfa challenge has no mechanism the user is enrolled in",
		"user_id", st.User.ID, "app_key", st.App.AppKey, "step", st.Step+1)

	if st.Session.FailureURL != "" {
		if err := h.store.FailMFASession(ctx, ms.token); err != nil {
			return err
		}
		h.audit(c, st, "mfa.fail", models.OutcomeFailure)
		h.endSession(c)
		return redirectFailure(c, st.Session.FailureURL, errorNotEnrolled)
	}

	p := views.NotEnrolledPage{AppName: st.App.Name, StepNumber: st.Step + 1, StepCount: len(st.Challenges), EnrollURL: "/my"}
	for _, m := range st.Challenges[st.Step] {
		p.Allowed = append(p.Allowed, models.MechanismLabels[m])
	}
	return render(c, fiber.StatusForbidden, views.NotEnrolled(p))
}

// destinationOf returns the masked destination of a code mechanism.
func destinationOf(u *models.User, mechanism string) string {
	switch mechanism {
	case models.MechEmail:
		return models.MaskEmail(u.Email)
	case models.MechSMS:
		return models.MaskPhone(u.MobileNumber)
	}
	return ""
}

func maskedDestination(mechanism, destination string) string {
	if mechanism == models.MechEmail {
		return models.MaskEmail(destination)
	}
	return models.MaskPhone(destination)
}

// noSession is the error page for a request without an MFA session.
func noSession(cause error) error {
	return middleware.NewHTTPError(fiber.StatusUnauthorized, msgNoSession, cause)
}
