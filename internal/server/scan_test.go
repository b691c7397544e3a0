package server

import (
	"bytes"
	"encoding/json"
	"testing"
)

// jsonEnvelope is what the scan stands in for: the struct encoding/json fills.
type jsonEnvelope struct {
	Number       int64 `json:"number"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Issue *struct {
		Number int64 `json:"number"`
	} `json:"issue"`
	PullRequest *struct {
		Number int64 `json:"number"`
	} `json:"pull_request"`
}

func (j *jsonEnvelope) scanned() envelope {
	e := envelope{number: j.Number}
	if j.Installation != nil {
		e.installation = &j.Installation.ID
	}
	if j.Repository != nil {
		e.repository = j.Repository.FullName
	}
	if j.Issue != nil {
		e.issue = &j.Issue.Number
	}
	if j.PullRequest != nil {
		e.pullRequest = &j.PullRequest.Number
	}
	return e
}

func sameEnvelope(a, b envelope) bool {
	eq := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.number == b.number && a.repository == b.repository &&
		eq(a.installation, b.installation) && eq(a.issue, b.issue) && eq(a.pullRequest, b.pullRequest)
}

var envelopeSeeds = []string{
	`{"action":"opened","number":7,"pull_request":{"id":1,"number":7,"head":{"sha":"x"}},"repository":{"id":2,"full_name":"nodejs/node"},"installation":{"id":3000000000}}`,
	`{"action":"created","issue":{"number":12,"labels":[{"name":"a"}]},"comment":{"body":"\"}"},"installation":{"id":5,"node_id":"x"}}`,
	`{"installation":{"id":1},"installation":{"other":2}}`,
	`{"installation":{"id":1},"installation":null,"repository":null}`,
	`{"Installation":{"ID":9},"REPOSITORY":{"Full_Name":"a/b"}}`,
	`{"repository":{"full_name":"caf\u00e9/x\n"}}`,
	"{\"repository\":{\"full_name\":\"bad\xffbyte\"}}",
	`{"number":-0,"issue":{"number":null}}`,
	`{"installation":{"id":1e3}}`, `{"installation":{"id":1.5}}`, `{"installation":"x"}`, `{"installation":[]}`,
	`{"number":99999999999999999999}`, `{"repository":{"full_name":5}}`, `{"a":1} x`, `[1]`, `{`, `{"a":nul}`,
}

func TestScanEnvelopeReadsAsEncodingJSON(t *testing.T) {
	tests := []struct {
		body         string
		ok           bool
		installation int64
		repository   string
		number       int64
	}{
		{envelopeSeeds[0], true, 3000000000, "nodejs/node", 7},
		{envelopeSeeds[1], true, 5, "", 12},
		{envelopeSeeds[2], true, 1, "", 0},
		{envelopeSeeds[3], true, 0, "", 0},
		{envelopeSeeds[4], true, 9, "a/b", 0},
		{envelopeSeeds[5], true, 0, "café/x\n", 0},
		{envelopeSeeds[6], true, 0, "bad\uFFFDbyte", 0},
		{envelopeSeeds[7], true, 0, "", 0},
		{`{"installation":{"id":1e3}}`, false, 0, "", 0},
		{`{"installation":"x"}`, false, 0, "", 0},
		{`{"number":99999999999999999999}`, false, 0, "", 0},
		{`{"repository":{"full_name":5}}`, false, 0, "", 0},
		{`{"a":1} x`, false, 0, "", 0},
		{`[1]`, false, 0, "", 0},
	}
	for _, tt := range tests {
		e, ok := scanEnvelope([]byte(tt.body))
		if ok != tt.ok {
			t.Errorf("scanEnvelope(%s) ok = %v, want %v", tt.body, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var inst int64
		if e.installation != nil {
			inst = *e.installation
		}
		if inst != tt.installation || e.repository != tt.repository || e.Number() != tt.number {
			t.Errorf("scanEnvelope(%s) = installation %d, repository %q, number %d", tt.body, inst, e.repository, e.Number())
		}
	}
}

// FuzzScanEnvelope holds the scan to encoding/json: every payload json decodes
// is read by the scan, to the same fields. Escaped keys (which GitHub never
// writes) are left out.
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := scanEnvelope(body)
		var j jsonEnvelope
		if json.Unmarshal(body, &j) != nil || bytes.Contains(body, []byte(`\`)) {
			return
		}
		if !ok {
			t.Fatalf("encoding/json reads %q, the scan does not", body)
		}
		if want := j.scanned(); !sameEnvelope(got, want) {
			t.Fatalf("scan %+v, encoding/json %+v, in %q", got, want, body)
		}
	})
}

func BenchmarkScanEnvelope(b *testing.B) {
	body := []byte(envelopeSeeds[0])
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := scanEnvelope(body); !ok {
			b.Fatal("not read")
		}
	}
}
