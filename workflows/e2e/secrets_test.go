package e2e

import (
	"context"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// payloadData finds the base64 payload bodies in a history's JSON.
var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)

// historyText is a workflow's history as JSON with every payload decoded
// beside it, so a search sees what the history stores.
func historyText(t *testing.T, c client.Client, id string) string {
	t.Helper()
	hist := &historypb.History{}
	iter := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	data, err := protojson.Marshal(hist)
	require.NoError(t, err)
	var b strings.Builder
	b.Write(data)
	for _, m := range payloadData.FindAllSubmatch(data, -1) {
		if dec, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
			b.WriteByte('\n')
			b.Write(dec)
		}
	}
	return b.String()
}

// requireSecretNowhere fails if secret appears in any of the histories or
// in any file under dir (results, logs, the simulator's files).
func requireSecretNowhere(t *testing.T, c client.Client, secret, dir string, workflowIDs ...string) {
	t.Helper()
	for _, id := range workflowIDs {
		text := historyText(t, c, id)
		require.NotEmpty(t, text)
		require.NotContains(t, text, secret, "history of %s", id)
	}
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		require.NotContains(t, string(data), secret, "file %s", path)
		return nil
	}))
	t.Logf("secret found in none of %d histories and %d files", len(workflowIDs), files)
}
