// Package httpstatus records the status an http.Handler answered with, for the
// server's per-delivery log line and the fake GitHub's request record.
package httpstatus

import "net/http"

// Recorder is an http.ResponseWriter that remembers the first status written.
type Recorder struct {
	http.ResponseWriter
	code int
}

// WriteHeader implements http.ResponseWriter.
func (w *Recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter; a body without a header means 200.
func (w *Recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Status is the status answered, 200 when nothing was written yet.
func (w *Recorder) Status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
