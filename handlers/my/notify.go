package my

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// Kinds of factor change, as the audit details and the notification name
// them.
const (
	changeAdded    = "added"
	changeReplaced = "replaced"
	changeRemoved  = "removed"
)

// factorNames names the factors in notifications.
var factorNames = map[string]string{
	factorTOTP:     "authenticator app (OATH OTP)",
	contactEmail:   "email address for sign-in codes",
	contactMobile:  "mobile number for SMS codes",
	factorQuestion: "security question",
}

// changeOf returns changeReplaced when the factor was set up before,
// else changeAdded.
func changeOf(wasEnrolled bool) string {
	if wasEnrolled {
		return changeReplaced
	}
	return changeAdded
}

// recordFactorChange audits a change the user made to a factor and notifies
// the user by mail. before is the user as loaded before the change. A
// failed notification is logged and leaves the change in place, because
// the change itself has already been made.
func (h *handler) recordFactorChange(c *fiber.Ctx, before *models.User, action, key, change string) error {
	ctx := c.UserContext()
	after, err := h.store.UserByID(ctx, before.ID)
	if err != nil {
		return err
	}
	notified := h.notifyFactorChange(c, before, after, key, change)

	actor := models.Actor{UserID: before.ID, Name: before.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	return h.store.RecordAudit(ctx, actor, models.AuditEntry{
		Action: action, ObjectType: "user", ObjectID: before.ID, ObjectName: before.LoginName, Outcome: models.OutcomeSuccess,
		Details: fmt.Sprintf("factor: %s; change: %s; notified: %s", key, change, notified),
	})
}

// notifyFactorChange mails the notice of a factor change to every verified
// email address the user had before or has after the change, so a changed
// address hears of it too. A user without one gets the notice in the
// outbox, where administrators read it. It returns where the notice went,
// masked, for the audit log.
func (h *handler) notifyFactorChange(c *fiber.Ctx, before, after *models.User, key, change string) string {
	ctx := c.UserContext()
	log := h.logger(c).With("user_id", before.ID, "factor", key, "change", change)
	subject := "The way you sign in has changed"
	body := fmt.Sprintf("The %s of your Portcullis account %s was %s on %s from the address %s.\n\n"+
		"If you made this change, there is nothing to do. If you did not, tell your administrator at once: "+
		"someone else may be able to sign in as you.\n",
		factorNames[key], before.LoginName, change, h.store.Now().UTC().Format("2 January 2006 at 15:04 MST"), c.IP())

	var recipients []string
	for _, u := range []*models.User{before, after} {
		if models.IsEnrolled(u, models.MechEmail) && !containsFold(recipients, u.Email) {
			recipients = append(recipients, u.Email)
		}
	}
	if len(recipients) == 0 {
		recipient := before.Email
		if recipient == "" {
			recipient = before.LoginName
		}
		if _, err := h.store.AddOutboxMessage(ctx, models.ChannelEmail, recipient, subject, body); err != nil {
			log.ErrorContext(ctx, "keeping the factor change notice in the outbox failed", "error", err)
			return "none (outbox failed)"
		}
		return "outbox"
	}

	var sent []string
	for _, to := range recipients {
		if err := h.notifier.Mail.SendMail(ctx, to, subject, body); err != nil {
			log.ErrorContext(ctx, "mailing the factor change notice failed", "recipient", models.MaskEmail(to), "error", err)
			continue
		}
		sent = append(sent, models.MaskEmail(to))
	}
	if len(sent) == 0 {
		return "none (mail failed)"
	}
	return strings.Join(sent, ", ")
}

func containsFold(list []string, value string) bool {
	for _, v := range list {
		if strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}
