package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/store/storetest"
)

func caseFolder(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "case")
	for name, text := range map[string]string{
		"summary.json":                 `{"requests": 3}`,
		"case.json":                    `{"id": "a"}`,
		"requests.parquet":             "PAR1 not really",
		"tensorboard/events.out.x.y":   "events",
		"profile_export_aiperf.json":   "{}",
		"nested/deeper/still/file.txt": "deep",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	return dir
}

func buckets(t *testing.T) map[string]string {
	return map[string]string{
		"file": "file://" + t.TempDir(),
		"s3":   storetest.S3(t, "results", "not-a-real-secret"),
	}
}

func TestPublishAndFetchEveryFile(t *testing.T) {
	for kind, url := range buckets(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b, err := Open(ctx, url)
			require.NoError(t, err)
			defer b.Close()
			dir := caseFolder(t)
			m, err := b.Publish(ctx, dir, CasePrefix("m", "a"), "node-1")
			require.NoError(t, err)
			require.Len(t, m.Files, 6)

			cases, err := b.Cases(ctx, "m")
			require.NoError(t, err)
			require.Equal(t, []string{"a"}, cases)

			out := filepath.Join(t.TempDir(), "copy")
			_, err = b.Fetch(ctx, CasePrefix("m", "a"), out)
			require.NoError(t, err)
			for _, f := range m.Files {
				want, _ := os.ReadFile(filepath.Join(dir, f.Name))
				got, err := os.ReadFile(filepath.Join(out, f.Name))
				require.NoError(t, err)
				require.Equal(t, want, got, f.Name)
			}
			require.FileExists(t, filepath.Join(out, ManifestFile))
		})
	}
}

// A publish that stops part way (a crash) leaves no case a reader sees;
// the retry finishes it.
func TestAPublishCutShortIsNoCaseUntilRetried(t *testing.T) {
	for kind, url := range buckets(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b, err := Open(ctx, url)
			require.NoError(t, err)
			defer b.Close()
			n := 0
			b.beforeUpload = func(string) error {
				if n++; n == 4 {
					return errors.New("killed")
				}
				return nil
			}
			dir := caseFolder(t)
			_, err = b.Publish(ctx, dir, "m/a", "n")
			require.ErrorContains(t, err, "killed")
			_, ok, err := b.Published(ctx, "m/a")
			require.NoError(t, err)
			require.False(t, ok, "three files and no manifest: no case")
			cases, err := b.Cases(ctx, "m")
			require.NoError(t, err)
			require.Empty(t, cases)
			_, err = b.Fetch(ctx, "m/a", t.TempDir())
			require.ErrorIs(t, err, ErrNotPublished)

			b.beforeUpload = nil
			_, err = b.Publish(ctx, dir, "m/a", "n")
			require.NoError(t, err)
			_, ok, err = b.Published(ctx, "m/a")
			require.NoError(t, err)
			require.True(t, ok)
		})
	}
}

// Fetch checks each file against the manifest.
func TestFetchRefusesAFileThatDoesNotMatch(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := Open(ctx, "file://"+root)
	require.NoError(t, err)
	defer b.Close()
	_, err = b.Publish(ctx, caseFolder(t), "m/a", "n")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "m", "a", "summary.json"), []byte(`{"requests": 4}`), 0o644))
	_, err = b.Fetch(ctx, "m/a", t.TempDir())
	require.ErrorContains(t, err, "m/a/summary.json: 15 bytes that do not match the manifest")
}

func TestSetAsideMovesTheWholeCase(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, buckets(t)["s3"])
	require.NoError(t, err)
	defer b.Close()
	_, err = b.Publish(ctx, caseFolder(t), "m/a", "n")
	require.NoError(t, err)
	require.NoError(t, b.SetAside(ctx, "m/a", "m/a.before-1"))
	_, ok, err := b.Published(ctx, "m/a")
	require.NoError(t, err)
	require.False(t, ok)
	out := t.TempDir()
	_, err = b.Fetch(ctx, "m/a.before-1", out)
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(out, "tensorboard", "events.out.x.y"))
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"s3://b": true, "file:///tmp/x": true, "gs://b/p": true, "azblob://c": true,
		"results/m/a": false, "/abs/path": false, "./a://b": false, "": false,
	} {
		require.Equal(t, want, IsURL(s), s)
	}
}
