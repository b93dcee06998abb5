package oauth

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"regexp"

	"github.com/gofiber/fiber/v2"
)

// Limits of a form body. The body as a whole is bounded by Fiber's
// BodyLimit; these bound the work spent on one that fits.
const (
	maxFormParts      = 64
	maxFormValueBytes = 16 * 1024
)

// urlParameters are the parameters of the endpoints of this package. Sent
// in the query string, they are rejected: RFC 6749 §2.3.1 forbids client
// credentials in the URL, and §3.2 sends the parameters in the body.
var urlParameters = []string{
	"grant_type", "scope", "client_id", "client_secret", "client_assertion",
	"client_assertion_type", "username", "password", "token", "token_type_hint",
	"refresh_token", "code", "assertion",
}

// safeParamName matches parameter names that may be named in an error
// description.
var safeParamName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// form is the parsed body of a request.
type form url.Values

// get returns the parameter's value. RFC 6749 §3.1 treats a parameter
// sent without a value as omitted, so "" means absent or empty. Callers
// run checkRepeated first, so there is at most one value.
func (f form) get(name string) string {
	values := f[name]
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// has reports whether the parameter was sent with a non-empty value.
func (f form) has(name string) bool { return f.get(name) != "" }

// parseForm reads the request body, which must be
// application/x-www-form-urlencoded or multipart/form-data, and rejects
// requests that put any of urlParameters in the query string or repeat a
// parameter (RFC 6749 §3.1).
func parseForm(c *fiber.Ctx) (form, *Error) {
	query := c.Request().URI().QueryArgs()
	for _, name := range urlParameters {
		if query.Has(name) {
			return nil, invalidRequest("the parameter " + name + " was sent in the URL; send every parameter in the request body")
		}
	}

	body := c.Body()
	contentType := c.Get(fiber.HeaderContentType)
	if len(body) == 0 && contentType == "" {
		return nil, invalidRequest("the request has no body; send the parameters as application/x-www-form-urlencoded or multipart/form-data")
	}
	mediaType, mediaParams, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, invalidRequest("the Content-Type header is not valid; use application/x-www-form-urlencoded or multipart/form-data")
	}

	var values url.Values
	switch mediaType {
	case fiber.MIMEApplicationForm:
		values, err = url.ParseQuery(string(body))
		if err != nil {
			return nil, invalidRequest("the request body is not valid application/x-www-form-urlencoded data")
		}
	case fiber.MIMEMultipartForm:
		var ferr *Error
		if values, ferr = parseMultipart(body, mediaParams["boundary"]); ferr != nil {
			return nil, ferr
		}
	default:
		return nil, invalidRequest("the request body must be application/x-www-form-urlencoded or multipart/form-data")
	}

	for name, vals := range values {
		if len(vals) > 1 {
			if safeParamName.MatchString(name) {
				return nil, invalidRequest("the parameter " + name + " is repeated; send each parameter once")
			}
			return nil, invalidRequest("a parameter is repeated; send each parameter once")
		}
	}
	return form(values), nil
}

// parseMultipart reads the text fields of a multipart/form-data body, as
// Postman sends form-data. File parts are rejected: no parameter of these
// endpoints is a file.
func parseMultipart(body []byte, boundary string) (url.Values, *Error) {
	if boundary == "" {
		return nil, invalidRequest("the multipart/form-data Content-Type has no boundary")
	}
	malformed := invalidRequest("the request body is not valid multipart/form-data")

	values := url.Values{}
	reader := multipart.NewReader(bytes.NewReader(body), boundary)
	for parts := 0; ; parts++ {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, malformed
		}
		if parts >= maxFormParts {
			return nil, invalidRequest("the request body has too many parts")
		}
		name := part.FormName()
		if name == "" {
			return nil, malformed
		}
		if part.FileName() != "" {
			return nil, invalidRequest("the request body contains a file; send the parameters as text fields")
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFormValueBytes+1))
		if err != nil {
			return nil, malformed
		}
		if len(value) > maxFormValueBytes {
			return nil, invalidRequest("a parameter value is too long")
		}
		values[name] = append(values[name], string(value))
	}
	return values, nil
}
