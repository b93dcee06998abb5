// Package session keeps portal and MFA sessions server-side behind
// gorilla/sessions. The cookie carries only a random id; the values live in
// the web_sessions table, so a session can be revoked and every instance
// sharing the database sees it. An id the server did not issue is never
// adopted: an unknown cookie starts a new session with a fresh id.
package session

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// Options configures one kind of session.
type Options struct {
	// Kind separates admin, user-portal and MFA sessions in the table.
	Kind string
	// CookieName is the name of the session cookie.
	CookieName string
	// IdleTimeout ends a session that has not been used for this long.
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after it started.
	AbsoluteTimeout time.Duration
	// Secure sets the cookie's Secure attribute (serve over https).
	Secure bool
}

// Store is a gorilla/sessions store backed by models.Store.
type Store struct {
	data *models.Store
	opts Options
}

// NewStore returns a session store for one kind of session.
func NewStore(data *models.Store, opts Options) *Store {
	return &Store{data: data, opts: opts}
}

// Options returns the store's options.
func (s *Store) Options() Options { return s.opts }

var _ sessions.Store = (*Store)(nil)

// Get returns the session of the request, cached per request by gorilla.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or returns a new,
// empty session when there is none or it has expired.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = s.cookieOptions(int(s.opts.AbsoluteTimeout.Seconds()))
	sess.IsNew = true

	cookie, err := r.Cookie(name)
	if err != nil || cookie.Value == "" {
		return sess, nil
	}
	row, err := s.data.WebSessionByToken(r.Context(), s.opts.Kind, cookie.Value)
	if errors.Is(err, models.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	now := s.data.Now()
	if now.Sub(row.LastSeenAt) > s.opts.IdleTimeout {
		_ = s.data.DeleteWebSession(r.Context(), cookie.Value)
		return sess, nil
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(row.Data), &values); err != nil {
		return sess, nil
	}
	for k, v := range values {
		sess.Values[k] = v
	}
	sess.ID = cookie.Value
	sess.IsNew = false
	sess.Values[createdKey] = row.CreatedAt.Unix()
	return sess, nil
}

const createdKey = "_created"

// Save writes the session to the database and sets its cookie. A session
// with MaxAge < 0 is deleted and its cookie cleared.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.data.DeleteWebSession(r.Context(), sess.ID); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}

	now := s.data.Now()
	created := now
	if v, ok := sess.Values[createdKey].(int64); ok {
		created = time.Unix(v, 0).UTC()
	}
	isNew := sess.ID == ""
	if isNew {
		id, err := newSessionID()
		if err != nil {
			return err
		}
		sess.ID = id
	}

	values := map[string]any{}
	userID := ""
	for k, v := range sess.Values {
		key, ok := k.(string)
		if !ok {
			return fmt.Errorf("session value key %v is not a string", k)
		}
		if key == createdKey {
			continue
		}
		values[key] = v
	}
	if v, ok := values[KeyUserID].(string); ok {
		userID = v
	}
	data, err := json.Marshal(values)
	if err != nil {
		return fmt.Errorf("encode session values: %w", err)
	}

	expires := created.Add(s.opts.AbsoluteTimeout)
	row := &models.WebSession{
		Kind:       s.opts.Kind,
		UserID:     userID,
		Data:       string(data),
		CreatedAt:  created,
		LastSeenAt: now,
		ExpiresAt:  expires,
	}
	save := s.data.SaveWebSession
	if isNew {
		save = s.data.CreateWebSession
	}
	if err := save(r.Context(), sess.ID, row); err != nil {
		return err
	}
	sess.Values[createdKey] = created.Unix()

	opts := *sess.Options
	opts.MaxAge = int(expires.Sub(now).Seconds())
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, &opts))
	return nil
}

func (s *Store) cookieOptions(maxAge int) *sessions.Options {
	return &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   s.opts.Secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// KeyUserID is the session value holding the signed-in user's id.
const KeyUserID = "user_id"

func newSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Session is one request's session, bound to its Fiber context.
type Session struct {
	*sessions.Session
	store *Store
	req   *http.Request
	c     *fiber.Ctx
}

// Load returns the request's session of this store's kind. It converts the
// Fiber request for gorilla once; Save copies the cookie back.
func (s *Store) Load(c *fiber.Ctx) (*Session, error) {
	req := new(http.Request)
	if err := fasthttpadaptor.ConvertRequest(c.Context(), req, true); err != nil {
		return nil, err
	}
	req = req.WithContext(c.UserContext())
	sess, err := s.New(req, s.opts.CookieName)
	if err != nil {
		return nil, err
	}
	return &Session{Session: sess, store: s, req: req, c: c}, nil
}

// UserID returns the signed-in user's id, or "".
func (s *Session) UserID() string {
	v, _ := s.Values[KeyUserID].(string)
	return v
}

// String returns a string value, or "".
func (s *Session) String(key string) string {
	v, _ := s.Values[key].(string)
	return v
}

// Int returns a numeric value, or 0. JSON numbers decode as float64.
func (s *Session) Int(key string) int {
	switch v := s.Values[key].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}

// Save stores the session and sets its cookie on the Fiber response. The
// cookie survives an error response, because the stored state it names
// has already changed.
func (s *Session) Save() error {
	w := &headerWriter{header: http.Header{}}
	if err := s.store.Save(s.req, w, s.Session); err != nil {
		return err
	}
	for _, v := range w.header.Values("Set-Cookie") {
		s.c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
	middleware.KeepCookieOnError(s.c, s.Name())
	return nil
}

// Regenerate moves the session's values to a new id and deletes the old
// row, so an id seen before a privilege change is worthless after it.
func (s *Session) Regenerate() error {
	if s.ID != "" {
		if err := s.store.data.DeleteWebSession(s.req.Context(), s.ID); err != nil {
			return err
		}
	}
	s.ID = ""
	delete(s.Values, createdKey)
	s.IsNew = true
	return nil
}

// Destroy deletes the session and clears its cookie.
func (s *Session) Destroy() error {
	s.Options.MaxAge = -1
	return s.Save()
}

// headerWriter collects the headers gorilla writes.
type headerWriter struct{ header http.Header }

func (w *headerWriter) Header() http.Header         { return w.header }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}
