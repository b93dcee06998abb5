package my

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/my"
)

// Factor keys, as they appear in paths.
const (
	factorTOTP     = "totp"
	contactEmail   = "email"
	contactMobile  = "mobile"
	factorQuestion = "question"
)

// qrCodeSize is the width and height of the TOTP QR code in pixels.
const qrCodeSize = 200

func (h *handler) dashboard(c *fiber.Ctx) error {
	u := userOf(c)
	name := u.LoginName
	if u.DisplayName != "" {
		name = u.DisplayName + " (" + u.LoginName + ")"
	}
	page := views.DashboardPage{
		CSRF:      csrfOf(c),
		UserName:  name,
		LoginName: u.LoginName,
		Notice:    popNotice(sessionOf(c)),
		Factors: []views.Factor{
			{Key: factorTOTP, Label: "Authenticator app (OATH OTP)", Enrolled: u.HasTOTP()},
			{Key: contactEmail, Label: "Email code", Enrolled: models.IsEnrolled(u, models.MechEmail), Detail: models.MaskEmail(u.Email)},
			{Key: contactMobile, Label: "SMS code", Enrolled: models.IsEnrolled(u, models.MechSMS), Detail: models.MaskPhone(u.MobileNumber)},
			{Key: factorQuestion, Label: "Security question", Enrolled: models.IsEnrolled(u, models.MechSecurityQuestion), Detail: u.SecurityQuestion},
		},
	}
	return h.render(c, fiber.StatusOK, views.Dashboard(page))
}

// isEnrolled reports whether the factor with the key is set up.
func isEnrolled(u *models.User, key string) bool {
	switch key {
	case factorTOTP:
		return u.HasTOTP()
	case contactEmail:
		return models.IsEnrolled(u, models.MechEmail)
	case contactMobile:
		return models.IsEnrolled(u, models.MechSMS)
	case factorQuestion:
		return models.IsEnrolled(u, models.MechSecurityQuestion)
	}
	return false
}

// showTOTP shows a new secret as QR code and key. The secret waits in the
// session, sealed, until a code confirms it.
func (h *handler) showTOTP(c *fiber.Ctx) error {
	if redirected, err := h.needsStepUp(c, factorTOTP); redirected || err != nil {
		return err
	}
	secret, err := models.GenerateTOTPSecret()
	if err != nil {
		return err
	}
	sealed, err := h.store.Keys.Seal(models.PurposeTOTPSecret, []byte(secret))
	if err != nil {
		return err
	}
	sessionOf(c).Values[keyTOTPSecret] = base64.StdEncoding.EncodeToString(sealed)
	return h.renderTOTP(c, secret, "")
}

func (h *handler) renderTOTP(c *fiber.Ctx, secret, errText string) error {
	png, err := models.TOTPQRCodePNG(models.TOTPKeyURI(userOf(c).LoginName, secret), qrCodeSize)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, views.TOTPSetup(views.TOTPPage{
		CSRF:   csrfOf(c),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		Secret: secret,
		Error:  errText,
	}))
}

// pendingTOTPSecret returns the secret that showTOTP kept in the session.
func (h *handler) pendingTOTPSecret(c *fiber.Ctx) (string, bool) {
	sealed, err := base64.StdEncoding.DecodeString(sessionOf(c).String(keyTOTPSecret))
	if err != nil || len(sealed) == 0 {
		return "", false
	}
	plain, err := h.store.Keys.Open(models.PurposeTOTPSecret, sealed)
	if err != nil {
		return "", false
	}
	return string(plain), true
}

// enrollTOTP saves the pending secret once the code matches.
func (h *handler) enrollTOTP(c *fiber.Ctx) error {
	if redirected, err := h.needsStepUp(c, factorTOTP); redirected || err != nil {
		return err
	}
	secret, ok := h.pendingTOTPSecret(c)
	if !ok {
		return h.redirect(c, "/my/totp")
	}
	u := userOf(c)
	err := h.store.EnrollTOTP(c.UserContext(), u.ID, secret, postValue(c, "code"))
	if errors.Is(err, models.ErrWrongCode) {
		return h.renderTOTP(c, secret, "That code does not match. Check the time on your phone and enter the newest code.")
	}
	if err != nil {
		return err
	}
	delete(sessionOf(c).Values, keyTOTPSecret)
	if err := h.recordFactorChange(c, u, "my.enroll_totp", factorTOTP, changeOf(u.HasTOTP())); err != nil {
		return err
	}
	return h.redirectWithNotice(c, "/my", "Your authenticator app is set up.")
}

func (h *handler) showQuestion(c *fiber.Ctx) error {
	if redirected, err := h.needsStepUp(c, factorQuestion); redirected || err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, views.QuestionSetup(views.QuestionPage{CSRF: csrfOf(c), Question: userOf(c).SecurityQuestion}))
}

func (h *handler) saveQuestion(c *fiber.Ctx) error {
	if redirected, err := h.needsStepUp(c, factorQuestion); redirected || err != nil {
		return err
	}
	u := userOf(c)
	question := postValue(c, "question")
	err := h.store.SetSecurityQuestion(c.UserContext(), u.ID, question, postValue(c, "answer"))
	if verrs, ok := models.AsValidationErrors(err); ok {
		return h.render(c, fiber.StatusUnprocessableEntity, views.QuestionSetup(views.QuestionPage{CSRF: csrfOf(c), Question: question, FieldErrors: verrs.ByField()}))
	}
	if err != nil {
		return err
	}
	change := changeOf(models.IsEnrolled(u, models.MechSecurityQuestion))
	if err := h.recordFactorChange(c, u, "my.set_security_question", factorQuestion, change); err != nil {
		return err
	}
	return h.redirectWithNotice(c, "/my", "Your security question is saved.")
}

// removeFactor removes a factor after a fresh challenge.
func (h *handler) removeFactor(key string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if redirected, err := h.needsStepUp(c, key); redirected || err != nil {
			return err
		}
		u := userOf(c)
		if !isEnrolled(u, key) {
			return h.redirectWithNotice(c, "/my", "That factor is not set up, so there is nothing to remove.")
		}
		ctx := c.UserContext()
		var err error
		switch key {
		case factorTOTP:
			err = h.store.RemoveTOTP(ctx, u.ID)
		case contactEmail:
			err = h.store.RemoveEmailFactor(ctx, u.ID)
		case contactMobile:
			err = h.store.RemoveMobileFactor(ctx, u.ID)
		case factorQuestion:
			err = h.store.RemoveSecurityQuestion(ctx, u.ID)
		}
		if err != nil {
			return err
		}
		if err := h.recordFactorChange(c, u, "my.remove_"+key, key, changeRemoved); err != nil {
			return err
		}
		return h.redirectWithNotice(c, "/my", "The factor is removed.")
	}
}

// contactKinds describes the email and mobile factors.
var contactKinds = map[string]struct {
	label     string
	mechanism string
	key       string
}{
	contactEmail:  {"Email address", models.MechEmail, "contact_email"},
	contactMobile: {"Mobile number", models.MechSMS, "contact_mobile"},
}

func (h *handler) pendingContact(c *fiber.Ctx, kind string) *models.PendingContact {
	raw := sessionOf(c).String(contactKinds[kind].key)
	if raw == "" {
		return nil
	}
	var p models.PendingContact
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil
	}
	return &p
}

func (h *handler) savePendingContact(c *fiber.Ctx, kind string, p *models.PendingContact) error {
	if p == nil {
		delete(sessionOf(c).Values, contactKinds[kind].key)
		return nil
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sessionOf(c).Values[contactKinds[kind].key] = string(raw)
	return nil
}

func (h *handler) renderContact(c *fiber.Ctx, kind string, status int, p *models.PendingContact, value, errText, notice string) error {
	page := views.ContactPage{CSRF: csrfOf(c), Kind: kind, Label: contactKinds[kind].label, Value: value, Error: errText, Notice: notice}
	if p != nil && p.CodeHash != "" {
		page.CodeSent = true
		page.Destination = maskDestination(contactKinds[kind].mechanism, p.Value)
	}
	return h.render(c, status, views.ContactSetup(page))
}

func (h *handler) showContact(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if redirected, err := h.needsStepUp(c, kind); redirected || err != nil {
			return err
		}
		u := userOf(c)
		value := u.Email
		if kind == contactMobile {
			value = u.MobileNumber
		}
		return h.renderContact(c, kind, fiber.StatusOK, h.pendingContact(c, kind), value, "", "")
	}
}

// startContact validates the address or number and sends it a code.
func (h *handler) startContact(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if redirected, err := h.needsStepUp(c, kind); redirected || err != nil {
			return err
		}
		raw := postValue(c, "value")
		validate := models.ValidateFactorEmail
		if kind == contactMobile {
			validate = models.ValidateFactorMobile
		}
		value, err := validate(raw)
		if err != nil {
			return h.renderContact(c, kind, fiber.StatusUnprocessableEntity, nil, raw, capitalize(err.Error())+".", "")
		}
		p := &models.PendingContact{Value: value}
		return h.sendContactCode(c, kind, p)
	}
}

func (h *handler) resendContact(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := h.pendingContact(c, kind)
		if p == nil {
			return h.redirect(c, "/my/"+kind)
		}
		return h.sendContactCode(c, kind, p)
	}
}

func (h *handler) sendContactCode(c *fiber.Ctx, kind string, p *models.PendingContact) error {
	u := userOf(c)
	code, err := h.store.IssueContactCode(u.ID, p)
	switch {
	case errors.Is(err, models.ErrCodeResendTooSoon):
		return h.renderContact(c, kind, fiber.StatusOK, p, p.Value, msgResendTooSoon, "")
	case errors.Is(err, models.ErrCodeSendLimit):
		return h.renderContact(c, kind, fiber.StatusOK, p, p.Value, "No more codes can be sent to this address or number now. Try again later.", "")
	case err != nil:
		return err
	}
	if err := h.savePendingContact(c, kind, p); err != nil {
		return err
	}
	mechanism := contactKinds[kind].mechanism
	if err := h.notifier.SendCode(c.UserContext(), mechanism, p.Value, code, "your Portcullis account"); err != nil {
		h.logger(c).ErrorContext(c.UserContext(), "sending a confirmation code failed", "user_id", u.ID, "mechanism", mechanism, "error", err)
		return h.renderContact(c, kind, fiber.StatusOK, p, p.Value, msgSendFailed, "")
	}
	return h.renderContact(c, kind, fiber.StatusOK, p, p.Value, "", "We sent a code to "+maskDestination(mechanism, p.Value)+".")
}

// confirmContact saves the pending address or number once its code
// matches.
func (h *handler) confirmContact(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if redirected, err := h.needsStepUp(c, kind); redirected || err != nil {
			return err
		}
		p := h.pendingContact(c, kind)
		if p == nil {
			return h.redirect(c, "/my/"+kind)
		}
		u := userOf(c)
		err := h.store.ConfirmContactCode(u.ID, p, postValue(c, "code"))
		switch {
		case errors.Is(err, models.ErrWrongCode):
			if err := h.savePendingContact(c, kind, p); err != nil {
				return err
			}
			return h.renderContact(c, kind, fiber.StatusOK, p, p.Value, "That code is not correct. Try again.", "")
		case errors.Is(err, models.ErrMFAFailed):
			if err := h.savePendingContact(c, kind, nil); err != nil {
				return err
			}
			return h.renderContact(c, kind, fiber.StatusOK, nil, "", "Too many wrong codes. Enter the address or number again to get a new code.", "")
		case err != nil:
			return err
		}

		ctx := c.UserContext()
		if kind == contactEmail {
			err = h.store.SetVerifiedEmail(ctx, u.ID, p.Value)
		} else {
			err = h.store.SetVerifiedMobile(ctx, u.ID, p.Value)
		}
		if err != nil {
			return err
		}
		if err := h.savePendingContact(c, kind, nil); err != nil {
			return err
		}
		change := changeOf(models.IsEnrolled(u, contactKinds[kind].mechanism))
		if err := h.recordFactorChange(c, u, "my.verify_"+kind, kind, change); err != nil {
			return err
		}
		return h.redirectWithNotice(c, "/my", contactKinds[kind].label+" confirmed.")
	}
}

// capitalize upper-cases the first letter of a validation message for
// display as a sentence.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
