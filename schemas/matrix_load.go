package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Check is a validation that needs more than the file (a registry of
// profiles, say): it returns its problems by field path; the parser adds
// the file and line.
type Check func(m *Matrix) FieldErrors

// LoadMatrix reads and validates a matrix file. On problems it returns
// FieldErrors holding every one, each with the file, line and field path.
func LoadMatrix(path string, checks ...Check) (*Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read matrix: %w", err)
	}
	return ParseMatrix(data, path, checks...)
}

// ParseMatrix decodes and validates a matrix; file names the source in errors.
func ParseMatrix(data []byte, file string, checks ...Check) (*Matrix, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(err, file)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, FieldErrors{{File: file, Msg: "empty matrix file"}}
	}
	m := defaultMatrix()
	var errs FieldErrors
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		fe := yamlErrors(err, file)
		if !errors.As(err, new(*yaml.TypeError)) {
			return nil, fe // a syntax error: nothing further is meaningful
		}
		errs = append(errs, fe...)
	}
	for _, c := range m.Cases {
		if c.decodeErr != nil {
			errs = append(errs, yamlErrors(c.decodeErr, file)...)
		}
	}
	found := m.Validate()
	if len(found) == 0 && len(errs) == 0 {
		for _, check := range checks {
			found = append(found, check(&m)...)
		}
	}
	for _, e := range found {
		e.File, e.Line = file, lineOf(&root, e.Path)
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	return &m, nil
}

// yamlErrors turns the yaml package's "line N: msg" texts into FieldErrors.
func yamlErrors(err error, file string) FieldErrors {
	var texts []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		texts = te.Errors
	} else {
		texts = []string{err.Error()}
	}
	out := make(FieldErrors, 0, len(texts))
	for _, t := range texts {
		e := FieldError{File: file, Msg: strings.TrimPrefix(t, "yaml: ")}
		if m := yamlLineRE.FindStringSubmatch(t); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
		}
		out = append(out, e)
	}
	return out
}

var pathPartRE = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// lineOf finds the line of the deepest node along path ("cases[1].planner.mode").
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range pathPartRE.FindAllStringSubmatch(path, -1) {
		var next *yaml.Node
		switch {
		case part[2] != "" && n.Kind == yaml.SequenceNode:
			if i, _ := strconv.Atoi(part[2]); i < len(n.Content) {
				next = n.Content[i]
			}
		case part[1] != "" && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part[1] {
					next = n.Content[i+1]
					line = n.Content[i].Line
					break
				}
			}
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}
