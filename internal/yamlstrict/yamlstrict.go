// Package yamlstrict checks a YAML tree against the Go type it will be decoded
// into, so a typo fails with its key and line instead of being ignored.
//
// It walks yaml.Node positions and struct tags; it never reads the decoder's
// error text.
package yamlstrict

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is what is wrong with a node.
type Problem int

// The problems Check reports.
const (
	UnknownKey Problem = iota + 1
	RepeatedKey
	WrongShape
	Alias
)

// Error is one problem, with where it is.
type Error struct {
	Problem Problem
	Line    int
	// Key is the dotted path from the checked node ("" for the node itself);
	// Name is its last part, the key as written.
	Key, Name string
	// Section is the Go type whose keys Name is not among, for UnknownKey.
	Section reflect.Type
	// Known are the keys that would have been accepted, sorted.
	Known []string
	// Err says what was wanted, for WrongShape and Alias.
	Err error
}

func (e *Error) Error() string {
	switch e.Problem {
	case UnknownKey:
		return fmt.Sprintf("unknown key %s (line %d)", e.Key, e.Line)
	case RepeatedKey:
		return fmt.Sprintf("key %s (line %d): given twice", e.Key, e.Line)
	}
	return fmt.Sprintf("key %s (line %d): %v", keyName(e.Key), e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Options adjust a check.
type Options struct {
	// Values checks the nodes of a type in its own way (a duration written as
	// "1h30m", say); its error becomes a WrongShape at that key.
	Values map[reflect.Type]func(*yaml.Node) error
}

var unmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// Check walks node against t's yaml tags and returns every problem in document
// order. It does not descend below a problem. Below the root, a struct type
// with its own UnmarshalYAML is left to check itself.
func Check(node *yaml.Node, t reflect.Type, opts Options) []*Error {
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	var errs []*Error
	check(node, t, "", opts, true, &errs)
	return errs
}

// First is Check's first problem, or nil.
func First(node *yaml.Node, t reflect.Type, opts Options) error {
	if errs := Check(node, t, opts); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Keys checks one mapping node's keys against known: the first unknown or
// repeated key is an error. prefix is the mapping's own dotted path.
func Keys(n *yaml.Node, prefix string, known []string) *Error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			return &Error{Problem: UnknownKey, Line: k.Line, Key: join(prefix, k.Value), Name: k.Value, Known: slices.Sorted(slices.Values(known))}
		}
		if seen[k.Value] {
			return &Error{Problem: RepeatedKey, Line: k.Line, Key: join(prefix, k.Value), Name: k.Value}
		}
		seen[k.Value] = true
	}
	return nil
}

func check(node *yaml.Node, t reflect.Type, key string, opts Options, root bool, errs *[]*Error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	shape := func(want string) {
		*errs = append(*errs, &Error{Problem: WrongShape, Line: node.Line, Key: key, Name: last(key), Err: errors.New(want)})
	}
	if node.Kind == yaml.AliasNode {
		*errs = append(*errs, &Error{Problem: Alias, Line: node.Line, Key: key, Name: last(key), Err: errors.New("aliases are not supported here")})
		return
	}
	if node.Tag == "!!null" {
		return
	}
	if f, ok := opts.Values[t]; ok {
		if err := f(node); err != nil {
			*errs = append(*errs, &Error{Problem: WrongShape, Line: node.Line, Key: key, Name: last(key), Err: err})
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if !root && reflect.PointerTo(t).Implements(unmarshaler) {
			return
		}
		if node.Kind != yaml.MappingNode {
			shape("want a mapping")
			return
		}
		fields := Fields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			name := join(key, k.Value)
			ft, ok := fields[k.Value]
			switch {
			case !ok:
				*errs = append(*errs, &Error{Problem: UnknownKey, Line: k.Line, Key: name, Name: k.Value, Section: t, Known: slices.Sorted(maps.Keys(fields))})
			case seen[k.Value]:
				*errs = append(*errs, &Error{Problem: RepeatedKey, Line: k.Line, Key: name, Name: k.Value})
			default:
				seen[k.Value] = true
				check(v, ft, name, opts, false, errs)
			}
		}
	case reflect.Map:
		// A map's keys are data; its element type, or its own
		// UnmarshalYAML, judges them when decoded.
		if node.Kind != yaml.MappingNode {
			shape("want a mapping")
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			shape("want a list")
			return
		}
		for i, e := range node.Content {
			check(e, t.Elem(), fmt.Sprintf("%s[%d]", key, i), opts, false, errs)
		}
	case reflect.Interface:
	default:
		if node.Kind != yaml.ScalarNode {
			shape("want a single value")
		}
	}
}

// Fields are the keys yaml.v3 decodes into struct type t, with their types:
// a tag's name, or else the lower-cased field name; inline structs merged.
func Fields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(flags, ","), "inline") && f.Type.Kind() == reflect.Struct {
			for k, v := range Fields(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func join(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "." + k
}

func last(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

func keyName(k string) string {
	if k == "" {
		return "(top level)"
	}
	return k
}
