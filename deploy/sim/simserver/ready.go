package simserver

// Ready is what `sim serve --ready-file` writes once it listens, so a
// parent process learns the port (with --port 0) and the pid.
type Ready struct {
	URL       string  `json:"url"`
	PID       int     `json:"pid"`
	Model     string  `json:"model"`
	Config    string  `json:"config"`
	Profile   string  `json:"profile"`
	TimeScale float64 `json:"time_scale"`
}

// AdminTokenEnv names the environment variable holding the bearer token of
// the simulator's /admin endpoints, read by `sim serve` and by the
// deployer that scales it.
const AdminTokenEnv = "PLANNERBENCH_ADMIN_TOKEN"
