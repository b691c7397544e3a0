package checkrun

import "testing"

func TestRunIDIsReadFromTheResourcePath(t *testing.T) {
	tests := []struct {
		path string
		want int64 // 0 when the path must be refused
	}{
		{"/nodejs/node/runs/7", 7},
		{"/nodejs/node/runs/39028156522", 39028156522}, // a 2025 run id, past 2^31
		{"/nodejs/node/runs/9223372036854775807", 9223372036854775807},
		{"/nodejs/node/runs/9223372036854775808", 0},
		{"/nodejs/node/runs/0", 0},
		{"/nodejs/node/runs/-1", 0},
		{"/nodejs/node/runs/", 0},
		{"/nodejs/node/runs/12/extra", 0},
		{"/nodejs/node/pull/12", 0},
		{"https://github.com/nodejs/node/runs/12", 0},
		{"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := runID(tt.path)
			if got != tt.want || (err != nil) != (tt.want == 0) {
				t.Errorf("runID(%q) = %d, %v; want %d", tt.path, got, err, tt.want)
			}
		})
	}
}
