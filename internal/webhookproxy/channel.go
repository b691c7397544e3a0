package webhookproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultServer is the public smee server Probot uses.
const DefaultServer = "https://smee.io"

// NewChannel asks a smee server for a fresh channel, as Probot does: the
// server answers a request for /new with a redirect to the new channel's URL,
// which is returned without being followed. baseURL is the server's root, for
// example DefaultServer.
func NewChannel(ctx context.Context, baseURL string) (string, error) {
	base, err := checkURL(baseURL)
	if err != nil {
		return "", fmt.Errorf("webhook proxy server: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	newURL := strings.TrimSuffix(base.String(), "/") + "/new"
	// smee-client sends HEAD; a server that only routes GET gets a GET.
	var res *http.Response
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, err := http.NewRequestWithContext(ctx, method, newURL, nil)
		if err != nil {
			return "", err
		}
		res, err = client.Do(req)
		if err != nil {
			return "", fmt.Errorf("creating a webhook proxy channel: %w", err)
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed && res.StatusCode != http.StatusNotFound {
			break
		}
	}
	loc := res.Header.Get("Location")
	if res.StatusCode < 300 || res.StatusCode > 399 || loc == "" {
		return "", fmt.Errorf("creating a webhook proxy channel: %s answered %d without a channel address", newURL, res.StatusCode)
	}
	u, err := base.Parse(loc)
	if err != nil {
		return "", errors.New("creating a webhook proxy channel: the server's channel address is not a URL")
	}
	if _, err := checkURL(u.String()); err != nil {
		return "", fmt.Errorf("creating a webhook proxy channel: %w", err)
	}
	if strings.Trim(u.Path, "/") == "" || strings.TrimSuffix(u.Path, "/") == "/new" {
		return "", errors.New("creating a webhook proxy channel: the server's channel address names no channel")
	}
	return u.String(), nil
}
