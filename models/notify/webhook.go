package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis-id/portcullis/models"
)

// webhookTimeout bounds one webhook call.
const webhookTimeout = 10 * time.Second

// WebhookSMS posts SMS messages as JSON to an HTTP endpoint, which passes
// them on to an SMS gateway. The body is {"to": "+1 555 0100",
// "message": "..."}; any 2xx status counts as accepted.
type WebhookSMS struct {
	URL    string
	Client *http.Client
	Log    *slog.Logger
}

// WebhookMessage is the JSON body of a webhook call.
type WebhookMessage struct {
	To      string `json:"to"`
	Message string `json:"message"`
}

// NewWebhookSMS returns a provider that posts to rawURL, an absolute http
// or https URL.
func NewWebhookSMS(rawURL string, log *slog.Logger) (*WebhookSMS, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sms webhook: %q is not an absolute http or https URL", rawURL)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebhookSMS{URL: rawURL, Client: &http.Client{Timeout: webhookTimeout}, Log: log}, nil
}

// SendSMS posts the message and logs the masked recipient, never the body.
func (w *WebhookSMS) SendSMS(ctx context.Context, to, body string) error {
	payload, err := json.Marshal(WebhookMessage{To: to, Message: body})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := w.Client.Do(req)
	if err != nil {
		return fmt.Errorf("sms webhook: request failed: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64*1024))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms webhook: the endpoint returned status %d", resp.StatusCode)
	}
	w.Log.InfoContext(ctx, "SMS sent", "delivery", "webhook", "recipient", models.MaskPhone(to))
	return nil
}
