package sim

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"plannerbench/schemas"
)

// Profiles are schemas.Profile values (plain data, so a deployment can carry
// its performance model through Temporal to the SLA planner); this file loads
// the shipped ones and users' own.

//go:embed profiles/*.yaml
var profileFS embed.FS

// ProfileNames lists the shipped profiles.
func ProfileNames() []string {
	entries, _ := profileFS.ReadDir("profiles")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// LoadProfile returns a shipped profile by name, or reads a YAML file when
// nameOrPath ends in .yaml/.yml or contains a path separator.
func LoadProfile(nameOrPath string) (*schemas.Profile, error) {
	data, source, err := ProfileText(nameOrPath)
	if err != nil {
		return nil, err
	}
	var p schemas.Profile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &p, nil
}

// ProfileText returns a profile file's text, comments and all (a shipped
// name or a YAML file), and where it came from.
func ProfileText(nameOrPath string) ([]byte, string, error) {
	if strings.ContainsRune(nameOrPath, os.PathSeparator) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, nameOrPath, fmt.Errorf("read profile: %w", err)
		}
		return data, nameOrPath, nil
	}
	source := filepath.Join("profiles", nameOrPath+".yaml")
	data, err := profileFS.ReadFile(source)
	if err != nil {
		return nil, source, fmt.Errorf("unknown profile %q (shipped: %s)", nameOrPath, strings.Join(ProfileNames(), ", "))
	}
	return data, source, nil
}
