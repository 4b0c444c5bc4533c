package schemas

import (
	"fmt"
	"strings"
)

// FieldError is one validation problem, named by the path of the field in the
// input file (for example "cases[1].planner.adjustment_interval") and, when
// known, the file and line it came from.
type FieldError struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Path string `json:"path"`
	Msg  string `json:"message"`
}

func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
		if e.Line > 0 {
			fmt.Fprintf(&b, "%d:", e.Line)
		}
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldErrors collects every problem found in one input, so a user fixes a
// file in one pass instead of one error per run.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// errorList accumulates FieldErrors under a path prefix.
type errorList struct {
	errs *FieldErrors
	base string
}

func newErrorList() errorList { return errorList{errs: &FieldErrors{}} }

// at returns a list that prefixes paths with field.
func (l errorList) at(field string) errorList {
	return errorList{errs: l.errs, base: joinPath(l.base, field)}
}

// index returns a list for element i of the current sequence.
func (l errorList) index(i int) errorList {
	return errorList{errs: l.errs, base: fmt.Sprintf("%s[%d]", l.base, i)}
}

func (l errorList) add(field, format string, args ...any) {
	*l.errs = append(*l.errs, FieldError{Path: joinPath(l.base, field), Msg: fmt.Sprintf(format, args...)})
}

func (l errorList) check(ok bool, field, format string, args ...any) {
	if !ok {
		l.add(field, format, args...)
	}
}

func joinPath(base, field string) string {
	switch {
	case base == "":
		return field
	case field == "":
		return base
	case strings.HasPrefix(field, "["):
		return base + field
	default:
		return base + "." + field
	}
}
