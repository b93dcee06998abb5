// Package run serves /run and the MFA pages that follow it.
//
// GET or POST /run?appkey={App Key} takes an icbt token from
// "Authorization: Bearer" or a POSTed form field "icbt" (urlencoded or
// multipart/form-data), consumes it and starts an MFA session
// (models.StartMFASession). HEAD /run gets 405 and leaves the token
// unused. The browser keeps only the MFA session's token, in the cookie
// portcullis_mfa. The state, including which challenges have passed,
// lives in the database, which stores the token as a hash. A new /run in
// the same browser ends the MFA session the cookie named. The pages after
// /run are:
//
//	GET  /run/challenge  the current challenge: a list of mechanisms, an answer form, or a launch
//	POST /run/choose     fields _csrf, step, mechanism ("" goes back to the list)
//	POST /run/answer     fields _csrf, step, mechanism, answer
//	POST /run/resend     field _csrf: a new email or SMS code
//
// Every MFA form carries a CSRF token derived from the MFA session, so a
// form from another session or site is rejected. The hand-over POST to
// /run needs none, because the icbt token itself is the credential.
//
// When every challenge has passed, the app launches with a signed
// assertion (see docs/launch-assertion.md). On failure the browser goes to
// the failureRedirectUrl captured when /run started, if
// models.ValidateRedirect allowed it, with error=mfa_failed, expired,
// locked, no_policy or not_enrolled. Otherwise it gets a failure page.
//
// An app without an authentication profile never launches: /run fails
// closed with no_policy. A profile with no challenges launches at once.
package run
