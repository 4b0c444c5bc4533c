package layers

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// deps returns, for each package matching pattern, every package it links
// (go list -deps, tests excluded).
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, pattern)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err, "go list %s", pattern)
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[f[0]] = f[1:]
	}
	return m
}

func forbidden(t *testing.T, pattern string, banned ...string) {
	t.Helper()
	for pkg, ds := range deps(t, pattern) {
		if pkg == temporalClient {
			continue
		}
		for _, d := range ds {
			for _, b := range banned {
				if d == b || strings.HasPrefix(d, b+"/") {
					t.Errorf("%s links %s (via %s), which its layer must not", pkg, b, d)
				}
			}
		}
	}
}

// onlyOwn fails when a package links a plannerbench package outside allowed.
func onlyOwn(t *testing.T, pattern string, allowed ...string) {
	t.Helper()
	for pkg, ds := range deps(t, pattern) {
		for _, d := range ds {
			if !strings.HasPrefix(d, "plannerbench/") {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || d == a
			}
			if !ok {
				t.Errorf("%s links %s; it may link only %v of plannerbench", pkg, d, allowed)
			}
		}
	}
}

const (
	arrow    = "github.com/apache/arrow-go"
	gonum    = "gonum.org/v1"
	openai   = "github.com/sashabaranov/go-openai"
	temporal = "go.temporal.io"
	// temporalClient dials Temporal for the two binaries: it is the one
	// internal package whose job is Temporal.
	temporalClient = "plannerbench/internal/tclient"
)

// Workflow code replays from history: it links the payloads, the records
// and the pure planner rules, nothing that does I/O or heavy lifting, so
// that renaming a domain field cannot change a recorded payload.
func TestWorkflowsLinkOnlyPlainData(t *testing.T) {
	forbidden(t, "plannerbench/workflows", arrow, gonum, openai, "github.com/prometheus")
	onlyOwn(t, "plannerbench/workflows", "plannerbench/schemas", "plannerbench/activities/payload", "plannerbench/internal/planner")
	onlyOwn(t, "plannerbench/activities/payload", "plannerbench/schemas")
	forbidden(t, "plannerbench/activities/payload", temporal)
}

// The records and the planner rules are plain Go.
func TestSchemasAndPlannerArePlain(t *testing.T) {
	forbidden(t, "plannerbench/schemas", arrow, gonum, openai, temporal)
	onlyOwn(t, "plannerbench/schemas")
	onlyOwn(t, "plannerbench/internal/planner", "plannerbench/schemas")
}

// Domain code and backends never import Temporal, nor the layers above them.
func TestDomainNeverImportsTemporal(t *testing.T) {
	for _, p := range []string{"plannerbench/internal/...", "plannerbench/deploy/..."} {
		forbidden(t, p, temporal, "plannerbench/activities", "plannerbench/workflows")
	}
	forbidden(t, "plannerbench/schemas", "plannerbench/internal", "plannerbench/deploy")
}

// A case folder is written by one package, which knows files and records
// only, never who runs the case.
func TestCaseFolderLinksOnlyRecords(t *testing.T) {
	onlyOwn(t, "plannerbench/internal/casefolder", "plannerbench/schemas", "plannerbench/internal/results",
		"plannerbench/internal/aiperf", "plannerbench/internal/atomicfile", "plannerbench/internal/tfevents")
	forbidden(t, "plannerbench/internal/casefolder", temporal, openai, "github.com/prometheus")
}

// The simulator is three packages: the engine is a model behind a virtual
// clock (no sockets, no server, no backend); its HTTP server drives it in
// real time; its backend starts the server as a process.
func TestSimulatorPackages(t *testing.T) {
	onlyOwn(t, "plannerbench/deploy/sim", "plannerbench/schemas", "plannerbench/deploy/configs", "plannerbench/internal/observe")
	forbidden(t, "plannerbench/deploy/sim", openai, "plannerbench/deploy/sim/simserver", "plannerbench/deploy/sim/simbackend")
	forbidden(t, "plannerbench/deploy/sim/simserver", "plannerbench/deploy/sim/simbackend", "plannerbench/internal/results", "plannerbench/internal/casefolder")
}

// The virtual-time twin of the workflows runs a case without Temporal: the
// engine and the same planner step as PlannerWorkflow, never the
// simulator's server or backend, and nothing of the layers above.
func TestVirtualTimeRunsWithoutTemporal(t *testing.T) {
	forbidden(t, "plannerbench/virtual/...", temporal, "plannerbench/activities", "plannerbench/workflows",
		"plannerbench/deploy/sim/simserver", "plannerbench/deploy/sim/simbackend", "plannerbench/commands")
	for pkg, ds := range deps(t, "plannerbench/virtual/replay") {
		require.Contains(t, ds, "plannerbench/internal/planner", "%s must run the workflows' planner step", pkg)
	}
}

// Nothing below the binaries links the virtual-time twin or the shared
// subcommands, and the domain never links a backend.
func TestNothingLinksUpward(t *testing.T) {
	forbidden(t, "plannerbench/internal/...", "plannerbench/virtual", "plannerbench/commands", "plannerbench/deploy")
	forbidden(t, "plannerbench/deploy/...", "plannerbench/virtual", "plannerbench/commands")
	forbidden(t, "plannerbench/activities/...", "plannerbench/virtual", "plannerbench/commands")
}
