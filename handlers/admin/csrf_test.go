package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

func TestCSRFTokenNotReadFromQuery(t *testing.T) {
	e := newEnv(t)
	c := e.apiClient()
	portal := e.adminClient()
	portal.get("/admin/users/new")

	form := userForm("query-token")
	form.Set("_csrf", "")
	r := portal.postRaw("/admin/users?_csrf="+url.QueryEscape(portal.csrf), form, map[string]string{"Origin": testOrigin})
	if r.status != http.StatusForbidden {
		t.Errorf("portal form with the token in the query: %d, want 403", r.status)
	}
	if _, err := e.store.UserByLoginName(context.Background(), "query-token@example.test"); err == nil {
		t.Error("a user was created with the token in the query string")
	}

	body := map[string]any{"login_name": "api-query@example.test", "password": "password-0001"}
	if r := c.apiWith("POST", "/api/admin/users?_csrf="+url.QueryEscape(c.csrf), body, map[string]string{"Origin": testOrigin}); r.status != http.StatusForbidden {
		t.Errorf("API with the token in the query: %d, want 403", r.status)
	}
	if r := c.api("POST", "/api/admin/users", body); r.status != http.StatusCreated {
		t.Errorf("API with the token in the header: %d %s", r.status, r.body)
	}
	if r := portal.post("/admin/users", userForm("body-token")); r.status != http.StatusSeeOther {
		t.Errorf("portal form with the token in the body: %d", r.status)
	}
}
