package models

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// scopeNamePattern limits scope names to RFC 6749 §3.3 scope-token
// characters without spaces, so a name is never mistaken for a regex list.
var scopeNamePattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// MaxScopeRegexes bounds the regexes of one scope definition.
const MaxScopeRegexes = 50

// ScopeInput is a scope definition as the Scope page submits it.
type ScopeInput struct {
	Name        string
	Description string
	// Regexes are the allowed REST regexes; blank entries are dropped.
	Regexes []string
}

// validateScope returns the cleaned regex list or field errors. Every
// regex must compile with CompileRESTRegex; the parser's message is kept.
func validateScope(in *ScopeInput) ([]string, ValidationErrors) {
	var verrs ValidationErrors
	in.Name = strings.TrimSpace(in.Name)
	if !scopeNamePattern.MatchString(in.Name) {
		verrs.Add("name", "must be 1 to 100 characters: letters, digits, dot, underscore, colon or hyphen")
	}
	if len(in.Description) > 1000 {
		verrs.Add("description", "must be at most 1000 characters")
	}
	var regexes []string
	for _, r := range in.Regexes {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if _, err := CompileRESTRegex(r); err != nil {
			verrs.Add("regexes", r+": "+err.Error())
			continue
		}
		regexes = append(regexes, r)
	}
	if len(regexes) == 0 && !hasField(verrs, "regexes") {
		verrs.Add("regexes", "add at least one allowed REST regex")
	}
	if len(regexes) > MaxScopeRegexes {
		verrs.Add("regexes", "at most 50 regexes per scope")
	}
	return regexes, verrs
}

func hasField(v ValidationErrors, field string) bool {
	for _, fe := range v {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// CreateScope adds a scope definition to an OAuth Client app.
func (s *Store) CreateScope(ctx context.Context, appID string, in ScopeInput) (*Scope, error) {
	app, err := s.AppByID(ctx, appID)
	if err != nil {
		return nil, err
	}
	regexes, verrs := validateScope(&in)
	if app.Template != TemplateOAuthClient {
		verrs.Add("template", "only OAuth Client apps have scopes")
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	sc := &Scope{
		ID:          NewID(),
		AppID:       appID,
		Name:        in.Name,
		Description: in.Description,
		Regexes:     strings.Join(regexes, "\n"),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := s.conn(ctx).Create(sc).Error; err != nil {
		if errors.Is(mapError(err), ErrConflict) {
			return nil, ValidationErrors{{Field: "name", Message: "this app already has a scope with this name"}}
		}
		return nil, err
	}
	return sc, nil
}

// UpdateScope replaces a scope definition's name, description and regexes.
func (s *Store) UpdateScope(ctx context.Context, appID, scopeID string, in ScopeInput) (*Scope, error) {
	if _, err := uuid.Parse(scopeID); err != nil {
		return nil, ErrNotFound
	}
	regexes, verrs := validateScope(&in)
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	res := s.conn(ctx).Model(&Scope{}).Where("id = ? AND app_id = ?", scopeID, appID).Updates(map[string]any{
		"name":        in.Name,
		"description": in.Description,
		"regexes":     strings.Join(regexes, "\n"),
		"updated_at":  s.Now(),
	})
	if res.Error != nil {
		if errors.Is(mapError(res.Error), ErrConflict) {
			return nil, ValidationErrors{{Field: "name", Message: "this app already has a scope with this name"}}
		}
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	return s.ScopeByID(ctx, appID, scopeID)
}

// ScopeByID returns one scope of the app, or ErrNotFound.
func (s *Store) ScopeByID(ctx context.Context, appID, scopeID string) (*Scope, error) {
	if _, err := uuid.Parse(scopeID); err != nil {
		return nil, ErrNotFound
	}
	var sc Scope
	if err := s.conn(ctx).Where("id = ? AND app_id = ?", scopeID, appID).Take(&sc).Error; err != nil {
		return nil, mapError(err)
	}
	return &sc, nil
}

// DeleteScope removes a scope definition.
func (s *Store) DeleteScope(ctx context.Context, appID, scopeID string) error {
	if _, err := uuid.Parse(scopeID); err != nil {
		return ErrNotFound
	}
	res := s.conn(ctx).Where("id = ? AND app_id = ?", scopeID, appID).Delete(&Scope{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// ScopesOfApp returns the app's scope definitions by name.
func (s *Store) ScopesOfApp(ctx context.Context, appID string) ([]Scope, error) {
	return cachedState(s, "scopes:"+appID, func() ([]Scope, error) {
		var scopes []Scope
		err := s.conn(ctx).Where("app_id = ?", appID).Order("name ASC").Find(&scopes).Error
		return scopes, err
	}, cloneSlice[Scope])
}

// ScopeRules flattens scopes into the rules MatchScopes takes, keeping
// only the scopes whose names are in granted (all when granted is nil).
func ScopeRules(scopes []Scope, granted []string) []ScopeRule {
	var allow map[string]bool
	if granted != nil {
		allow = make(map[string]bool, len(granted))
		for _, g := range granted {
			allow[g] = true
		}
	}
	var rules []ScopeRule
	for _, sc := range scopes {
		if allow != nil && !allow[sc.Name] {
			continue
		}
		for _, re := range sc.RegexList() {
			rules = append(rules, ScopeRule{Scope: sc.Name, Regex: re})
		}
	}
	return rules
}
