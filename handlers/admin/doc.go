// Package admin serves the admin portal under /admin and the JSON admin
// API under /api/admin. Both sit on the same store functions and the same
// rights: the portal renders templ views from views/admin, and the API
// answers in the JSON envelope of middleware.Envelope.
//
// Portal requests carry a server-side session (handlers/session, kind
// "admin"); state changes need POST, a CSRF token bound to that session
// and a same-origin Origin or Sec-Fetch-Site header. API requests use the
// portal session the same way, or a bearer access token.
package admin
