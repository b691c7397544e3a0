package webhookproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// forwardedHeaders are the request headers a delivery keeps on its way through
// the channel. smee-client forwards every key but host; secwg takes only what a
// GitHub delivery carries, so a channel cannot add headers such as
// X-Forwarded-For that other layers would trust.
var forwardedHeaders = map[string]bool{
	"x-github-event":                         true,
	"x-github-delivery":                      true,
	"x-hub-signature-256":                    true,
	"x-hub-signature":                        true,
	"x-github-hook-id":                       true,
	"x-github-hook-installation-target-id":   true,
	"x-github-hook-installation-target-type": true,
	"user-agent":                             true,
}

// requiredHeaders must be present for a message to be a delivery at all.
var requiredHeaders = []string{"x-github-event", "x-github-delivery", "x-hub-signature-256"}

// maxHeaderBytes bounds one forwarded header value.
const maxHeaderBytes = 1024

// malformedError says why a channel message is not a delivery.
type malformedError struct{ reason string }

func (e *malformedError) Error() string { return e.reason }

func malformed(format string, args ...any) error {
	return &malformedError{reason: fmt.Sprintf(format, args...)}
}

// delivery is a channel message rebuilt as the request GitHub sent.
type delivery struct {
	header http.Header
	body   []byte
}

// parseMessage rebuilds a delivery from one channel message: a JSON object
// whose keys are the original request's lower-cased header names, plus body
// (the parsed JSON payload), query and timestamp. The body is serialised as
// smee-client serialises it, JSON.stringify(message.body).
func parseMessage(data string) (*delivery, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		return nil, malformed("message is not a JSON object")
	}
	d := &delivery{header: http.Header{}}
	for key, raw := range fields {
		name := strings.ToLower(key)
		if !forwardedHeaders[name] {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, malformed("header %s is not a string", name)
		}
		if len(v) > maxHeaderBytes || strings.ContainsAny(v, "\r\n\x00") {
			return nil, malformed("header %s is too long or not a header value", name)
		}
		if d.header.Get(name) != "" {
			return nil, malformed("header %s given twice", name)
		}
		d.header.Set(name, v)
	}
	for _, name := range requiredHeaders {
		if d.header.Get(name) == "" {
			return nil, malformed("header %s is missing", name)
		}
	}
	raw, ok := fields["body"]
	if !ok {
		return nil, malformed("body is missing")
	}
	if b := bytes.TrimLeft(raw, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, malformed("body is not a JSON object")
	}
	body, err := stringify(raw)
	if err != nil {
		return nil, malformed("body: %v", err)
	}
	d.body = body
	// smee-client always sends JSON, whatever the original content type was.
	d.header.Set("Content-Type", "application/json")
	return d, nil
}

// request builds the POST the target handler sees.
func (d *delivery) request(ctx context.Context, path string) *http.Request {
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://webhook-proxy"+path, bytes.NewReader(d.body))
	r.Header = d.header.Clone()
	r.Header.Set("Content-Length", strconv.Itoa(len(d.body)))
	r.RemoteAddr = remoteAddr
	r.RequestURI = path
	return r
}

// remoteAddr marks proxied requests; it is no IP address, so nothing can take
// it for loopback.
const remoteAddr = "webhook-proxy:0"
