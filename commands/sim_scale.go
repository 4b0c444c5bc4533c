package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/cliutil"
)

// newSimScale returns `scale`: ask a running `sim serve` for worker
// counts, as a scale hook of the endpoint backend would ask a real
// launcher. Exit status 3 means the simulator refused (more GPUs than the
// machine has), the hook's "refused".
func newSimScale() *cobra.Command {
	var (
		url             string
		prefill, decode int
	)
	c := &cobra.Command{
		Use:   "scale --url URL --prefill N --decode M",
		Short: "Scale a running simulated graph (a scale hook for the endpoint backend)",
		Long: `Ask a running 'plannerbench sim serve' for N prefill and M decode workers
(POST /admin/scale, with $` + simserver.AdminTokenEnv + ` as its bearer token when
set). It prints the graph's state. Exit status 3: the simulator refused
(not enough GPUs); 2: bad flags; 1: it could not be reached. As the endpoint
backend's scale_command:

  scale_command: plannerbench sim scale --url "$PLANNERBENCH_URL" --prefill "$PLANNERBENCH_PREFILL" --decode "$PLANNERBENCH_DECODE"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				return badInput(errors.New("--url is required"))
			}
			if prefill < 0 || decode < 1 {
				return badInput(fmt.Errorf("--prefill must be >= 0 and --decode >= 1, got %d and %d", prefill, decode))
			}
			body, _ := json.Marshal(simserver.ScaleRequest{Prefill: &prefill, Decode: &decode})
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, url+"/admin/scale", bytes.NewReader(body))
			if err != nil {
				return badInput(fmt.Errorf("--url: %w", err))
			}
			req.Header.Set("Content-Type", "application/json")
			if tok := os.Getenv(simserver.AdminTokenEnv); tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				return fmt.Errorf("scale %s: %w", url, err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			switch {
			case resp.StatusCode == http.StatusBadRequest:
				return cliutil.Exit{Code: 3, Err: fmt.Errorf("refused: %s", bytes.TrimSpace(data))}
			case resp.StatusCode != http.StatusOK:
				return fmt.Errorf("scale %s: HTTP %d: %s", url, resp.StatusCode, bytes.TrimSpace(data))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scaled to %dp%dd\n", prefill, decode)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&url, "url", "", "the simulator's base URL")
	f.IntVar(&prefill, "prefill", 1, "prefill workers wanted")
	f.IntVar(&decode, "decode", 1, "decode workers wanted")
	return c
}
