package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"plannerbench/deploy/sim"
	"plannerbench/schemas"
)

// knownProfile rejects a sim backend's profile that names no shipped
// profile (a name) or no readable file here (a path), before anything is
// submitted: the worker would fail the case much later.
func knownProfile(m *schemas.Matrix) schemas.FieldErrors {
	if m.Backend.Kind != schemas.BackendSim || m.Backend.Profile == "" {
		return nil
	}
	if _, err := sim.LoadProfile(m.Backend.Profile); err != nil {
		return schemas.FieldErrors{{Path: "backend.profile", Msg: err.Error()}}
	}
	return nil
}

// warnMissingPaths says which files a matrix names that do not exist here;
// they may exist on the worker nodes, so it is a warning, not an error.
func warnMissingPaths(w io.Writer, file string, m *schemas.Matrix) {
	for _, p := range []struct{ field, path string }{{"trace.path", m.Trace.Path}, {"backend.manifest", m.Backend.Manifest}} {
		if p.path == "" {
			continue
		}
		if _, err := os.Stat(p.path); err != nil {
			fmt.Fprintf(w, "warning: %s: %s: %s does not exist here (%s); it must exist where the workers run\n",
				file, p.field, p.path, strings.TrimPrefix(err.Error(), "stat "+p.path+": "))
		}
	}
}
