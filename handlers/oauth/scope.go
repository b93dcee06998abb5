package oauth

import (
	"slices"
	"strings"

	"github.com/portcullis-id/portcullis/models"
)

// maxScopeNameInError bounds how much of a requested scope name an error
// description repeats.
const maxScopeNameInError = 100

// isScopeTokenChar reports whether b may appear in a scope name: RFC 6749
// §3.3 allows %x21 / %x23-5B / %x5D-7E, which is printable ASCII without
// space, '"' and '\'.
func isScopeTokenChar(b byte) bool {
	return b == 0x21 || (b >= 0x23 && b <= 0x5B) || (b >= 0x5D && b <= 0x7E)
}

// grantScopes returns the scope names a token request is granted, given
// the scope parameter and the scopes the app defines.
//
// Only the space (0x20) separates names (RFC 6749 §3.3): runs of spaces
// and leading or trailing spaces are ignored, and any other white space,
// such as a tab or a no-break space, is invalid_scope. Names are
// case-sensitive and must each be a scope the app defines; the text is
// never taken as a regex. An absent or blank parameter grants every scope
// of the app. The result has no duplicates and keeps the requested order.
func grantScopes(param string, defined []models.Scope) ([]string, *Error) {
	for i := 0; i < len(param); i++ {
		if param[i] != ' ' && !isScopeTokenChar(param[i]) {
			return nil, invalidScope("the scope parameter contains a character that is not allowed; separate scope names with single spaces")
		}
	}

	requested := strings.Split(param, " ")
	requested = slices.DeleteFunc(requested, func(name string) bool { return name == "" })
	if len(requested) == 0 {
		if len(defined) == 0 {
			return nil, invalidScope("no scope was requested and the app defines none; add a scope on the app's Scope page")
		}
		all := make([]string, 0, len(defined))
		for _, sc := range defined {
			all = append(all, sc.Name)
		}
		return all, nil
	}

	known := make(map[string]bool, len(defined))
	for _, sc := range defined {
		known[sc.Name] = true
	}
	granted := make([]string, 0, len(requested))
	for _, name := range requested {
		if !known[name] {
			if len(name) > maxScopeNameInError {
				name = name[:maxScopeNameInError] + "..."
			}
			return nil, invalidScope("the scope " + name + " is not defined on this app")
		}
		if !slices.Contains(granted, name) {
			granted = append(granted, name)
		}
	}
	return granted, nil
}
