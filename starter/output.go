package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// outputFormat is the --output flag shared by commands that print results.
type outputFormat struct{ value string }

func (o *outputFormat) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.value, "output", "o", "table", "output format: table or json")
}

func (o *outputFormat) check() error {
	if o.value != "table" && o.value != "json" {
		return badInput(fmt.Errorf("--output must be table or json, got %q", o.value))
	}
	return nil
}

func (o *outputFormat) json() bool { return o.value == "json" }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
