package my

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	runhandlers "github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/my"
	runviews "github.com/portcullis-id/portcullis/views/run"
)

// secondFactors are the mechanisms that a fresh challenge accepts: every
// factor but the password, because the password alone must not be enough
// to replace the factors that guard the user's apps.
var secondFactors = []string{models.MechOATH, models.MechEmail, models.MechSMS, models.MechSecurityQuestion}

// enrolledSecondFactors returns the second factors the user can answer:
// TOTP, a verified email address or mobile number, the security question.
func enrolledSecondFactors(u *models.User) []string {
	var out []string
	for _, m := range secondFactors {
		if models.IsEnrolled(u, m) {
			out = append(out, m)
		}
	}
	return out
}

// hasSecondFactor reports whether a mechanism list contains a second
// factor, such as the mechanisms a sign-in answered.
func hasSecondFactor(mechanisms []string) bool {
	return slices.ContainsFunc(mechanisms, func(m string) bool { return slices.Contains(secondFactors, m) })
}

// isFresh reports whether the user answered a second factor, at sign-in or
// in a fresh challenge, within FreshChallengeWindow.
func (h *handler) isFresh(c *fiber.Ctx) bool {
	at := sessionOf(c).Int(keyStepUpAt)
	return at != 0 && h.store.Now().Sub(time.Unix(int64(at), 0)) < FreshChallengeWindow
}

// needsStepUp returns true, after sending the browser to the fresh
// challenge, when changing the factor with the key needs one: the user has
// a second factor and answered none within FreshChallengeWindow. A user
// without any second factor sets up the first one with the password
// sign-in alone.
func (h *handler) needsStepUp(c *fiber.Ctx, key string) (bool, error) {
	if len(enrolledSecondFactors(userOf(c))) == 0 || h.isFresh(c) {
		return false, nil
	}
	sessionOf(c).Values[keyNext] = "/my/" + key
	return true, h.redirect(c, "/my/verify")
}

// stepUpChallenge is the fresh challenge in progress: one challenge that
// allows every second factor of the user, run by the engine of the portal
// sign-in.
func (h *handler) stepUpChallenge(c *fiber.Ctx) (*portalMFA, error) {
	u := userOf(c)
	challenges := [][]string{enrolledSecondFactors(u)}
	var st models.PortalMFA
	raw := sessionOf(c).String(keyStepUp)
	if raw == "" || json.Unmarshal([]byte(raw), &st) != nil || st.UserID != u.ID || st.Expired(h.store.Now()) {
		fresh, err := models.NewPortalMFA(u.ID, h.store.Now())
		if err != nil {
			return nil, err
		}
		st = *fresh
	}
	return &portalMFA{user: u, challenges: challenges, state: &st}, nil
}

func saveStepUp(c *fiber.Ctx, st *models.PortalMFA) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	sessionOf(c).Values[keyStepUp] = string(raw)
	return nil
}

// showStepUp renders the fresh challenge. The only second factor is
// chosen at once, and its code sent when it needs one. A user without a
// second factor needs no fresh challenge and goes on.
func (h *handler) showStepUp(c *fiber.Ctx) error {
	if len(enrolledSecondFactors(userOf(c))) == 0 {
		return h.finishStepUp(c, false)
	}
	p, err := h.stepUpChallenge(c)
	if err != nil {
		return err
	}
	options := p.challenges[0]
	var errText, notice string
	if p.state.Mechanism == "" && len(options) == 1 {
		if err := models.ChoosePortalMechanism(p.user, p.challenges, p.state, 0, options[0]); err != nil {
			return err
		}
		if models.IsCodeMechanism(p.state.Mechanism) {
			errText, notice = h.sendPortalCode(c, p)
		}
	}
	return h.renderStepUp(c, p, errText, notice)
}

// chooseStepUp handles POST /my/verify/choose: pick a second factor, or ""
// to go back to the list. A code mechanism sends its code at once.
func (h *handler) chooseStepUp(c *fiber.Ctx) error {
	p, err := h.stepUpChallenge(c)
	if err != nil {
		return err
	}
	step, _ := strconv.Atoi(postValue(c, "step"))
	if err := models.ChoosePortalMechanism(p.user, p.challenges, p.state, step, postValue(c, "mechanism")); err != nil {
		return h.redirect(c, "/my/verify")
	}
	var errText, notice string
	if models.IsCodeMechanism(p.state.Mechanism) {
		errText, notice = h.sendPortalCode(c, p)
	}
	return h.renderStepUp(c, p, errText, notice)
}

// resendStepUp handles POST /my/verify/resend.
func (h *handler) resendStepUp(c *fiber.Ctx) error {
	p, err := h.stepUpChallenge(c)
	if err != nil {
		return err
	}
	errText, notice := h.sendPortalCode(c, p)
	return h.renderStepUp(c, p, errText, notice)
}

// answerStepUp handles POST /my/verify/answer. Wrong answers count like
// wrong MFA answers, and the one that uses the challenge's last try, or
// locks the user, signs the user out.
func (h *handler) answerStepUp(c *fiber.Ctx) error {
	p, err := h.stepUpChallenge(c)
	if err != nil {
		return err
	}
	step, err := strconv.Atoi(postValue(c, "step"))
	if err != nil {
		step = -1
	}
	in := models.MFAAnswer{Step: step, Mechanism: postValue(c, "mechanism"), Answer: postValue(c, "answer"), SourceIP: c.IP()}
	err = h.store.AnswerPortalChallenge(c.UserContext(), p.user, p.challenges, p.state, in)
	if err != nil && !errors.Is(err, models.ErrMFAStale) {
		h.logger(c).InfoContext(c.UserContext(), "user portal fresh challenge failed", "user_id", p.user.ID,
			"mechanism", in.Mechanism, "error", err.Error(), "source_ip", c.IP())
	}

	switch {
	case errors.Is(err, models.ErrMFAStale):
		if err := saveStepUp(c, p.state); err != nil {
			return err
		}
		return h.redirect(c, "/my/verify")
	case errors.Is(err, models.ErrMFAWrongAnswer):
		return h.renderStepUp(c, p, msgWrongAnswer, "")
	case errors.Is(err, models.ErrMFAFailed), errors.Is(err, models.ErrUserLocked), errors.Is(err, models.ErrUserDisabled):
		return h.endSession(c, msgMFAEnded)
	case err != nil:
		return err
	}
	return h.finishStepUp(c, true)
}

// finishStepUp returns to the page that asked for the fresh challenge.
// After a passed challenge the session gets a new id, and changes are
// allowed for FreshChallengeWindow.
func (h *handler) finishStepUp(c *fiber.Ctx, passed bool) error {
	s := sessionOf(c)
	delete(s.Values, keyStepUp)
	if passed {
		if err := regenerate(s); err != nil {
			return err
		}
		s.Values[keyStepUpAt] = h.store.Now().Unix()
		h.logger(c).InfoContext(c.UserContext(), "user portal fresh challenge passed", "user_id", userOf(c).ID)
	}
	next := s.String(keyNext)
	delete(s.Values, keyNext)
	if !isPortalPage(next) {
		next = "/my"
	}
	return h.redirect(c, next)
}

// renderStepUp saves the fresh challenge and renders it with the
// challenge page of /run.
func (h *handler) renderStepUp(c *fiber.Ctx, p *portalMFA, errText, notice string) error {
	if err := saveStepUp(c, p.state); err != nil {
		return err
	}
	page := runhandlers.ChallengePageFor(runhandlers.ChallengeInput{
		Base:       "/my/verify",
		AppName:    portalName,
		User:       p.user,
		Challenges: p.challenges,
		Step:       p.state.Passed,
		Mechanism:  p.state.Mechanism,
		TriesLeft:  h.store.Settings.MFAMaxSessionFailures - p.state.Failures,
		NoCodeSent: models.IsCodeMechanism(p.state.Mechanism) && !p.state.CodeSent(p.user, h.store.Now()),
	})
	page.Lead = "Confirm that it is you before changing how you sign in to"
	page.CancelURL = "/my"
	page.CSRF = csrfOf(c)
	page.Error, page.Notice = errText, notice
	return h.render(c, fiber.StatusOK, runviews.Challenge(page))
}

// isPortalPage reports whether path is one of the pages that ask for a
// fresh challenge, so the value kept in the session is never a redirect
// to anywhere else.
func isPortalPage(path string) bool {
	for _, key := range []string{factorTOTP, contactEmail, contactMobile, factorQuestion} {
		if path == "/my/"+key {
			return true
		}
	}
	return false
}

// endSession signs the user out after a fresh challenge failed for good,
// and shows the sign-in page with msg.
func (h *handler) endSession(c *fiber.Ctx, msg string) error {
	s := sessionOf(c)
	if err := regenerate(s); err != nil {
		return err
	}
	for key := range s.Values {
		if key != keyCSRF {
			delete(s.Values, key)
		}
	}
	return h.render(c, fiber.StatusForbidden, views.Login(views.LoginPage{CSRF: csrfOf(c), Error: msg}))
}
