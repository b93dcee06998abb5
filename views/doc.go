// Package views holds the templ layouts and pages shared by every
// surface: the base layout, the centred card of sign-in and MFA pages, and
// the error page. Each surface's own pages live in a subpackage (admin,
// run, my). Pages take a view-model struct and never touch the database;
// the generated *_templ.go files are committed so building needs no templ
// CLI.
package views
