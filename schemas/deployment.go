package schemas

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Deployment is a disaggregated worker layout: how many prefill and decode
// engines. In files it is written "1p1d" or {prefill: 1, decode: 1}.
type Deployment struct {
	Prefill int `yaml:"prefill" json:"prefill"`
	Decode  int `yaml:"decode" json:"decode"`
}

var deploymentRE = regexp.MustCompile(`^(\d+)p(\d+)d$`)

// ParseDeployment reads "NpMd".
func ParseDeployment(s string) (Deployment, error) {
	m := deploymentRE.FindStringSubmatch(s)
	if m == nil {
		return Deployment{}, fmt.Errorf("not a deployment: %q (write it like 1p1d, 2p2d or {prefill: 1, decode: 2})", s)
	}
	p, _ := strconv.Atoi(m[1])
	d, _ := strconv.Atoi(m[2])
	return Deployment{Prefill: p, Decode: d}, nil
}

// String returns the "NpMd" form.
func (d Deployment) String() string { return fmt.Sprintf("%dp%dd", d.Prefill, d.Decode) }

// UnmarshalYAML accepts "NpMd" or a mapping with prefill and decode.
func (d *Deployment) UnmarshalYAML(node *yaml.Node) error {
	switch node.Kind {
	case yaml.ScalarNode:
		v, err := ParseDeployment(node.Value)
		if err != nil {
			return typeErrorf(node, "%v", err)
		}
		*d = v
		return nil
	case yaml.MappingNode:
		type plain Deployment
		var v plain
		err := decodeKnown(node, &v, "deployment")
		*d = Deployment(v)
		return err
	}
	return typeErrorf(node, "deployment must be like 1p1d or {prefill: n, decode: m}")
}

// UnmarshalJSON accepts "NpMd" or an object.
func (d *Deployment) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := ParseDeployment(s)
		*d = v
		return err
	}
	type plain Deployment
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = Deployment(v)
	return nil
}

// GPUs returns the engines' GPU count at gpusPerEngine GPUs an engine.
func (d Deployment) GPUs(gpusPerEngine int) int { return (d.Prefill + d.Decode) * gpusPerEngine }
