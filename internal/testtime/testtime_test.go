package testtime

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A stream as `go test -json` writes it for two packages: a passing test
// whose output is dropped, a failing one whose output is kept, a subtest,
// a skip, and the package lines.
const stream = `{"Action":"start","Package":"p/a"}
{"Action":"run","Package":"p/a","Test":"TestQuick"}
{"Action":"output","Package":"p/a","Test":"TestQuick","Output":"=== RUN   TestQuick\n"}
{"Action":"output","Package":"p/a","Test":"TestQuick","Output":"noise\n"}
{"Action":"pass","Package":"p/a","Test":"TestQuick","Elapsed":0.5}
{"Action":"run","Package":"p/a","Test":"TestSlow"}
{"Action":"output","Package":"p/a","Test":"TestSlow/sub","Output":"sub output\n"}
{"Action":"pass","Package":"p/a","Test":"TestSlow/sub","Elapsed":30}
{"Action":"output","Package":"p/a","Test":"TestSlow","Output":"    a_test.go:9: went wrong\n"}
{"Action":"output","Package":"p/a","Test":"TestSlow","Output":"--- FAIL: TestSlow (31.00s)\n"}
{"Action":"fail","Package":"p/a","Test":"TestSlow","Elapsed":31}
{"Action":"output","Package":"p/a","Output":"FAIL\n"}
{"Action":"output","Package":"p/a","Output":"FAIL\tp/a\t31.6s\n"}
{"Action":"fail","Package":"p/a","Elapsed":31.6}
{"Action":"run","Package":"p/b","Test":"TestSkipped"}
{"Action":"skip","Package":"p/b","Test":"TestSkipped","Elapsed":0}
{"Action":"run","Package":"p/b","Test":"TestMid"}
{"Action":"pass","Package":"p/b","Test":"TestMid","Elapsed":7.25}
{"Action":"output","Package":"p/b","Output":"PASS\n"}
{"Action":"output","Package":"p/b","Output":"ok  \tp/b\t7.3s\n"}
{"Action":"pass","Package":"p/b","Elapsed":7.3}
`

func TestFilterPrintsWhatGoTestWouldAndTheSlowest(t *testing.T) {
	var out bytes.Buffer
	ts, failed, err := Filter(strings.NewReader("# a build line\n"+stream), &out)
	require.NoError(t, err)
	require.True(t, failed)
	require.Equal(t, "# a build line\n    a_test.go:9: went wrong\n--- FAIL: TestSlow (31.00s)\nFAIL\nFAIL\tp/a\t31.6s\nok  \tp/b\t7.3s\n", out.String())
	require.Equal(t, []Timing{{"p/a", "TestSlow", "fail", 31}, {"p/b", "TestMid", "pass", 7.25}}, Slowest(ts, 2))
	require.Len(t, Slowest(ts, 5), 3, "three top-level tests ran; skips and subtests are not counted")

	_, failed, err = Filter(strings.NewReader(`{"Action":"pass","Package":"p/b","Test":"TestMid","Elapsed":1}`+"\n"), &out)
	require.NoError(t, err)
	require.False(t, failed)
}

func TestPrint(t *testing.T) {
	var out bytes.Buffer
	Print(&out, "slowest tests:", []Timing{{"p/a", "TestSlow", "fail", 31}})
	require.Equal(t, "slowest tests:\n      31.0s  fail  p/a TestSlow\n", out.String())
}
