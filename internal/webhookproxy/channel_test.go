package webhookproxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewChannelReturnsTheServersRedirect(t *testing.T) {
	tests := []struct {
		name    string
		serve   func(w http.ResponseWriter, r *http.Request)
		want    string // "" means an error is expected; BASE is the server's URL
		methods string
	}{
		{"HEAD answered with an absolute channel URL", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://smee.example/AbCdEf123", http.StatusTemporaryRedirect)
		}, "https://smee.example/AbCdEf123", "HEAD"},
		{"GET after a server that does not route HEAD, relative location", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Location", "/xyz789")
			w.WriteHeader(http.StatusFound)
		}, "BASE/xyz789", "HEAD GET"},
		{"no redirect", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		}, "", "HEAD"},
		{"redirect without a location", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, "", "HEAD"},
		{"redirect to a non-HTTP URL", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "javascript:alert(1)")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, "", "HEAD"},
		{"redirect back to /new", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/new")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, "", "HEAD"},
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "", "HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var methods []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/new" {
					t.Errorf("request for %s, want /new", r.URL.Path)
				}
				methods = append(methods, r.Method)
				tt.serve(w, r)
			}))
			defer srv.Close()
			got, err := NewChannel(context.Background(), srv.URL+"/")
			want := strings.ReplaceAll(tt.want, "BASE", srv.URL)
			switch {
			case want == "" && err == nil:
				t.Fatalf("NewChannel = %q, want an error", got)
			case want != "" && err != nil:
				t.Fatalf("NewChannel: %v", err)
			case got != want:
				t.Errorf("NewChannel = %q, want %q", got, want)
			}
			if m := strings.Join(methods, " "); m != tt.methods {
				t.Errorf("methods = %q, want %q", m, tt.methods)
			}
		})
	}
}

func TestNewChannelRejectsServerURLsThatAreNotHTTP(t *testing.T) {
	for _, u := range []string{"", "smee.io", "file:///etc/passwd"} {
		if _, err := NewChannel(context.Background(), u); err == nil {
			t.Errorf("NewChannel(%q) = nil error", u)
		}
	}
}
