package command

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Permission is a set of grants, any one of which lets a user run a command:
// Team|Triage reads "members of the group's team, or triage or higher".
// The repository levels are ordered, so Triage also admits write, maintain
// and admin.
type Permission uint8

// The grants. Their order is the order Decide tries them in: cheapest first.
const (
	Anyone Permission = 1 << iota
	Author
	Team
	Triage
	Write
	Maintain
	Admin
)

const repoLevels = Triage | Write | Maintain | Admin

var permissionNames = []struct {
	p    Permission
	name string
	text string
}{
	{Anyone, "anyone", "anyone"},
	{Author, "author", "the author"},
	{Team, "team", "members of the group's team"},
	{Triage, "triage", "people with triage access or higher"},
	{Write, "write", "people with write access or higher"},
	{Maintain, "maintain", "people with maintain access or higher"},
	{Admin, "admin", "people with admin access"},
}

// ParsePermission reads one grant by its config name ("team", "triage", …).
func ParsePermission(name string) (Permission, error) {
	for _, n := range permissionNames {
		if n.name == name {
			return n.p, nil
		}
	}
	return 0, fmt.Errorf("unknown permission %q (want one of %s)", name, permissionList())
}

func permissionList() string {
	names := make([]string, len(permissionNames))
	for i, n := range permissionNames {
		names[i] = n.name
	}
	return strings.Join(names, ", ")
}

// Names lists the grants in p by their config names, cheapest first.
func (p Permission) Names() []string {
	var out []string
	for _, n := range permissionNames {
		if p&n.p != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String joins the config names with " or ", as logs show them.
func (p Permission) String() string {
	if p == 0 {
		return "no one"
	}
	return strings.Join(p.Names(), " or ")
}

// Describe says in words who p admits, as help and refusals show it. Only
// the lowest repository level is named, since it admits the higher ones.
func (p Permission) Describe() string {
	if p&Anyone != 0 {
		return "anyone"
	}
	var parts []string
	for _, n := range permissionNames {
		if p&n.p == 0 {
			continue
		}
		parts = append(parts, n.text)
		if n.p&repoLevels != 0 {
			break
		}
	}
	switch len(parts) {
	case 0:
		return "no one"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// minRepoLevel is the lowest repository level p admits, or 0.
func (p Permission) minRepoLevel() Permission {
	for l := Triage; l <= Admin; l <<= 1 {
		if p&l != 0 {
			return l
		}
	}
	return 0
}

// UnmarshalYAML accepts one name (`team`) or a list (`[team, triage]`).
// Anyone may not be combined with other grants: it already admits them all,
// and a list that says otherwise is almost certainly a mistake.
func (p *Permission) UnmarshalYAML(n *yaml.Node) error {
	var names []string
	switch n.Kind {
	case yaml.ScalarNode:
		names = []string{n.Value}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: permission must be a name, not a %s", item.Line, nodeKind(item))
			}
			names = append(names, item.Value)
		}
	default:
		return fmt.Errorf("line %d: permission must be a name or a list of names, not a %s", n.Line, nodeKind(n))
	}
	if len(names) == 0 {
		return fmt.Errorf("line %d: empty permission list would let no one run the command", n.Line)
	}
	var out Permission
	for _, name := range names {
		one, err := ParsePermission(name)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		out |= one
	}
	if out&Anyone != 0 && out != Anyone {
		return fmt.Errorf("line %d: %q already admits everyone; list it alone", n.Line, "anyone")
	}
	*p = out
	return nil
}

// MarshalYAML writes p as a list of names.
func (p Permission) MarshalYAML() (any, error) { return p.Names(), nil }

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// Overrides is a group's `commands:` block in the server config: who may
// run each command instead of the default, keyed by the command's Key, e.g.
//
//	commands:
//	  agenda: [team, triage]
//	  minutes: team
//
// Embed it in the config as `Commands command.Overrides `yaml:"commands"“.
type Overrides map[string]Permission

// UnmarshalYAML rejects unknown and duplicate keys, naming them, so a typo in
// the config fails loudly instead of silently keeping the default.
func (o *Overrides) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: commands must be a mapping of command to permission, not a %s", n.Line, nodeKind(n))
	}
	out := make(Overrides, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := checkOverrideKey(k.Value); err != nil {
			return fmt.Errorf("line %d: commands.%s: %w", k.Line, k.Value, err)
		}
		if _, dup := out[k.Value]; dup {
			return fmt.Errorf("line %d: commands.%s: set twice", k.Line, k.Value)
		}
		var p Permission
		if err := v.Decode(&p); err != nil {
			return fmt.Errorf("commands.%s: %w", k.Value, err)
		}
		out[k.Value] = p
	}
	*o = out
	return nil
}

func checkOverrideKey(key string) error {
	for _, s := range table {
		if s.Key == key {
			return nil
		}
	}
	for _, s := range table {
		for _, a := range s.Aliases {
			if a == key {
				return fmt.Errorf("%q is another name for %q; configure %q", key, "/"+s.Name+" "+s.Keyword, s.Key)
			}
		}
	}
	return fmt.Errorf("unknown command (want one of %s)", strings.Join(overrideKeys(), ", "))
}

func overrideKeys() []string {
	seen := map[string]bool{}
	var keys []string
	for _, s := range table {
		if !seen[s.Key] {
			seen[s.Key] = true
			keys = append(keys, s.Key)
		}
	}
	sort.Strings(keys)
	return keys
}

// Validate checks overrides built in code rather than decoded from YAML.
func (o Overrides) Validate() error {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := checkOverrideKey(k); err != nil {
			return fmt.Errorf("commands.%s: %w", k, err)
		}
		if o[k] == 0 {
			return fmt.Errorf("commands.%s: no permission would let no one run the command", k)
		}
	}
	return nil
}

// For is who may run k: the override when the group sets one, else the
// table's default.
func (o Overrides) For(k Kind) Permission {
	s, ok := SpecFor(k)
	if !ok {
		return 0
	}
	if p, ok := o[s.Key]; ok && p != 0 {
		return p
	}
	return s.Default
}
