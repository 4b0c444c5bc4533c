package planner

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/schemas"
)

// Every mode a matrix may name is a planner here, and every planner here
// is a mode a matrix may name.
func TestModesAreTheMatrixModes(t *testing.T) {
	require.ElementsMatch(t, schemas.PlannerModes(), Modes())
}

// Only the external mode takes its decisions from outside; only the load
// planner applies its changes one at a time (and so may block).
func TestModeProperties(t *testing.T) {
	for _, name := range Modes() {
		require.Equal(t, name == schemas.PlannerExternal, IsExternal(name), name)
		require.Equal(t, name == schemas.PlannerLoad, modeOf(name).stepwise, name)
	}
	require.False(t, IsExternal("nonsense"))
}

// Modes lists the planner modes plannerbench runs, sorted.
func Modes() []string {
	names := make([]string, 0, len(modes))
	for name := range modes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
