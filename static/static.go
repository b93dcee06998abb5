// Package static embeds the built CSS, scripts and images, so the binary
// serves them without Node or any file on disk.
package static

import (
	"embed"
	"net/http"
)

// FS holds css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS

// HTTPFS returns FS as an http.FileSystem.
func HTTPFS() http.FileSystem { return http.FS(FS) }
