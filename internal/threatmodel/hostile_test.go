package threatmodel

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestHostileInputGivesFindingsOrAClearError(t *testing.T) {
	nestedLines := func() []byte {
		var b bytes.Buffer
		for i := 0; b.Len() < 4<<20; i++ {
			b.WriteString(strings.Repeat(" ", 2*i))
			b.WriteString("- x\n")
		}
		return b.Bytes()
	}
	tests := []struct {
		name     string
		data     []byte
		wantErr  error
		threats  int
		findings int
	}{
		{"10 MB single line", bytes.Repeat([]byte("a [b]( *c_ "), 10<<20/11), nil, 0, 0},
		{"100,000 headings", []byte(strings.Repeat("#### T-A-1: x (CWE-1)\n", 100000)), nil, 100000, 100000*3 - 1},
		{"10,000 nested list levels on one line", []byte("#### T-A-1: x (CWE-1)\n\n" + strings.Repeat("- ", 10000) + "**STRIDE**: Spoofing\n"), nil, 1, 2},
		{"deeply indented list lines", nestedLines(), nil, 0, 0},
		{"10,000 nested block quotes", []byte(strings.Repeat(">", 10000) + " x\n"), nil, 0, 0},
		{"link openers in a field", []byte("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing " + strings.Repeat("[x](", 1<<20) + "\n- **Status**: Accepted\n- **Rationale**: r\n"), nil, 1, 1},
		{"emphasis runs in a heading", []byte("#### T-A-1: " + strings.Repeat("*a_", 1<<20) + "\n"), nil, 0, 1},
		{"a 4 MB unknown value", []byte("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: " + strings.Repeat("Q", 4<<20) + "\n- **Status**: Accepted\n- **Rationale**: r\n"), nil, 1, 1},
		{"a 1 MB ID", []byte("#### T-" + strings.Repeat("A", 1<<20) + ": x\n"), nil, 0, 1},
		{"over the size cap", make([]byte, MaxDocumentSize+1), ErrTooLarge, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check([]File{{Path: "hostile.md", Data: tt.data}}, Options{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "hostile.md") || !strings.Contains(err.Error(), "limit") {
					t.Errorf("error %q does not name the file and the limit", err)
				}
				return
			}
			for _, f := range r.Findings {
				if len(f.Message) > 1000 {
					t.Fatalf("message of %d bytes", len(f.Message))
				}
			}
			if r.Counts.Threats != tt.threats || len(r.Findings) != tt.findings {
				t.Errorf("%d threats and %d findings, want %d and %d", r.Counts.Threats, len(r.Findings), tt.threats, tt.findings)
			}
		})
	}
}
