package sim

import (
	"bufio"
	"bytes"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/configs"
	"plannerbench/schemas"
)

// numberLine is a YAML key whose value is a number (or a list of numbers,
// or a duration such as 45s).
var numberLine = regexp.MustCompile(`^\s*[a-z_]+:\s*(\[[-0-9.e, ]+\]|-?[0-9][-0-9.e_]*s?)\s*(#.*)?$`)

// Every number in a shipped profile or graph configuration carries its
// source or derivation: a comment on its line or in the comment block
// right above it (covering that one key).
func TestEveryShippedNumberHasASource(t *testing.T) {
	check := func(name string, data []byte) {
		sc := bufio.NewScanner(bytes.NewReader(data))
		commentAbove := false
		n := 0
		for line := 1; sc.Scan(); line++ {
			text := sc.Text()
			trimmed := strings.TrimSpace(text)
			if strings.HasPrefix(trimmed, "#") {
				commentAbove = true
				continue
			}
			if m := numberLine.FindStringSubmatch(text); m != nil {
				n++
				require.True(t, m[2] != "" || commentAbove, "%s:%d: %q has no source comment", name, line, trimmed)
			}
			commentAbove = false // a comment block covers the one key after it
		}
		require.Greater(t, n, 5, "%s: numbers found", name)
	}
	for _, name := range ProfileNames() {
		data, err := profileFS.ReadFile("profiles/" + name + ".yaml")
		require.NoError(t, err)
		check(name+".yaml", data)
	}
	entries, err := fs.ReadDir(configs.FS, ".")
	require.NoError(t, err)
	for _, e := range entries {
		data, err := fs.ReadFile(configs.FS, e.Name())
		require.NoError(t, err)
		check(e.Name(), data)
	}
}

// The shipped seed graph and DefaultGraphConfig say the same.
func TestDefaultGraphIsTheShippedSeedGraph(t *testing.T) {
	c, err := LoadGraphConfig("planner_benchmark_1p1d")
	require.NoError(t, err)
	require.Equal(t, DefaultGraphConfig(), *c)
	for _, v := range Graphs {
		for _, d := range []string{"1p1d", "2p2d"} {
			shipped, err := LoadGraphConfig(v + "_" + d)
			require.NoError(t, err)
			got, err := ForGraph(v, mustDeployment(t, d))
			require.NoError(t, err)
			require.Equal(t, *shipped, got)
		}
	}
	_, err = ForGraph("disagg_routr", mustDeployment(t, "1p1d"))
	require.ErrorContains(t, err, `unknown graph "disagg_routr" (shipped: planner_benchmark, disagg_router, always_remote)`)
	// The names earlier versions used still resolve.
	for old, now := range map[string]string{"disagg": GraphDisaggRouter, "disagg_remote": GraphAlwaysRemote, "": GraphPlannerBenchmark} {
		got, err := ForGraph(old, mustDeployment(t, "2p2d"))
		require.NoError(t, err)
		want, err := LoadGraphConfig(now + "_2p2d")
		require.NoError(t, err)
		require.Equal(t, *want, got, old)
	}
}

func mustDeployment(t *testing.T, s string) schemas.Deployment {
	t.Helper()
	d, err := schemas.ParseDeployment(s)
	require.NoError(t, err)
	return d
}
