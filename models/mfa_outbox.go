package models

import (
	"context"
	"strings"
)

// Outbox channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// AddOutboxMessage keeps a mail or SMS message in the outbox that
// administrators read when no real delivery is configured.
func (s *Store) AddOutboxMessage(ctx context.Context, channel, recipient, subject, body string) (*OutboxMessage, error) {
	msg := &OutboxMessage{Channel: channel, Recipient: recipient, Subject: subject, Body: body, CreatedAt: s.Now()}
	if err := s.conn(ctx).Create(msg).Error; err != nil {
		return nil, err
	}
	return msg, nil
}

// MaskEmail hides an email address for display: the first character of
// the local part and the whole domain stay, as in j***@example.com.
func MaskEmail(email string) string {
	local, domain, found := strings.Cut(email, "@")
	if !found || local == "" {
		return "***"
	}
	first := []rune(local)[0]
	return string(first) + "***@" + domain
}

// MaskPhone hides a phone number for display: only the last four digits
// stay, as in ***-***-1234.
func MaskPhone(phone string) string {
	var digits []rune
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
		}
	}
	if len(digits) < 4 {
		return "***-***-****"
	}
	return "***-***-" + string(digits[len(digits)-4:])
}

// OutboxMessagesTo returns the outbox messages to the recipient, oldest
// first.
func (s *Store) OutboxMessagesTo(ctx context.Context, recipient string) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.conn(ctx).Where("recipient = ?", recipient).Order("id ASC").Find(&out).Error
	return out, err
}
