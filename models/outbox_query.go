package models

import "context"

// OutboxPage is one page of outbox messages with the total count.
type OutboxPage struct {
	Messages []OutboxMessage
	Total    int64
	Page     int
	PerPage  int
}

// Pages returns the number of pages, at least 1.
func (p OutboxPage) Pages() int { return pageCount(p.Total, p.PerPage) }

// ListOutbox returns a page of outbox messages, newest first.
func (s *Store) ListOutbox(ctx context.Context, page, perPage int) (OutboxPage, error) {
	page, perPage = normalizePaging(page, perPage)
	db := s.conn(ctx).Model(&OutboxMessage{})
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return OutboxPage{}, err
	}
	var msgs []OutboxMessage
	err := db.Order("created_at DESC").Order("id DESC").Limit(perPage).Offset((page - 1) * perPage).Find(&msgs).Error
	if err != nil {
		return OutboxPage{}, err
	}
	return OutboxPage{Messages: msgs, Total: total, Page: page, PerPage: perPage}, nil
}
