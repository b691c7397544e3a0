package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestAuditLogsOneLineWithEveryField(t *testing.T) {
	cmd := Parse("/agenda remove security-wg")[0]
	tests := []struct {
		name  string
		audit Audit
		want  map[string]any
	}{
		{
			name: "allowed",
			audit: Audit{User: "alice", Repository: "nodejs/node", Issue: 123, Command: cmd,
				Decision: Decision{Allowed: true, Granted: Team}, Result: Done},
			want: map[string]any{"level": "info", "user": "alice", "repository": "nodejs/node", "issue": 123.0,
				"command": "/agenda remove security-wg", "line": 1.0, "decision": "allowed (team)", "result": "done", "message": "command"},
		},
		{
			name: "refused",
			audit: Audit{User: "mallory", Repository: "nodejs/node", Issue: 7, Command: cmd,
				Decision: Decision{Reason: "Only …"}, Result: Refused},
			want: map[string]any{"level": "warn", "user": "mallory", "decision": "refused", "result": "refused"},
		},
		{
			name: "failed",
			audit: Audit{User: "alice", Repository: "nodejs/node", Issue: 7, Command: cmd,
				Decision: Decision{Allowed: true, Granted: Triage}, Result: Failed, Err: errors.New("422")},
			want: map[string]any{"level": "warn", "decision": "allowed (triage)", "result": "failed", "error": "422"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.audit.Log(zerolog.New(&buf))
			if n := strings.Count(buf.String(), "\n"); n != 1 {
				t.Fatalf("wrote %d lines, want 1: %s", n, buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
