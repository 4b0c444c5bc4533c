// Command virtualplanner plays Dynamo's planner in its virtual environment
// for end-to-end tests: it connects to ETCD_ENDPOINTS in namespace
// PLANNERBENCH_NAMESPACE (or DYN_NAMESPACE) through dynamotest's
// Coordinator (upstream's VirtualConnectorCoordinator) and, at the wall
// times of a script, sets the workers and waits for the environment to
// report them scaled, as the planner's blocking set_component_replicas
// does.
//
//	virtualplanner -script 2p1d@3s,3p1d@10s,1p1d@20s -check-interval 200ms
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"plannerbench/internal/extplanner/dynamotest"
)

type step struct {
	at              time.Duration
	prefill, decode int
}

func parseScript(s string) ([]step, error) {
	var out []step
	for _, item := range strings.Split(s, ",") {
		var st step
		var dur string
		if _, err := fmt.Sscanf(strings.Replace(item, "@", " ", 1), "%dp%dd %s", &st.prefill, &st.decode, &dur); err != nil {
			return nil, fmt.Errorf("script step %q: want NpMd@DURATION: %w", item, err)
		}
		d, err := time.ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("script step %q: %w", item, err)
		}
		st.at = d
		out = append(out, st)
	}
	return out, nil
}

func main() {
	script := flag.String("script", "", "decisions: NpMd@DURATION,… (wall time since start)")
	check := flag.Duration("check-interval", 10*time.Second, "SCALING_CHECK_INTERVAL")
	flag.Parse()
	steps, err := parseScript(*script)
	if err != nil {
		log.Fatal(err)
	}
	ns := os.Getenv("PLANNERBENCH_NAMESPACE")
	if ns == "" {
		ns = os.Getenv("DYN_NAMESPACE")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	c, err := dynamotest.New(ctx, os.Getenv("ETCD_ENDPOINTS"), ns)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.CheckInterval = *check
	c.MaxRetries = int(30 * time.Minute / *check)
	start := time.Now()
	for _, st := range steps {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(st.at))):
		}
		p, d := st.prefill, st.decode
		wrote, err := c.Update(ctx, &p, &d)
		if err != nil {
			log.Fatalf("decision %dp%dd: %v", p, d, err)
		}
		if !wrote {
			log.Printf("%dp%dd: skipped (no change, or the last decision not ready)", p, d)
			continue
		}
		log.Printf("decision %d: %dp%dd written", c.DecisionID, p, d)
		if c.WaitForCompletion(ctx) {
			log.Printf("decision %d completed after %s", c.DecisionID, time.Since(start).Round(time.Millisecond))
		} else {
			log.Printf("decision %d: timed out waiting", c.DecisionID)
		}
	}
	log.Printf("script done")
	<-ctx.Done()
}
