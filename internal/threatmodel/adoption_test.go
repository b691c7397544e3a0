package threatmodel

import (
	"strings"
	"testing"
)

func TestSummaryOfAnEmptyModelExplainsHowToStart(t *testing.T) {
	r, err := Check([]File{{Path: "SECURITY.md", Data: []byte("# Security\n\nReport bugs by email.\n")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary(r)
	for _, want := range []string{"### No threats or mitigations yet", "`secwg init`", "`secwg init --from SECURITY.md", "`" + FormatDoc + "`", "`threat_model.paths`"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestSummaryNamesWhatTheModelDoesNotCover(t *testing.T) {
	model := "#### T-A-1: Smuggling (CWE-444)\n\n- **STRIDE**: Tampering\n- **Environments**: Server, CLI\n- **Mitigations**: M-A-1\n\n" +
		"#### M-A-1: Strict parser\n\n- **Status**: Implemented\n"
	r, err := Check([]File{{Path: "m.md", Data: []byte(model)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary(r)
	want := "**Not covered:** 28 of 30 cells have no threat; no threat is categorised Spoofing, Repudiation, Information disclosure, Denial of service, Elevation of privilege; no threat applies to Desktop application, Single executable application, CI/CD pipeline components."
	if !strings.Contains(s, want) {
		t.Errorf("summary lacks\n%s\nin\n%s", want, s)
	}
	if strings.Contains(s, "No threats or mitigations yet") {
		t.Error("a model with entries is told how to start")
	}
}
