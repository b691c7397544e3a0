// Package repoconfig parses a repository's .github/secwg.yml strictly, so that a typo
// fails loudly with the file, line and key instead of silently disabling a check.
package repoconfig

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/secwg/secwg/internal/threatmodel"
	"github.com/secwg/secwg/internal/yamlstrict"
	"go.yaml.in/yaml/v3"
)

// DefaultCheckName is the check run's name unless threat_model.check_name says otherwise.
const DefaultCheckName = "threat-model"

// Config is a repository's secwg configuration. Every top-level key must be
// known: an unknown one is an error, so new sections are added here first.
type Config struct {
	ThreatModel ThreatModel
}

// ThreatModel configures the threat-model check. Without Paths there is no check.
type ThreatModel struct {
	// Paths are slash-separated globs relative to the repository root; `**`
	// matches any number of directories.
	Paths   []string
	Section string
	// Sections are headings every model must have (threat_model.sections).
	Sections  []string
	CheckName string
	// Rules overrides rule severities by rule ID.
	Rules map[string]threatmodel.Severity
}

// Error is a configuration problem at a place in a file.
type Error struct {
	File    string
	Line    int
	Key     string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	return b.String()
}

// Parse reads a configuration file. An empty file is a valid configuration
// that enables nothing.
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{ThreatModel: ThreatModel{CheckName: DefaultCheckName}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := yamlErrorLine(err)
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", line))
		return nil, &Error{File: file, Line: line, Message: msg}
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	p := &configParser{file: file}
	root := doc.Content[0]
	err := p.mapping(root, "", map[string]func(*yaml.Node, string) error{
		"threat_model": func(n *yaml.Node, key string) error {
			return p.mapping(n, key, map[string]func(*yaml.Node, string) error{
				"paths":      func(n *yaml.Node, key string) error { return p.paths(n, key, &c.ThreatModel.Paths) },
				"section":    func(n *yaml.Node, key string) error { return p.str(n, key, &c.ThreatModel.Section) },
				"sections":   func(n *yaml.Node, key string) error { return p.headings(n, key, &c.ThreatModel.Sections) },
				"check_name": func(n *yaml.Node, key string) error { return p.str(n, key, &c.ThreatModel.CheckName) },
				"rules":      func(n *yaml.Node, key string) error { return p.rules(n, key, &c.ThreatModel.Rules) },
			})
		},
	})
	if err != nil {
		return nil, err
	}
	if c.ThreatModel.CheckName == "" {
		c.ThreatModel.CheckName = DefaultCheckName
	}
	return c, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

type configParser struct{ file string }

func (p *configParser) fail(n *yaml.Node, key, format string, args ...any) error {
	return &Error{File: p.file, Line: n.Line, Key: key, Message: fmt.Sprintf(format, args...)}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// mapping walks a mapping node, refusing unknown and repeated keys.
func (p *configParser) mapping(n *yaml.Node, prefix string, fields map[string]func(*yaml.Node, string) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.fail(n, prefix, "must be a mapping")
	}
	if e := yamlstrict.Keys(n, prefix, slices.Collect(maps.Keys(fields))); e != nil {
		if e.Problem == yamlstrict.RepeatedKey {
			return &Error{File: p.file, Line: e.Line, Key: e.Key, Message: "key appears more than once"}
		}
		return &Error{File: p.file, Line: e.Line, Key: e.Key, Message: "unknown key (known: " + strings.Join(e.Known, ", ") + ")"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := fields[k.Value](v, join(prefix, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

func (p *configParser) str(n *yaml.Node, key string, dst *string) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return p.fail(n, key, "must be a string")
	}
	*dst = n.Value
	return nil
}

func (p *configParser) paths(n *yaml.Node, key string, dst *[]string) error {
	if n.Kind != yaml.SequenceNode {
		return p.fail(n, key, "must be a list of globs")
	}
	for _, item := range n.Content {
		var glob string
		if err := p.str(item, key, &glob); err != nil {
			return err
		}
		if err := validGlob(glob); err != nil {
			return p.fail(item, key, "%v", err)
		}
		*dst = append(*dst, cleanGlob(glob))
	}
	return nil
}

func (p *configParser) rules(n *yaml.Node, key string, dst *map[string]threatmodel.Severity) error {
	if n.Kind != yaml.MappingNode {
		return p.fail(n, key, "must map rule IDs to error, warning or off")
	}
	*dst = map[string]threatmodel.Severity{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		rkey := join(key, k.Value)
		if _, ok := threatmodel.LookupRule(k.Value); !ok {
			return p.fail(k, rkey, "unknown rule (known: %s)", threatmodel.RuleIDs())
		}
		if _, dup := (*dst)[k.Value]; dup {
			return p.fail(k, rkey, "rule appears more than once")
		}
		if v.Kind != yaml.ScalarNode {
			return p.fail(v, rkey, "must be error, warning or off")
		}
		sev, err := threatmodel.ParseSeverity(v.Value)
		if err != nil {
			return p.fail(v, rkey, "%v", err)
		}
		(*dst)[k.Value] = sev
	}
	return nil
}

// cleanGlob drops a leading "./" or "/": globs are relative to the root.
func cleanGlob(g string) string {
	return strings.TrimPrefix(strings.TrimPrefix(g, "./"), "/")
}

func validGlob(g string) error {
	g = cleanGlob(g)
	if g == "" {
		return fmt.Errorf("empty glob")
	}
	for _, seg := range strings.Split(g, "/") {
		if seg == "" {
			return fmt.Errorf("glob %q has an empty path segment", g)
		}
		if seg == "**" {
			continue
		}
		if strings.Contains(seg, "**") {
			return fmt.Errorf("glob %q: ** must be a whole path segment", g)
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("glob %q: %v", g, err)
		}
	}
	return nil
}

// Matches reports whether a repository path is a threat-model file.
func (c *Config) Matches(p string) bool {
	p = strings.TrimPrefix(p, "/")
	parts := strings.Split(p, "/")
	for _, g := range c.ThreatModel.Paths {
		if matchSegments(strings.Split(g, "/"), parts) {
			return true
		}
	}
	return false
}

func matchSegments(glob, parts []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			for i := 0; i <= len(parts); i++ {
				if matchSegments(glob[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(glob[0], parts[0]); !ok {
			return false
		}
		glob, parts = glob[1:], parts[1:]
	}
	return len(parts) == 0
}

// Enabled reports whether the repository opted in to the threat-model check.
func (c *Config) Enabled() bool { return len(c.ThreatModel.Paths) > 0 }

// Options returns the checker options the configuration asks for.
func (c *Config) Options() threatmodel.Options {
	return threatmodel.Options{Section: c.ThreatModel.Section, Severities: c.ThreatModel.Rules, Sections: c.ThreatModel.Sections}
}
