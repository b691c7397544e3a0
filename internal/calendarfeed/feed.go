// Package calendarfeed reads a meeting group's iCalendar feed: over http(s) with a
// timeout, a size cap and ETag revalidation, or from a local file.
package calendarfeed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/secwg/secwg/internal/meeting"
)

// Defaults for a Fetcher's zero fields.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 8 << 20 // a whole project calendar with years of history fits
)

// ErrTooLarge means the feed exceeds the Fetcher's size cap.
var ErrTooLarge = errors.New("calendar feed too large")

// Fetcher reads feeds and remembers each URL's last body and ETag, so an
// unchanged feed costs a 304 and no parsing input changes. It is safe for
// concurrent use.
type Fetcher struct {
	// Client defaults to http.DefaultClient; Timeout bounds each request.
	Client    *http.Client
	Timeout   time.Duration
	MaxBytes  int64
	UserAgent string

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	etag string
	body []byte
}

// Fetch returns the feed at source: an http(s) URL, a file:// URL or a file path.
func (f *Fetcher) Fetch(ctx context.Context, source string) ([]byte, error) {
	if strings.HasPrefix(source, "https://") || strings.HasPrefix(source, "http://") {
		return f.fetchURL(ctx, source)
	}
	if strings.HasPrefix(strings.ToLower(source), "file:") {
		path, err := meeting.FilePath(source)
		if err != nil {
			return nil, fmt.Errorf("calendar: %w", err)
		}
		return f.readFile(path)
	}
	if strings.Contains(source, "://") {
		return nil, fmt.Errorf("calendar %s: want an http(s) URL, a file:// URL or a file path", source)
	}
	return f.readFile(source)
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return DefaultMaxBytes
}

func (f *Fetcher) readFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	defer file.Close()
	return readCapped(file, f.maxBytes(), path)
}

func readCapped(r io.Reader, max int64, source string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("calendar %s: reading: %w", source, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("calendar %s: %w (over %d bytes)", source, ErrTooLarge, max)
	}
	return body, nil
}

func (f *Fetcher) fetchURL(ctx context.Context, url string) ([]byte, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", url, err)
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	f.mu.Lock()
	prev, havePrev := f.cache[url]
	f.mu.Unlock()
	if havePrev && prev.etag != "" {
		req.Header.Set("If-None-Match", prev.etag)
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && havePrev:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return prev.body, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("calendar %s: HTTP %s", url, resp.Status)
	}
	if resp.ContentLength > f.maxBytes() {
		return nil, fmt.Errorf("calendar %s: %w (%d bytes announced)", url, ErrTooLarge, resp.ContentLength)
	}
	body, err := readCapped(resp.Body, f.maxBytes(), url)
	if err != nil {
		return nil, err
	}
	if etag := resp.Header.Get("ETag"); etag != "" {
		f.mu.Lock()
		if f.cache == nil {
			f.cache = map[string]cached{}
		}
		f.cache[url] = cached{etag: etag, body: body}
		f.mu.Unlock()
	}
	return body, nil
}
