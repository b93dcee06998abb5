package oauth

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// jwksCacheControl lets clients cache the key set for five minutes. A
// rotation starts signing with a key they have not seen, so clients must
// fetch the set again on an unknown kid, as RFC 7517 consumers do.
const jwksCacheControl = "public, max-age=300"

// jwks serves the published signing keys.
func (h *handler) jwks(c *fiber.Ctx) error {
	set, err := h.store.JWKS(c.UserContext())
	if err != nil && len(set.Keys) == 0 {
		return err
	}
	if err != nil {
		h.requestLog(c).ErrorContext(c.UserContext(), "a published signing key was left out of the JWKS", "error", err)
	}
	c.Set(fiber.HeaderCacheControl, jwksCacheControl)
	return c.JSON(set)
}

// appKeys serves the JWKS under an OAuth Client's Application ID, where
// clients of the product this server replaces look for it. Every app
// shares the server's keys.
func (h *handler) appKeys(c *fiber.Ctx) error {
	_, oerr, err := h.appFromPath(c)
	if err != nil {
		return err
	}
	if oerr != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(http.StatusNotFound).JSON(fiber.Map{"error": codeNotFound, "error_description": oerr.Description})
	}
	return h.jwks(c)
}

// serverMetadata is the authorization server metadata of RFC 8414 §2.
// The token, introspection and revocation endpoints are per app, so their
// URLs are templates in which {ApplicationID} stands for the Application
// ID of an OAuth Client app, as the endpoint_template_note member states.
type serverMetadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethods  []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
	EndpointTemplateNote              string   `json:"endpoint_template_note"`
}

// metadata serves RFC 8414 metadata. There is no authorization endpoint,
// so response_types_supported is empty, and scopes are defined per app,
// so scopes_supported is left out.
func (h *handler) metadata(c *fiber.Ctx) error {
	base := strings.TrimRight(h.cfg.BaseURL, "/")
	authMethods := []string{"client_secret_basic", "client_secret_post"}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(serverMetadata{
		Issuer:                            h.cfg.Issuer(),
		TokenEndpoint:                     base + "/oauth2/token/{ApplicationID}",
		JWKSURI:                           base + PathJWKS,
		ResponseTypesSupported:            []string{},
		GrantTypesSupported:               []string{grantClientCredentials},
		TokenEndpointAuthMethodsSupported: authMethods,
		IntrospectionEndpoint:             base + "/oauth2/introspect/{ApplicationID}",
		IntrospectionEndpointAuthMethods:  authMethods,
		RevocationEndpoint:                base + "/oauth2/revoke/{ApplicationID}",
		RevocationEndpointAuthMethods:     authMethods,
		EndpointTemplateNote:              "Replace {ApplicationID} with the Application ID of an OAuth Client app. POST /token/{ApplicationID} is an alias of the token endpoint.",
	})
}
