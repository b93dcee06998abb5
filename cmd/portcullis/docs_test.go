package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models/modeltest"
)

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
		Responses map[string]struct {
			Content map[string]json.RawMessage `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
}

func noRedirectClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestOpenAPIMatchesServer sends a minimal request to every documented
// operation and checks that the server answers with a documented status
// and content type, so the document cannot drift from the routes.
func TestOpenAPIMatchesServer(t *testing.T) {
	data, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docs/openapi.json is not valid JSON: %v", err)
	}
	srv := startBinary(t, modeltest.Backends(t)[0])
	fx := srv.demo(t)
	client := noRedirectClient()

	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for method, op := range doc.Paths[p] {
			name := strings.ToUpper(method) + " " + p
			t.Run(name, func(t *testing.T) {
				target := strings.ReplaceAll(p, "{applicationId}", url.PathEscape(fx.ApplicationID))
				q := url.Values{}
				for _, prm := range op.Parameters {
					if prm.In == "query" && prm.Required {
						switch prm.Name {
						case "appkey":
							q.Set(prm.Name, fx.AppKey)
						case "user":
							q.Set(prm.Name, fx.User)
						default:
							q.Set(prm.Name, "x")
						}
					}
				}
				if len(q) > 0 {
					target += "?" + q.Encode()
				}
				req, _ := http.NewRequest(strings.ToUpper(method), srv.BaseURL+target, nil)
				if req.Method == http.MethodPost {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()

				documented, ok := op.Responses[strconv.Itoa(resp.StatusCode)]
				if !ok {
					t.Fatalf("status %d is not documented for %s", resp.StatusCode, name)
				}
				if len(documented.Content) > 0 {
					ct := resp.Header.Get("Content-Type")
					matched := false
					for want := range documented.Content {
						if strings.HasPrefix(ct, want) {
							matched = true
						}
					}
					if !matched {
						t.Errorf("content type %q is not documented for %s %d", ct, name, resp.StatusCode)
					}
				}
			})
		}
	}
}

type postmanCollection struct {
	Variable []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"variable"`
	Item []struct {
		Name    string `json:"name"`
		Request struct {
			Method string `json:"method"`
			Header []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"header"`
			URL struct {
				Raw string `json:"raw"`
			} `json:"url"`
			Body *struct {
				Mode     string `json:"mode"`
				FormData []struct {
					Key   string `json:"key"`
					Value string `json:"value"`
				} `json:"formdata"`
				URLEncoded []struct {
					Key   string `json:"key"`
					Value string `json:"value"`
				} `json:"urlencoded"`
			} `json:"body"`
		} `json:"request"`
	} `json:"item"`
}

var postmanVar = regexp.MustCompile(`\{\{(\w+)\}\}`)

// TestPostmanCollectionRuns runs the collection's requests in order with
// the demo fixture as its variables, doing what its test scripts do: keep
// the access token and the icbt cookie for the next requests.
func TestPostmanCollectionRuns(t *testing.T) {
	data, err := os.ReadFile("../../docs/portcullis.postman_collection.json")
	if err != nil {
		t.Fatal(err)
	}
	var coll postmanCollection
	if err := json.Unmarshal(data, &coll); err != nil {
		t.Fatalf("collection is not valid JSON: %v", err)
	}
	srv := startBinary(t, modeltest.Backends(t)[0])
	fx := srv.demo(t)
	vars := map[string]string{}
	for _, v := range coll.Variable {
		vars[v.Key] = v.Value
	}
	for key, value := range map[string]string{"baseUrl": srv.BaseURL, "applicationId": fx.ApplicationID, "scope": fx.Scope,
		"clientId": fx.ClientID, "clientSecret": fx.ClientSecret, "user": fx.User, "appKey": fx.AppKey} {
		if _, declared := vars[key]; !declared {
			t.Fatalf("collection does not declare the variable %s", key)
		}
		vars[key] = value
	}
	expand := func(s string) string {
		return postmanVar.ReplaceAllStringFunc(s, func(m string) string { return vars[m[2:len(m)-2]] })
	}
	// Postman follows redirects and keeps cookies, and so does this client.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}

	for _, item := range coll.Item {
		t.Run(item.Name, func(t *testing.T) {
			var body io.Reader
			contentType := ""
			if b := item.Request.Body; b != nil {
				switch b.Mode {
				case "formdata":
					var buf bytes.Buffer
					w := multipart.NewWriter(&buf)
					for _, f := range b.FormData {
						w.WriteField(f.Key, expand(f.Value))
					}
					w.Close()
					body, contentType = &buf, w.FormDataContentType()
				case "urlencoded":
					form := url.Values{}
					for _, f := range b.URLEncoded {
						form.Add(f.Key, expand(f.Value))
					}
					body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
				}
			}
			req, err := http.NewRequest(item.Request.Method, expand(item.Request.URL.Raw), body)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range item.Request.Header {
				req.Header.Set(h.Key, expand(h.Value))
			}
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			if strings.Contains(item.Name, "Basic") {
				req.SetBasicAuth(url.QueryEscape(fx.ClientID), url.QueryEscape(fx.ClientSecret))
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			respBody, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, respBody)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(respBody, &tok) == nil && tok.AccessToken != "" {
				vars["accessToken"] = tok.AccessToken
			}
			for _, c := range resp.Cookies() {
				if c.Name == "icbt" {
					vars["icbt"] = c.Value
				}
			}
		})
	}
	if vars["icbt"] == "" {
		t.Error("running the collection produced no icbt token")
	}
}
