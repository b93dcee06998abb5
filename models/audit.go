package models

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Actor identifies who did something and from where, for audit events.
type Actor struct {
	UserID    string
	Name      string
	SourceIP  string
	RequestID string
}

// AuditEntry describes one event to record. Details must never contain a
// secret, password, token or code.
type AuditEntry struct {
	Action     string
	ObjectType string
	ObjectID   string
	ObjectName string
	Outcome    string
	Details    string
}

// RecordAudit stores an audit event. Called inside InTx, the event commits
// or rolls back with the change it describes.
func (s *Store) RecordAudit(ctx context.Context, actor Actor, e AuditEntry) error {
	if e.Outcome == "" {
		e.Outcome = OutcomeSuccess
	}
	ev := &AuditEvent{
		At:         s.Now(),
		ActorID:    auditText(actor.UserID),
		ActorName:  auditText(actor.Name),
		Action:     auditText(e.Action),
		ObjectType: auditText(e.ObjectType),
		ObjectID:   auditText(e.ObjectID),
		ObjectName: auditText(e.ObjectName),
		Outcome:    auditText(e.Outcome),
		SourceIP:   auditText(actor.SourceIP),
		RequestID:  auditText(actor.RequestID),
		Details:    auditText(e.Details),
	}
	return s.conn(ctx).Create(ev).Error
}

// maxAuditField bounds each text field of an audit event, in bytes.
const maxAuditField = 2000

// auditText makes a value safe to store whatever a client sent: invalid
// UTF-8 becomes U+FFFD, NUL (which PostgreSQL refuses in text) becomes
// U+FFFD too, and the value is cut at maxAuditField bytes on a character
// boundary. An event must never fail to be recorded because of its content.
func auditText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) > maxAuditField {
		cut := maxAuditField
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
