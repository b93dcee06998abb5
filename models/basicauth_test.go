package models

import (
	"encoding/base64"
	"strings"
	"testing"
)

func basicHeader(credentials string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(credentials))
}

func TestParseClientBasicAuth(t *testing.T) {
	longSecret := strings.Repeat("0123456789", 10)

	tests := []struct {
		name          string
		header        string
		wantID        string
		wantSecret    string
		wantRawID     string
		wantRawSecret string
	}{
		{
			name:   "plain credentials",
			header: "Basic Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ==",
			wantID: "client-a", wantSecret: "secret-a-0001",
			wantRawID: "client-a", wantRawSecret: "secret-a-0001",
		},
		{
			name:   "form-encoded reserved characters",
			header: basicHeader("client-a:Ab%2Bcd%2Fef%3D%3Agh"),
			wantID: "client-a", wantSecret: "Ab+cd/ef=:gh",
			wantRawID: "client-a", wantRawSecret: "Ab%2Bcd%2Fef%3D%3Agh",
		},
		{
			// Form-decoding turns "+" into a space, so only the raw secret
			// matches for a client that did not form-encode.
			name:   "raw reserved characters split at first colon",
			header: basicHeader("client-a:Ab+cd/ef=:gh"),
			wantID: "client-a", wantSecret: "Ab cd/ef=:gh",
			wantRawID: "client-a", wantRawSecret: "Ab+cd/ef=:gh",
		},
		{
			name:   "form-encoded UTF-8",
			header: "Basic Y2xpZW50LWE6R3IlQzMlQkMlQzMlOUZlLTc=",
			wantID: "client-a", wantSecret: "Grüße-7",
			wantRawID: "client-a", wantRawSecret: "Gr%C3%BC%C3%9Fe-7",
		},
		{
			name:   "raw UTF-8 without padding",
			header: "Basic Y2xpZW50LWE6R3LDvMOfZS03",
			wantID: "client-a", wantSecret: "Grüße-7",
			wantRawID: "client-a", wantRawSecret: "Grüße-7",
		},
		{
			name:   "padding removed",
			header: "Basic Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ",
			wantID: "client-a", wantSecret: "secret-a-0001",
			wantRawID: "client-a", wantRawSecret: "secret-a-0001",
		},
		{
			name:   "scheme in lower case",
			header: "basic Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ==",
			wantID: "client-a", wantSecret: "secret-a-0001",
			wantRawID: "client-a", wantRawSecret: "secret-a-0001",
		},
		{
			name:   "scheme in upper case with extra spaces",
			header: "  BASIC   Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ==  ",
			wantID: "client-a", wantSecret: "secret-a-0001",
			wantRawID: "client-a", wantRawSecret: "secret-a-0001",
		},
		{
			name:   "100-byte secret kept whole",
			header: basicHeader("client-a:" + longSecret),
			wantID: "client-a", wantSecret: longSecret,
			wantRawID: "client-a", wantRawSecret: longSecret,
		},
		{
			name:   "form-encoded client id",
			header: basicHeader("client%3Aa:secret"),
			wantID: "client:a", wantSecret: "secret",
			wantRawID: "client%3Aa", wantRawSecret: "secret",
		},
		{
			name:   "empty secret",
			header: basicHeader("client-a:"),
			wantID: "client-a", wantSecret: "",
			wantRawID: "client-a", wantRawSecret: "",
		},
		{
			name:   "invalid percent-escape keeps only raw values",
			header: basicHeader("client-a:100%"),
			wantID: "", wantSecret: "",
			wantRawID: "client-a", wantRawSecret: "100%",
		},
		{
			name:   "encoded Latin-1 keeps only raw values",
			header: basicHeader("client-a:Gr%FC%DFe-7"),
			wantID: "", wantSecret: "",
			wantRawID: "client-a", wantRawSecret: "Gr%FC%DFe-7",
		},
		{
			name:   "raw invalid UTF-8 completed by decoding keeps only decoded values",
			header: basicHeader("client-a:Gr\xc3%BCe-7"),
			wantID: "client-a", wantSecret: "Grüe-7",
			wantRawID: "", wantRawSecret: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, rawID, rawSecret, ok := ParseClientBasicAuth(tt.header)
			if !ok {
				t.Fatalf("ParseClientBasicAuth(%q) ok = false", tt.header)
			}
			if id != tt.wantID {
				t.Errorf("id = %q, want %q", id, tt.wantID)
			}
			if secret != tt.wantSecret {
				t.Errorf("secret = %q, want %q", secret, tt.wantSecret)
			}
			if rawID != tt.wantRawID {
				t.Errorf("rawID = %q, want %q", rawID, tt.wantRawID)
			}
			if rawSecret != tt.wantRawSecret {
				t.Errorf("rawSecret = %q, want %q", rawSecret, tt.wantRawSecret)
			}
		})
	}
}

func TestParseClientBasicAuthRejects(t *testing.T) {
	tests := []struct {
		name   string
		header string
	}{
		{name: "empty", header: ""},
		{name: "scheme only", header: "Basic"},
		{name: "scheme and space only", header: "Basic "},
		{name: "bearer scheme", header: "Bearer Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ=="},
		{name: "scheme prefix", header: "Basicx Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ=="},
		{name: "no scheme", header: "Y2xpZW50LWE6c2VjcmV0LWEtMDAwMQ=="},
		{name: "invalid base64", header: "Basic !!!!"},
		{name: "URL-safe base64 alphabet", header: "Basic " + base64.URLEncoding.EncodeToString([]byte("client-a:\xfb\xff"))},
		{name: "impossible length", header: "Basic Y2xpZ"},
		{name: "no colon", header: basicHeader("client-a")},
		{name: "empty id", header: basicHeader(":secret-a-0001")},
		{name: "Latin-1 secret", header: "Basic Y2xpZW50LWE6R3L832UtNw=="},
		{name: "Latin-1 id", header: basicHeader("client-\xe4:secret")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, rawID, rawSecret, ok := ParseClientBasicAuth(tt.header)
			if ok {
				t.Errorf("ParseClientBasicAuth(%q) = %q, %q, %q, %q, true, want ok false", tt.header, id, secret, rawID, rawSecret)
			}
		})
	}
}

func TestBasicAuthRejectsNUL(t *testing.T) {
	for _, raw := range []string{"client\x00a:secret-0001", "client-a:sec\x00ret", "client%00a:secret-0001", "client-a:sec%00ret"} {
		header := "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
		id, secret, rawID, rawSecret, ok := ParseClientBasicAuth(header)
		for _, v := range []string{id, secret, rawID, rawSecret} {
			if strings.ContainsRune(v, 0) {
				t.Errorf("%q: a NUL character reached the caller (ok=%v)", raw, ok)
			}
		}
	}
}
