package models

import (
	"context"
	"strings"
	"time"
)

// AuditQuery selects a page of audit events, newest first. Empty fields
// do not filter.
type AuditQuery struct {
	// Actor matches the actor's name or id, case-insensitively, as a
	// substring.
	Actor string
	// Action matches the action exactly, or a prefix ending in "." such as
	// "user." for every user action.
	Action string
	// Object matches the object's name or id as a substring.
	Object string
	// From and To bound the event time. To is exclusive.
	From, To *time.Time
	Page     int // 1-based
	PerPage  int
}

// AuditPage is one page of audit events with the total count.
type AuditPage struct {
	Events  []AuditEvent
	Total   int64
	Page    int
	PerPage int
}

// Pages returns the number of pages, at least 1.
func (p AuditPage) Pages() int { return pageCount(p.Total, p.PerPage) }

// ListAudit returns a page of audit events matching q, newest first.
func (s *Store) ListAudit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	page, perPage := normalizePaging(q.Page, q.PerPage)
	db := s.conn(ctx).Model(&AuditEvent{})
	if v := strings.ToLower(strings.TrimSpace(q.Actor)); v != "" {
		db = db.Where("LOWER(actor_name) LIKE ? ESCAPE '\\' OR actor_id = ?", likePattern(v), v)
	}
	if v := strings.TrimSpace(q.Action); v != "" {
		if strings.HasSuffix(v, ".") {
			db = db.Where("action LIKE ? ESCAPE '\\'", likeEscape(v)+"%")
		} else {
			db = db.Where("action = ?", v)
		}
	}
	if v := strings.ToLower(strings.TrimSpace(q.Object)); v != "" {
		db = db.Where("LOWER(object_name) LIKE ? ESCAPE '\\' OR object_id = ?", likePattern(v), v)
	}
	if q.From != nil {
		db = db.Where("at >= ?", q.From.UTC())
	}
	if q.To != nil {
		db = db.Where("at < ?", q.To.UTC())
	}

	var total int64
	if err := db.Count(&total).Error; err != nil {
		return AuditPage{}, err
	}
	var events []AuditEvent
	err := db.Order("at DESC").Order("id DESC").Limit(perPage).Offset((page - 1) * perPage).Find(&events).Error
	if err != nil {
		return AuditPage{}, err
	}
	return AuditPage{Events: events, Total: total, Page: page, PerPage: perPage}, nil
}

// AuditActions returns the distinct actions recorded so far, for the
// filter menu of the audit log.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var actions []string
	err := s.conn(ctx).Model(&AuditEvent{}).Distinct("action").Order("action ASC").Pluck("action", &actions).Error
	return actions, err
}
