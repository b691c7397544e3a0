package repoconfig

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// headings reads threat_model.sections: a list of non-empty, distinct heading texts.
func (p *configParser) headings(n *yaml.Node, key string, dst *[]string) error {
	if n.Kind != yaml.SequenceNode {
		return p.fail(n, key, "must be a list of headings")
	}
	seen := map[string]int{}
	for _, item := range n.Content {
		var h string
		if err := p.str(item, key, &h); err != nil {
			return err
		}
		h = strings.Join(strings.Fields(h), " ")
		if h == "" {
			return p.fail(item, key, "empty heading")
		}
		fold := strings.ToLower(h)
		if line, dup := seen[fold]; dup {
			return p.fail(item, key, "heading %q is listed twice (first on line %d)", h, line)
		}
		seen[fold] = item.Line
		*dst = append(*dst, h)
	}
	return nil
}
