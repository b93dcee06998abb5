// Package my serves the user portal at /my, where users sign in and
// enroll the factors that MFA challenges ask for.
//
//	GET  /my                    the factors and their state
//	GET  /my/login, POST        sign-in: login_name, password, _csrf
//	GET  /my/mfa                the challenges of the user portal's profile
//	POST /my/mfa/choose|answer|resend   as /run/choose, /run/answer, /run/resend
//	POST /my/logout             sign-out
//	GET  /my/verify             fresh challenge: one of the user's second factors
//	POST /my/verify/choose|answer|resend   as /run/choose, /run/answer, /run/resend
//	GET  /my/totp, POST         authenticator app: QR code and key, then code
//	GET  /my/email, POST        email address (value), then POST /my/email/confirm (code)
//	GET  /my/mobile, POST       mobile number (value), then POST /my/mobile/confirm (code)
//	GET  /my/question, POST     security question: question, answer
//	POST /my/{totp,email,mobile,question}/remove
//
// Sign-in follows the admin portal's rules: one message, one status and
// one password hash for an unknown user, a wrong password, a disabled,
// locked or service user. A login name whose password sign-in is locked
// after too many wrong passwords gets the same response. Each client
// address may post the form Settings.SignInRateLimit times per
// Settings.SignInRateWindow. The session is regenerated at sign-in and after
// each fresh challenge.
//
// Once a user has a second factor (TOTP, a verified email address or
// mobile number, the security question), adding, replacing or removing
// any factor needs a fresh challenge: an answer of one of those factors
// within the last five minutes. The password never counts, so someone who
// knows it cannot replace the factors that guard the user's apps. A
// sign-in whose portal profile asked a second factor counts as one. A
// user without a second factor sets up the first with the password
// sign-in alone. Every change is audited and mailed to the user's verified
// addresses, before and after the change, or kept in the outbox when
// there is none. Every form carries a CSRF token bound to the session.
package my
