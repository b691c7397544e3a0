package threatmodel

import (
	"errors"
	"strings"
	"testing"
)

// hostileMemoryLimit is a generous limit on the heap one check of a file at
// the size cap may use: BenchmarkHostile reports the real figures (and the
// time, which tests do not assert), far below it.
const hostileMemoryLimit = 256 << 20

func TestHostileInputStaysWithinItsMemoryBudget(t *testing.T) {
	size := MaxDocumentSize
	if raceEnabled {
		size /= 4
	}
	for _, s := range hostileShapes {
		t.Run(s.name, func(t *testing.T) {
			data := s.input(size)
			var r *Report
			var err error
			peak := peakHeap(func() { r, err = Check([]File{{Path: s.file(), Data: data}}, Options{}) })
			if err != nil {
				t.Fatal(err)
			}
			if peak > hostileMemoryLimit {
				t.Errorf("%d bytes took %d MiB of heap, the limit is %d MiB", len(data), peak>>20, hostileMemoryLimit>>20)
			}
			perFile := 0
			for _, f := range r.Findings {
				if len(f.Message) > 1000 {
					t.Fatalf("message of %d bytes", len(f.Message))
				}
				if f.Path == s.file() {
					perFile++
				}
			}
			if perFile > MaxFindingsPerFile+1 {
				t.Errorf("%d findings, the cap is %d and one more", perFile, MaxFindingsPerFile)
			}
		})
	}
}

func TestHostileInputGivesFindingsOrAClearError(t *testing.T) {
	many := func(unit string, n int) []byte { return []byte(strings.Repeat(unit, n)) }
	tests := []struct {
		name     string
		data     []byte
		wantErr  error
		threats  int
		findings []string
	}{
		{"10,000 nested list levels on one line", []byte("#### T-A-1: x (CWE-1)\n\n" + strings.Repeat("- ", 10000) + "**STRIDE**: Spoofing\n"), nil, 0, []string{"model-empty  1"}},
		{"link openers in a field", []byte("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing " + strings.Repeat("[x](", 1<<17) + "\n- **Status**: Accepted\n- **Rationale**: r\n"), nil, 1, []string{"stride-missing T-A-1 1"}},
		{"emphasis runs in a heading", []byte("#### T-A-1: " + strings.Repeat("*a_", 1<<17) + "\n"), nil, 0, []string{"id-malformed  1", "model-empty  1"}},
		{"a 512 KB unknown value", []byte("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: " + strings.Repeat("Q", 512<<10) + "\n- **Status**: Accepted\n- **Rationale**: r\n"), nil, 1, []string{"stride-unknown T-A-1 3"}},
		{"a 512 KB ID", []byte("#### T-" + strings.Repeat("A", 512<<10) + ": x\n- **STRIDE**: S\n"), nil, 0, []string{"id-malformed T-" + strings.Repeat("A", 59) + "… 1", "model-empty  1"}},
		{"link reference definitions past the cap", append([]byte("#### T-A-1: x (CWE-1)\n\n- **STRIDE**: Spoofing\n- **Status**: Accepted\n- **Rationale**: r\n\n"), many("[r]: /u\n", MaxLinkReferences+1)...), nil, 1, []string{"limit-exceeded  1"}},
		{"findings past the cap", many("# T-A-1: x (CWE-1)\n- **STRIDE**: Q\n", 600), nil, 600, nil},
		{"over the size cap", make([]byte, MaxDocumentSize+1), ErrTooLarge, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Check([]File{{Path: "hostile.md", Data: tt.data}}, Options{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "hostile.md") || !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), "100 KB") {
					t.Errorf("error %q does not name the file, the limit and the size of real models", err)
				}
				return
			}
			if tt.findings == nil {
				if n := len(r.Findings); n != MaxFindingsPerFile+1 || r.Findings[0].Rule != RuleLimitExceeded || !strings.Contains(r.Findings[0].Message, "more findings") {
					t.Errorf("%d findings, first %+v; want %d and one saying how many more", n, r.Findings[0], MaxFindingsPerFile)
				}
				return
			}
			if r.Counts.Threats != tt.threats || !equalSorted(got(r), tt.findings) {
				t.Errorf("%d threats and findings %q, want %d and %q", r.Counts.Threats, got(r), tt.threats, tt.findings)
			}
		})
	}
}

func TestModelsPastTheRunBudgetAreRefused(t *testing.T) {
	file := File{Path: "a.md", Data: make([]byte, MaxDocumentSize)}
	var files []File
	for range MaxModelSize/MaxDocumentSize + 1 {
		files = append(files, file)
	}
	_, err := Check(files, Options{})
	if !errors.Is(err, ErrModelTooLarge) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("error %v, want ErrModelTooLarge naming the limit", err)
	}
}
