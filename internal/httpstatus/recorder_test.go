package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorderKeepsTheFirstStatus(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
		want  int
	}{
		{"nothing written", func(http.ResponseWriter) {}, 200},
		{"body only", func(w http.ResponseWriter) { w.Write([]byte("x")) }, 200},
		{"header", func(w http.ResponseWriter) { w.WriteHeader(202) }, 202},
		{"header then body", func(w http.ResponseWriter) { w.WriteHeader(413); w.Write([]byte("x")) }, 413},
		{"second header ignored", func(w http.ResponseWriter) { w.WriteHeader(401); w.WriteHeader(500) }, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := &Recorder{ResponseWriter: rec}
			tt.write(w)
			if w.Status() != tt.want {
				t.Errorf("Status() = %d, want %d", w.Status(), tt.want)
			}
		})
	}
}
