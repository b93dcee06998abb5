package models

import "context"

// Audited runs fn in a transaction and records the audit event e in the
// same transaction, so the change and its record commit or roll back
// together. fn may fill in e (for example the id of a created object). A
// change that fn rejects with an error matching ErrForbidden is recorded
// as a failure after the rollback.
func (s *Store) Audited(ctx context.Context, actor Actor, e AuditEntry, fn func(tx *Store, e *AuditEntry) error) error {
	err := s.InTx(ctx, func(tx *Store) error {
		if err := fn(tx, &e); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, actor, e)
	})
	return s.recordDenial(ctx, actor, e, err)
}
