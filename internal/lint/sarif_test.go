package lint

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema is the OASIS SARIF 2.1.0 schema (errata 01), vendored in testdata.
var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
})

// rfc3986 is what a URI reference may hold: unreserved characters,
// percent-encodings, and the delimiters allowed in a path.
var rfc3986 = regexp.MustCompile(`^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$`)

type sarifOut struct {
	Runs []struct {
		Tool struct {
			Driver struct{ Version, InformationURI string } `json:"driver"`
		} `json:"tool"`
		AutomationDetails  struct{ ID string }             `json:"automationDetails"`
		OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
		Results            []struct {
			RuleID    string
			Message   struct{ Text, Markdown string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region struct{ StartLine int } `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFValidatesAgainstTheSchemaForAwkwardPaths(t *testing.T) {
	schema, err := sarifSchema()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"with space/a b.md", "ümlaut.md", "hash#1.md", "ref[1].md", "100%.md", "plain.md"}
	dir := t.TempDir()
	for _, n := range names {
		write(t, filepath.Join(dir, n), "#### T-A-1: x\n\n- **STRIDE**: Tampring\n- **Status**: Accepted\n")
	}
	t.Chdir(dir)
	code, stdout, stderr := run(t, Command{}, append([]string{"--format", "sarif"}, names...)...)
	if code != ExitFail {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("output does not validate against SARIF 2.1.0: %v", err)
	}
	var log sarifOut
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if r.Tool.Driver.Version == "" || r.AutomationDetails.ID == "" || r.Tool.Driver.InformationURI == "" {
		t.Errorf("tool %+v automation %+v", r.Tool, r.AutomationDetails)
	}
	base, ok := r.OriginalURIBaseIDs["%SRCROOT%"]
	if u, err := url.Parse(base.URI); !ok || err != nil || u.Scheme != "file" || !strings.HasSuffix(u.Path, "/") {
		t.Errorf("originalUriBaseIds %+v", r.OriginalURIBaseIDs)
	}
	seen := map[string]bool{}
	for _, res := range r.Results {
		loc := res.Locations[0].PhysicalLocation.ArtifactLocation
		u, err := url.Parse(loc.URI)
		if err != nil || !rfc3986.MatchString(loc.URI) || u.IsAbs() || loc.URIBaseID != "%SRCROOT%" {
			t.Errorf("uri %q (base %q) is not a relative, percent-encoded URI: %v", loc.URI, loc.URIBaseID, err)
			continue
		}
		seen[u.Path] = true
		if res.PartialFingerprints[fingerprintKey] == "" {
			t.Errorf("result %s has no partial fingerprint", res.RuleID)
		}
		if strings.Contains(res.Message.Text, "**") || res.Message.Markdown == "" {
			t.Errorf("message %+v: want plain text and a Markdown form", res.Message)
		}
	}
	for _, n := range names {
		if !seen[n] {
			t.Errorf("no result names %q; seen %v", n, seen)
		}
	}
}

func TestSARIFFingerprintsFollowTheEntryNotTheLine(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	model := "#### T-A-1: x\n\n- **STRIDE**: Tampring\n- **Status**: Accepted\n"
	fingerprints := func() []string {
		_, stdout, _ := run(t, Command{}, "--format", "sarif", "m.md")
		var log sarifOut
		if err := json.Unmarshal([]byte(stdout), &log); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, res := range log.Runs[0].Results {
			out = append(out, res.RuleID+" "+res.PartialFingerprints[fingerprintKey])
		}
		return out
	}
	write(t, "m.md", model)
	before := fingerprints()
	write(t, "m.md", "# Model\n\nSome words first.\n\n"+model)
	after := fingerprints()
	if len(before) == 0 || strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("fingerprints moved with the lines:\n%s\n%s", before, after)
	}
	var again bytes.Buffer
	for _, f := range before {
		again.WriteString(f)
	}
	if strings.Count(again.String(), before[0][strings.IndexByte(before[0], ' ')+1:]) != 1 {
		t.Errorf("fingerprints repeat: %q", before)
	}
}
