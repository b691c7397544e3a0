package meeting

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	groupType    = reflect.TypeOf(Group{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// checkNode walks node against the yaml tags of t so that a typo or a value of the
// wrong shape fails with its key and line, before yaml's own decoding.
func checkNode(node *yaml.Node, t reflect.Type, key string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.AliasNode {
		return fmt.Errorf("key %s (line %d): aliases are not supported here", keyName(key), node.Line)
	}
	if node.Tag == "!!null" {
		return nil
	}
	switch {
	case t == durationType:
		if node.Kind != yaml.ScalarNode {
			return fmt.Errorf("key %s (line %d): want a duration such as 1h30m", keyName(key), node.Line)
		}
		if _, err := parseDuration(node); err != nil {
			return fmt.Errorf("key %s (line %d): %w", keyName(key), node.Line, err)
		}
	case t.Kind() == reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return fmt.Errorf("key %s (line %d): want a mapping", keyName(key), node.Line)
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			name := joinKey(key, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("unknown key %s (line %d)", name, k.Line)
			}
			if seen[k.Value] {
				return fmt.Errorf("key %s (line %d): given twice", name, k.Line)
			}
			seen[k.Value] = true
			if err := checkNode(v, ft, name); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map:
		// Map types check their own keys when decoded (command.Overrides does).
		if node.Kind != yaml.MappingNode {
			return fmt.Errorf("key %s (line %d): want a mapping", keyName(key), node.Line)
		}
	case t.Kind() == reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return fmt.Errorf("key %s (line %d): want a list", keyName(key), node.Line)
		}
		for i, e := range node.Content {
			if err := checkNode(e, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	default:
		if node.Kind != yaml.ScalarNode {
			return fmt.Errorf("key %s (line %d): want a single value", keyName(key), node.Line)
		}
	}
	return nil
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = f.Type
		}
	}
	return m
}

func joinKey(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "." + k
}

func keyName(k string) string {
	if k == "" {
		return "(group)"
	}
	return k
}

func parseDuration(node *yaml.Node) (time.Duration, error) {
	d, err := time.ParseDuration(node.Value)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 1h30m, got %q", node.Value)
	}
	return d, nil
}
