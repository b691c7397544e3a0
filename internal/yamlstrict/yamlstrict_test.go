package yamlstrict

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	Port  int           `yaml:"port"`
	Wait  time.Duration `yaml:"wait"`
	Items []string      `yaml:"items"`
}

type custom struct{ raw string }

func (c *custom) UnmarshalYAML(n *yaml.Node) error { c.raw = n.Value; return nil }

type outer struct {
	Server inner             `yaml:"server"`
	Tags   map[string]string `yaml:"tags"`
	Own    custom            `yaml:"own"`
	Plain  string
	Hidden string `yaml:"-"`
	Shared `yaml:",inline"`
}

type Shared struct {
	Level string `yaml:"level"`
}

var durations = Options{Values: map[reflect.Type]func(*yaml.Node) error{
	reflect.TypeOf(time.Duration(0)): func(n *yaml.Node) error {
		if _, err := time.ParseDuration(n.Value); n.Kind != yaml.ScalarNode || err != nil {
			return errors.New("want a duration such as 1h30m")
		}
		return nil
	},
}}

func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestCheckNamesKeyLineAndSection(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // Error() of each problem, in order
	}{
		{"valid", "server:\n  port: 1\n  wait: 1s\n  items: [a]\ntags: {x: y}\nown: [any, shape]\nplain: p\nlevel: info\n", nil},
		{"unknown nested key", "server:\n  prot: 1\n", []string{"unknown key server.prot (line 2)"}},
		{"every unknown key", "srv: 1\nserver:\n  x: 1\n", []string{"unknown key srv (line 1)", "unknown key server.x (line 3)"}},
		{"ignored field is unknown", "hidden: x\n", []string{"unknown key hidden (line 1)"}},
		{"repeated key", "plain: a\nplain: b\n", []string{"key plain (line 2): given twice"}},
		{"scalar for a mapping", "server: 5\n", []string{"key server (line 1): want a mapping"}},
		{"scalar for a list", "server:\n  items: a\n", []string{"key server.items (line 2): want a list"}},
		{"mapping for a scalar", "server:\n  port: {a: 1}\n", []string{"key server.port (line 2): want a single value"}},
		{"value check", "server:\n  wait: soon\n", []string{"key server.wait (line 2): want a duration such as 1h30m"}},
		{"alias", "a: &x 1\nplain: *x\n", []string{"unknown key a (line 1)", "key plain (line 2): aliases are not supported here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Check(parse(t, tt.src), reflect.TypeOf(outer{}), durations) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnknownKeyCarriesSectionAndKnownKeys(t *testing.T) {
	errs := Check(parse(t, "server:\n  workrs: 2\n"), reflect.TypeOf(outer{}), Options{})
	if len(errs) != 1 {
		t.Fatalf("errs = %v", errs)
	}
	e := errs[0]
	if e.Problem != UnknownKey || e.Name != "workrs" || e.Line != 2 || e.Section != reflect.TypeOf(inner{}) || strings.Join(e.Known, ",") != "items,port,wait" {
		t.Errorf("error = %+v", e)
	}
}

func TestKeysRefusesUnknownAndRepeatedKeys(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"a: 1\nb: 2\n", ""},
		{"a: 1\nc: 2\n", "unknown key p.c (line 2)"},
		{"a: 1\na: 2\n", "key p.a (line 2): given twice"},
	}
	for _, tt := range tests {
		got := ""
		if e := Keys(parse(t, tt.src).Content[0], "p", []string{"b", "a"}); e != nil {
			got = e.Error()
		}
		if got != tt.want {
			t.Errorf("Keys(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}
