package schemas

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ApplyOverrides sets fields of a matrix file before it is parsed, each as
// "path=value" with the field paths validation reports: "time_scale=20",
// "trace.synth.request_rate_max=30", "cases[0].planner.mode=sla". Missing
// mappings are created; the value is parsed as YAML ("20", "10s", "true",
// "{prefill: 2, decode: 2}"). The result is YAML for ParseMatrix, so every
// override is validated like the file itself.
func ApplyOverrides(data []byte, sets []string) ([]byte, error) {
	if len(sets) == 0 {
		return data, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	for _, set := range sets {
		path, value, ok := strings.Cut(set, "=")
		if !ok || strings.TrimSpace(path) == "" {
			return nil, fmt.Errorf("--set %q: want path=value", set)
		}
		var v yaml.Node
		if err := yaml.Unmarshal([]byte(value), &v); err != nil {
			return nil, fmt.Errorf("--set %s: value: %w", path, err)
		}
		val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
		if len(v.Content) > 0 {
			val = v.Content[0]
		}
		if err := setPath(doc.Content[0], strings.TrimSpace(path), val); err != nil {
			return nil, fmt.Errorf("--set %s: %w", path, err)
		}
	}
	return yaml.Marshal(&doc)
}

func setPath(n *yaml.Node, path string, val *yaml.Node) error {
	parts := pathPartRE.FindAllStringSubmatch(path, -1)
	if len(parts) == 0 {
		return fmt.Errorf("empty path")
	}
	for i, part := range parts {
		last := i == len(parts)-1
		switch {
		case part[2] != "":
			idx, _ := strconv.Atoi(part[2])
			if n.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s is not a list", part[0])
			}
			if idx >= len(n.Content) {
				return fmt.Errorf("index [%d] is past the end of a list of %d", idx, len(n.Content))
			}
			if last {
				n.Content[idx] = val
				return nil
			}
			n = n.Content[idx]
		default:
			if n.Kind != yaml.MappingNode {
				return fmt.Errorf("%s: parent is not a mapping", part[1])
			}
			var child *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == part[1] {
					if last {
						n.Content[j+1] = val
						return nil
					}
					child = n.Content[j+1]
				}
			}
			if child == nil {
				key := &yaml.Node{Kind: yaml.ScalarNode, Value: part[1]}
				if last {
					n.Content = append(n.Content, key, val)
					return nil
				}
				child = &yaml.Node{Kind: yaml.MappingNode}
				n.Content = append(n.Content, key, child)
			}
			n = child
		}
	}
	return nil
}
