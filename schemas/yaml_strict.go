package schemas

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeKnown decodes a mapping node into out (a pointer to a struct),
// reporting keys the struct does not have. yaml's KnownFields setting does not
// reach custom unmarshalers, so the types that fill in defaults check here.
// Problems come back as *yaml.TypeError so the decoder keeps going and the
// user sees all of them at once.
func decodeKnown(node *yaml.Node, out any, section string) error {
	if node.Kind != yaml.MappingNode {
		return typeErrorf(node, "%s must be a mapping", section)
	}
	known := yamlFieldNames(reflect.TypeOf(out).Elem())
	var unknown []string
	for i := 0; i+1 < len(node.Content); i += 2 {
		if key := node.Content[i]; !known[key.Value] {
			unknown = append(unknown, fmt.Sprintf("line %d: field %s not found in %s", key.Line, key.Value, section))
		}
	}
	err := node.Decode(out)
	if len(unknown) == 0 {
		return err
	}
	if te, ok := err.(*yaml.TypeError); ok {
		unknown = append(unknown, te.Errors...)
	}
	return &yaml.TypeError{Errors: unknown}
}

// typeErrorf reports a problem at node's line in a form the decoder collects.
func typeErrorf(node *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", node.Line, fmt.Sprintf(format, args...))}}
}

func yamlFieldNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			names[tag] = true
		}
	}
	return names
}
