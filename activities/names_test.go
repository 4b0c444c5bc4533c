package activities

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/activities/payload"
)

// The workflows call activities by the names in payload; the worker
// registers the methods of Activities under their own names. Each name must
// be a method, and each method a name.
func TestActivityNamesAreMethods(t *testing.T) {
	names := []string{payload.NodeQueueActivity, payload.FindCompletedActivity, payload.SynthesizeTraceActivity,
		payload.DeployActivity, payload.ScaleActivity, payload.CollectMetricsActivity, payload.ObserveActivity,
		payload.DriveLoadActivity, payload.TeardownActivity, payload.SummarizeActivity, payload.CompareCasesActivity,
		payload.StartPlannerEnvActivity, payload.StopPlannerEnvActivity, payload.ExternalAskActivity, payload.VirtualPollActivity,
		payload.VirtualCompleteActivity, payload.WorkersActivity}
	typ := reflect.TypeOf(&Activities{})
	var methods []string
	for i := 0; i < typ.NumMethod(); i++ {
		methods = append(methods, typ.Method(i).Name)
	}
	require.ElementsMatch(t, names, methods)
}
