// Package admin serves the admin portal under /admin and the JSON admin
// API under /api/admin. Both sit on the same store functions and the same
// rights: the portal renders templ views from views/admin, and the API
// answers in the JSON envelope of middleware.Envelope.
//
// Portal requests carry a server-side session (handlers/session, kind
// "admin"); state changes need POST, a CSRF token bound to that session
// and a same-origin Origin or Sec-Fetch-Site header. API requests use the
// portal session the same way, or a bearer access token.
//
// Sign-in at /admin/login checks the password with the same per-name
// lockout as the user portal, behind a per-address rate limit. When
// Settings > Portal names an admin authentication profile, the session
// then waits in its MFA stage, with no portal right, until /admin/mfa has
// asked every challenge of the profile with the engine of the user
// portal (models.PortalMFA) and the challenge page of /run. The session id
// changes when the password passes, after each challenge and at the end.
package admin
