package extplanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Process is a planner's process started by plannerbench (Command).
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs command with sh -c in dir, in its own process group (so Stop
// reaches everything it starts, and a signal to plannerbench's group
// spares it), with env added to plannerbench's environment and its output
// appended to logPath.
func Start(dir, command string, env []string, logPath string) (*Process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("planner command: %w", err)
	}
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("planner command %q: %w", command, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process (and process group) ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop ends the process group: SIGTERM, then SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) {
	StopGroup(p.Pid(), grace, p.done)
}

// StopGroup signals process group pgid to stop (SIGTERM, SIGKILL after
// grace); done, when not nil, closes once the leader has been reaped.
// A group already gone is not an error.
func StopGroup(pgid int, grace time.Duration, done <-chan struct{}) {
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		return
	}
	deadline := time.After(grace)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			_ = syscall.Kill(-pgid, syscall.SIGKILL) // children it left behind
			return
		case <-deadline:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		case <-tick.C:
			if done == nil && syscall.Kill(-pgid, 0) != nil {
				return
			}
		}
	}
}

// WaitListening waits until rawURL's host accepts TCP connections, the
// process exits (an error with its log's advice), or ctx ends.
func WaitListening(ctx context.Context, rawURL string, p *Process) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("planner URL %q: %w", rawURL, err)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	for {
		c, err := net.DialTimeout("tcp", host, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if p != nil {
			if exited, perr := p.Exited(); exited {
				return fmt.Errorf("the planner command exited (%v) before %s answered; see its log", perr, host)
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("the planner at %s did not start listening", host), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
