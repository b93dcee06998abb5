// Package notify delivers one-time codes: mail through SMTP, SMS through
// an HTTP webhook, and both to the outbox table when no delivery is
// configured, where administrators read them in the admin portal.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portcullis-id/portcullis/models"
)

// Mailer sends one plain-text email.
type Mailer interface {
	SendMail(ctx context.Context, to, subject, body string) error
}

// SMSProvider sends one SMS message.
type SMSProvider interface {
	SendSMS(ctx context.Context, to, body string) error
}

// Notifier sends the codes of the email and SMS mechanisms.
type Notifier struct {
	Mail Mailer
	SMS  SMSProvider
}

// Config selects the delivery of mail and SMS.
type Config struct {
	// SMTP is used when SMTP.Host is set, otherwise mail goes to the outbox.
	SMTP SMTPConfig
	// SMSWebhookURL receives SMS messages as JSON when set, otherwise SMS
	// messages go to the outbox.
	SMSWebhookURL string
}

// New returns the notifier the configuration describes.
func New(cfg Config, store *models.Store, log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := Outbox(store, log)
	if cfg.SMTP.Host != "" {
		mailer, err := NewSMTPMailer(cfg.SMTP, log)
		if err != nil {
			return nil, err
		}
		n.Mail = mailer
	}
	if cfg.SMSWebhookURL != "" {
		webhook, err := NewWebhookSMS(cfg.SMSWebhookURL, log)
		if err != nil {
			return nil, err
		}
		n.SMS = webhook
	}
	return n, nil
}

// Outbox returns a notifier that keeps every message in the outbox.
func Outbox(store *models.Store, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		Mail: &OutboxMailer{Store: store, Log: log},
		SMS:  &OutboxSMS{Store: store, Log: log},
	}
}

// ErrNoDestination is returned when a code has no address or number to go to.
var ErrNoDestination = errors.New("no destination for the code")

// SendCode delivers an email or SMS code for the mechanism. The message
// names appName, so the user knows which sign-in the code belongs to.
func (n *Notifier) SendCode(ctx context.Context, mechanism, destination, code, appName string) error {
	if destination == "" {
		return ErrNoDestination
	}
	minutes := int(models.MFACodeTTL / time.Minute)
	switch mechanism {
	case models.MechEmail:
		subject := "Your verification code"
		body := fmt.Sprintf("Your verification code for %s is:\n\n    %s\n\n"+
			"It expires in %d minutes and works once. If you did not just sign in, ignore this email and tell your administrator.\n",
			appName, code, minutes)
		return n.Mail.SendMail(ctx, destination, subject, body)
	case models.MechSMS:
		body := fmt.Sprintf("%s is your verification code for %s. It expires in %d minutes.", code, appName, minutes)
		return n.SMS.SendSMS(ctx, destination, body)
	}
	return fmt.Errorf("mechanism %q sends no code", mechanism)
}

// OutboxMailer keeps mail in the outbox table.
type OutboxMailer struct {
	Store *models.Store
	Log   *slog.Logger
}

// SendMail stores the message in the outbox and logs where it went,
// never its body.
func (m *OutboxMailer) SendMail(ctx context.Context, to, subject, body string) error {
	msg, err := m.Store.AddOutboxMessage(ctx, models.ChannelEmail, to, subject, body)
	if err != nil {
		return fmt.Errorf("store mail in the outbox: %w", err)
	}
	m.Log.InfoContext(ctx, "mail kept in the outbox", "delivery", "outbox", "outbox_id", msg.ID, "recipient", models.MaskEmail(to))
	return nil
}

// OutboxSMS keeps SMS messages in the outbox table.
type OutboxSMS struct {
	Store *models.Store
	Log   *slog.Logger
}

// SendSMS stores the message in the outbox and logs where it went, never
// its body.
func (o *OutboxSMS) SendSMS(ctx context.Context, to, body string) error {
	msg, err := o.Store.AddOutboxMessage(ctx, models.ChannelSMS, to, "", body)
	if err != nil {
		return fmt.Errorf("store SMS in the outbox: %w", err)
	}
	o.Log.InfoContext(ctx, "SMS kept in the outbox", "delivery", "outbox", "outbox_id", msg.ID, "recipient", models.MaskPhone(to))
	return nil
}
