package activities

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/activities/payload"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/store"
	"plannerbench/schemas"
)

// With a bucket, a node reuses a case another node published, and a
// local attempt of it (cut short before the case moved) is moved aside,
// not mixed in; a case of another spec is set aside in the bucket too.
func TestFindCompletedReadsTheBucket(t *testing.T) {
	ctx := context.Background()
	bucket, err := store.Open(ctx, "file://"+t.TempDir())
	require.NoError(t, err)
	defer bucket.Close()
	spec := schemas.Case{ID: "planner", Matrix: "seed", Name: "planner", Backend: schemas.Backend{Kind: schemas.BackendSim, Profile: "h100-llama8b"}}

	// Node n1 finished the case and published it.
	other := filepath.Join(t.TempDir(), "seed", "planner")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, casefolder.SummaryFile), []byte(`{"requests": 7}`), 0o644))
	data, _ := json.Marshal(spec)
	require.NoError(t, os.WriteFile(filepath.Join(other, casefolder.SpecFile), data, 0o644))
	_, err = bucket.Publish(ctx, other, store.CasePrefix("seed", "planner"), "n1")
	require.NoError(t, err)

	// Node n2 began it once: a partial folder.
	root := t.TempDir()
	dir := payload.CaseDir(root, "seed", "planner")
	require.NoError(t, os.MkdirAll(casefolder.RequestsPath(dir), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, casefolder.RequestsDir, "part-000.parquet"), []byte("partial"), 0o644))

	a := &Activities{ResultsDir: root, Node: "n2", Bucket: bucket}
	find := findCompleted(t, a)
	require.Equal(t, dir, find(spec)["planner"].Dir, "reused from the bucket")
	sum, err := os.ReadFile(filepath.Join(dir, casefolder.SummaryFile))
	require.NoError(t, err)
	require.JSONEq(t, `{"requests": 7}`, string(sum))
	require.NoDirExists(t, casefolder.RequestsPath(dir), "the partial attempt is not mixed in")
	kept, _ := filepath.Glob(dir + ".local-*")
	require.Len(t, kept, 1, "it is kept aside")
	require.Equal(t, dir, find(spec)["planner"].Dir, "again: the local copy is the published one")

	changed := spec
	changed.Backend.Profile = "h100-llama8b-profiled"
	require.Empty(t, find(changed), "another spec: not reused")
	_, ok, err := bucket.Published(ctx, store.CasePrefix("seed", "planner"))
	require.NoError(t, err)
	require.False(t, ok, "set aside in the bucket too")
}
