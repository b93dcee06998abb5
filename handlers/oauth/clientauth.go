package oauth

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
)

// clientCredentials are the credentials a request offers for its client.
type clientCredentials struct {
	// readings are the interpretations of the credentials to try in order:
	// form-urldecoded Basic first, then raw Basic; or the body fields.
	readings []models.ClientCredentials
	// basic is true when the client used HTTP Basic.
	basic bool
	// clientID is the id as the client sent it, for the log.
	clientID string
}

// readClientCredentials takes the client's credentials from HTTP Basic or
// from the client_id and client_secret fields, never both (RFC 6749
// §2.3). With Basic, a client_id field is allowed only when it names the
// same client (§3.2.1).
func readClientCredentials(c *fiber.Ctx, f form) (clientCredentials, *Error) {
	header := c.Get(fiber.HeaderAuthorization)
	if header == "" {
		return readBodyCredentials(f)
	}

	creds := clientCredentials{basic: true}
	if f.has("client_secret") {
		return creds, invalidRequest("the client sent credentials both in the Authorization header and as client_secret; use one method")
	}
	scheme, _, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return creds, invalidClient(true, "authorization scheme is not Basic")
	}
	id, secret, rawID, rawSecret, ok := models.ParseClientBasicAuth(header)
	if !ok {
		return creds, invalidClient(true, "malformed Basic credentials")
	}
	if id != "" {
		creds.readings = append(creds.readings, models.ClientCredentials{ID: id, Secret: secret})
		creds.clientID = id
	}
	if rawID != "" {
		creds.readings = append(creds.readings, models.ClientCredentials{ID: rawID, Secret: rawSecret})
		if creds.clientID == "" {
			creds.clientID = rawID
		}
	}

	if bodyID := f.get("client_id"); bodyID != "" {
		creds.readings = readingsFor(creds.readings, bodyID)
		if len(creds.readings) == 0 {
			return creds, invalidRequest("the client_id field names another client than the Authorization header")
		}
	}
	return creds, nil
}

func readBodyCredentials(f form) (clientCredentials, *Error) {
	creds := clientCredentials{clientID: f.get("client_id")}
	if creds.clientID == "" {
		if f.has("client_secret") {
			return creds, invalidClient(false, "client_secret without client_id")
		}
		return creds, invalidClient(true, "no client credentials")
	}
	creds.readings = []models.ClientCredentials{{ID: creds.clientID, Secret: f.get("client_secret")}}
	return creds, nil
}

// readingsFor keeps the readings whose id is the login name id.
func readingsFor(readings []models.ClientCredentials, id string) []models.ClientCredentials {
	key := models.NormalizeLoginName(id)
	var out []models.ClientCredentials
	for _, r := range readings {
		if models.NormalizeLoginName(r.ID) == key {
			out = append(out, r)
		}
	}
	return out
}

// authenticate checks the credentials for a request to app. A
// *models.ClientAuthError becomes the one invalid_client response. Any
// other error is a server failure and is returned as such.
func (h *handler) authenticate(c *fiber.Ctx, app *models.App, creds clientCredentials) (*models.User, *Error, error) {
	client, err := h.store.AuthenticateClient(c.UserContext(), app, creds.readings...)
	var authErr *models.ClientAuthError
	switch {
	case errors.As(err, &authErr):
		return nil, invalidClient(creds.basic, authErr.Reason), nil
	case err != nil:
		return nil, nil, err
	}
	return client, nil, nil
}
