package models

import (
	"context"
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
		ActorID:    actor.UserID,
		ActorName:  actor.Name,
		Action:     e.Action,
		ObjectType: e.ObjectType,
		ObjectID:   e.ObjectID,
		ObjectName: e.ObjectName,
		Outcome:    e.Outcome,
		SourceIP:   actor.SourceIP,
		RequestID:  actor.RequestID,
		Details:    e.Details,
	}
	return s.conn(ctx).Create(ev).Error
}
