// Package my serves the user portal at /my, where users sign in and
// enroll the factors that MFA challenges ask for.
//
//	GET  /my                    the factors and their state
//	GET  /my/login, POST        sign-in: login_name, password, _csrf
//	GET  /my/mfa                the challenges of the user portal's profile
//	POST /my/mfa/choose|answer|resend   as /run/choose, /run/answer, /run/resend
//	POST /my/logout             sign-out
//	GET  /my/verify, POST       fresh challenge: mechanism (password or oath_otp), answer
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
// each fresh challenge. Replacing or removing a factor needs a fresh
// challenge within the last five minutes; signing in counts as one.
// Every form carries a CSRF token bound to the session.
package my
