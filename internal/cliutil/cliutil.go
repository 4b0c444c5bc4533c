// Package cliutil holds what plannerbench's two binaries share on the
// command line: the error type that means "bad input" (exit status 2) and
// environment-variable defaults for flags.
package cliutil

import (
	"errors"
	"os"
	"strings"
)

// BadInput marks an error caused by the user's flags, files or arguments;
// the commands exit with status 2 for it.
type BadInput struct{ Err error }

func (e BadInput) Error() string { return e.Err.Error() }
func (e BadInput) Unwrap() error { return e.Err }

// Bad wraps err as BadInput.
func Bad(err error) error { return BadInput{err} }

// EnvOr returns the environment variable name's value, or def when it is
// unset or empty.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Exit carries a command's own exit status (for instance 3, the scale
// hook's "refused").
type Exit struct {
	Code int
	Err  error
}

func (e Exit) Error() string { return e.Err.Error() }
func (e Exit) Unwrap() error { return e.Err }

// ExitCode is the process exit status for a command's error: 0 for none,
// 2 for bad input (BadInput, or cobra's unknown command), an Exit's own
// code, else 1.
func ExitCode(err error) int {
	var exit Exit
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(BadInput)) || strings.HasPrefix(err.Error(), "unknown command "):
		return 2
	case errors.As(err, &exit):
		return exit.Code
	}
	return 1
}
