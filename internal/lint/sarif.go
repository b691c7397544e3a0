package lint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/secwg/secwg/internal/threatmodel"
	"github.com/secwg/secwg/internal/version"
)

// The subset of SARIF 2.1.0 secwg writes, in the shape GitHub code scanning
// reads: locations relative to %SRCROOT%, fingerprints that follow an entry
// rather than a line, and a category of its own.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                        `json:"tool"`
	AutomationDetails  sarifAutomation                  `json:"automationDetails"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds,omitempty"`
	ColumnKind         string                           `json:"columnKind"`
	Results            []sarifResult                    `json:"results"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	FullDescription      sarifMessage `json:"fullDescription"`
	Help                 sarifMessage `json:"help"`
	HelpURI              string       `json:"helpUri"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           struct {
			StartLine   int `json:"startLine"`
			StartColumn int `json:"startColumn"`
			EndLine     int `json:"endLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

// srcRoot is the base the result URIs are relative to.
const srcRoot = "%SRCROOT%"

// fingerprintKey names secwg's partial fingerprint; the version lets the
// scheme change without matching old alerts wrongly.
const fingerprintKey = "secwgEntry/v1"

// sarifLevel is githubLevel in SARIF's words, where a notice is a note.
func sarifLevel(s threatmodel.Severity) string {
	if l := githubLevel(s); l != "notice" {
		return l
	}
	return "note"
}

// artifactURI turns a finding's path into a URI: relative paths percent-encoded
// segment by segment under %SRCROOT%, absolute ones as file URIs.
func artifactURI(p string) sarifArtifactLocation {
	if strings.HasPrefix(p, "/") {
		return sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: p}).String()}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return sarifArtifactLocation{URI: strings.Join(segs, "/"), URIBaseID: srcRoot}
}

// rootURI is the file URI of a directory, ending in a slash as SARIF asks.
func rootURI(dir string) string {
	p := strings.TrimSuffix(filepath.ToSlash(dir), "/") + "/"
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// fingerprint identifies a finding across commits by what it is about, not
// where it is: rule, entry and, for several alike, their order. Findings on no
// entry (an empty file) are told apart by path and message.
func fingerprint(f threatmodel.Finding, seen map[string]int) string {
	key := f.Rule + "\x00" + f.Entry
	if f.Entry == "" {
		key += "\x00" + f.Path + "\x00" + f.Message
	}
	seen[key]++
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(seen[key])))
	return hex.EncodeToString(sum[:16])
}

// writeSARIF writes the report; root is the directory finding paths are
// relative to.
func writeSARIF(w io.Writer, r *threatmodel.Report, root string) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "secwg", Version: version.String(),
			InformationURI: "https://github.com/secwg/secwg"}},
		AutomationDetails: sarifAutomation{ID: "secwg/threat-model/"},
		ColumnKind:        "unicodeCodePoints",
		Results:           []sarifResult{},
	}
	if root != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLocation{srcRoot: {URI: rootURI(root)}}
	}
	index := map[string]int{}
	for i, rule := range threatmodel.Rules {
		sr := sarifRule{ID: rule.ID, ShortDescription: sarifMessage{Text: rule.Short},
			FullDescription: sarifMessage{Text: rule.PlainHelp()},
			Help:            sarifMessage{Text: rule.PlainHelp(), Markdown: rule.Help},
			HelpURI:         threatmodel.FormatDocURL + "#rules"}
		sr.DefaultConfiguration.Level = sarifLevel(rule.Severity)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
		index[rule.ID] = i
	}
	seen := map[string]int{}
	for _, f := range r.Findings {
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation = artifactURI(f.Path)
		loc.PhysicalLocation.Region.StartLine = f.Line
		loc.PhysicalLocation.Region.StartColumn = f.Column
		loc.PhysicalLocation.Region.EndLine = f.EndLine
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message:             sarifMessage{Text: f.Message, Markdown: f.Markdown},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f, seen)},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
