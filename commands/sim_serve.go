package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"plannerbench/deploy/sim"
	"plannerbench/deploy/sim/simserver"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/cliutil"
	"plannerbench/schemas"
)

func badInput(err error) error { return cliutil.Bad(err) }

// newSimServe returns `sim serve`.
func newSimServe() *cobra.Command {
	var (
		configPath, profile, host, model, readyFile, adminToken string
		port                                                    int
		timeScale                                               float64
		allowRemote                                             bool
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve a simulated disaggregated graph over an OpenAI-compatible HTTP API",
		Long: `Serve a simulated Dynamo disaggregated graph: POST /v1/chat/completions and
/v1/completions (streaming and not), GET /v1/models, /health, /metrics
(Prometheus), and on loopback POST /admin/scale {"prefill": n, "decode": m}
and GET /admin/state.

Prompt length is counted as one token per whitespace-separated word.
--time-scale k runs every simulated duration k times faster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sim.LoadGraphConfig(configPath)
			if err != nil {
				return badInput(err)
			}
			prof, err := sim.LoadProfile(profile)
			if err != nil {
				return badInput(err)
			}
			if port < 0 || port > 65535 {
				return badInput(fmt.Errorf("--port must be within 0..65535 (0 picks a free one), got %d", port))
			}
			if timeScale <= 0 {
				return badInput(fmt.Errorf("--time-scale must be > 0, got %v", timeScale))
			}
			if model != "" {
				cfg.Model = model
			}
			if adminToken == "" {
				adminToken = os.Getenv(simserver.AdminTokenEnv)
			}
			if allowRemote && adminToken == "" {
				return badInput(fmt.Errorf("--admin-allow-remote needs --admin-token or $%s: off loopback the admin endpoints require a token", simserver.AdminTokenEnv))
			}
			eng, err := sim.NewEngine(prof, *cfg)
			if err != nil {
				return badInput(err)
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			ln, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			return Serve(cmd.Context(), ln, eng, timeScale, simserver.ServerOptions{
				Model: cfg.Model, AdminToken: adminToken, AllowRemoteAdmin: allowRemote, Logger: log,
			}, readyFile, simserver.Ready{Config: cfg.Name, Profile: prof.Name, Model: cfg.Model, TimeScale: timeScale}, log)
		},
	}
	f := c.Flags()
	f.StringVar(&configPath, "config", "planner_benchmark_1p1d", "graph configuration file, or the name of a shipped one (planner_benchmark_1p1d, planner_benchmark_2p2d, disagg_router_1p1d, ...)")
	f.StringVar(&profile, "profile", schemas.DefaultProfile, "performance profile: a shipped name ("+fmt.Sprint(sim.ProfileNames())+") or a YAML file")
	f.StringVar(&host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&port, "port", 8000, "port to listen on (0 picks a free one)")
	f.Float64Var(&timeScale, "time-scale", 1, "simulated seconds per wall second")
	f.StringVar(&model, "model", "", "served model name (default: the config's)")
	f.StringVar(&readyFile, "ready-file", "", "write the URL and pid here as JSON once listening")
	f.StringVar(&adminToken, "admin-token", "", "bearer token the /admin endpoints require (default $PLANNERBENCH_ADMIN_TOKEN)")
	f.BoolVar(&allowRemote, "admin-allow-remote", false, "let /admin answer callers outside loopback")
	return c
}

// Serve runs the engine and its HTTP front on ln until ctx ends, then shuts
// down gracefully.
func Serve(ctx context.Context, ln net.Listener, eng *sim.Engine, timeScale float64, opts simserver.ServerOptions, readyFile string, ready simserver.Ready, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rt := simserver.NewRealtime(eng, timeScale)
	go rt.Run(ctx)
	srv := &http.Server{Handler: simserver.NewServer(rt, opts).Handler(), ReadHeaderTimeout: 10 * time.Second}
	ready.URL = "http://" + ln.Addr().String()
	ready.PID = os.Getpid()
	if readyFile != "" {
		if err := atomicfile.WriteJSON(readyFile, ready); err != nil {
			return err
		}
	}
	log.Info("serving simulated graph", "url", ready.URL, "model", ready.Model, "config", ready.Config, "profile", ready.Profile, "time_scale", timeScale)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	log.Info("stopped")
	return err
}
