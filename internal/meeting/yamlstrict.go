package meeting

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secwg/secwg/internal/yamlstrict"
)

var (
	groupType = reflect.TypeOf(Group{})

	// strictGroup checks durations as "1h30m" before yaml's own decoding,
	// which would take a bare number as nanoseconds.
	strictGroup = yamlstrict.Options{Values: map[reflect.Type]func(*yaml.Node) error{
		reflect.TypeOf(time.Duration(0)): func(n *yaml.Node) error {
			if n.Kind != yaml.ScalarNode {
				return errors.New("want a duration such as 1h30m")
			}
			_, err := parseDuration(n)
			return err
		},
	}}
)

// checkGroup walks a group's node against Group's yaml tags so that a typo or
// a value of the wrong shape fails with its key and line.
func checkGroup(node *yaml.Node) error {
	return yamlstrict.First(node, groupType, strictGroup)
}

func parseDuration(node *yaml.Node) (time.Duration, error) {
	d, err := time.ParseDuration(node.Value)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 1h30m, got %q", node.Value)
	}
	return d, nil
}
