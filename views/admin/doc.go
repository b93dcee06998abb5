// Package admin holds the templ pages of the admin portal: the sign-in,
// Core Services (Users, Roles), Apps (Web Apps and their tabs), Settings
// (Authentication Profiles, Portal, Outbox) and the audit log. Handlers in
// handlers/admin fill one view model per page.
package admin
