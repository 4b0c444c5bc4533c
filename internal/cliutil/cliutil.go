// Package cliutil holds what plannerbench's two binaries share on the
// command line: the error type that means "bad input" (exit status 2) and
// environment-variable defaults for flags.
package cliutil

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses of both binaries.
const (
	ExitOK       = 0
	ExitFailure  = 1 // something ran and failed (a failed case, an I/O error)
	ExitBadInput = 2 // the user's flags, files or arguments are wrong
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

// ExitCode is the process exit status for a command's error: ExitOK for
// none, ExitBadInput for BadInput, an Exit's own code, else ExitFailure.
func ExitCode(err error) int {
	var exit Exit
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, new(BadInput)):
		return ExitBadInput
	case errors.As(err, &exit):
		return exit.Code
	}
	return ExitFailure
}

// NoSubcommand is the Args of a binary's root command: an argument that
// names none of its subcommands is bad input. (Cobra's own check says so
// only in its error's text.)
func NoSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return Bad(errors.New(msg))
}
