package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Parsers of the flags several commands share.

// parseSLO reads "ttft=500ms,itl=50ms".
func parseSLO(s string) (results.SLO, error) {
	var slo results.SLO
	if strings.TrimSpace(s) == "" {
		return slo, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return slo, fmt.Errorf("--slo: %q is not key=duration", part)
		}
		d, err := schemas.ParseDuration(v)
		if err != nil {
			return slo, fmt.Errorf("--slo %s: %w", k, err)
		}
		ms := float64(d) / float64(time.Millisecond)
		switch k {
		case "ttft":
			slo.TTFTMS = ms
		case "itl":
			slo.ITLMS = ms
		default:
			return slo, fmt.Errorf("--slo: unknown target %q (ttft, itl)", k)
		}
	}
	return slo, nil
}

// parseDeploymentFlag reads "1p1d" or "p,d".
func parseDeploymentFlag(s string) (schemas.Deployment, error) {
	if p, d, ok := strings.Cut(strings.Trim(s, "{}() "), ","); ok {
		pn, err1 := strconv.Atoi(strings.TrimSpace(p))
		dn, err2 := strconv.Atoi(strings.TrimSpace(d))
		if err1 != nil || err2 != nil || pn < 1 || dn < 1 {
			return schemas.Deployment{}, fmt.Errorf("--deployment %q: want NpMd or p,d with counts >= 1", s)
		}
		return schemas.Deployment{Prefill: pn, Decode: dn}, nil
	}
	d, err := schemas.ParseDeployment(s)
	if err != nil {
		return d, fmt.Errorf("--deployment: %w", err)
	}
	if d.Prefill < 1 || d.Decode < 1 {
		return d, fmt.Errorf("--deployment %q: need at least one worker of each role", s)
	}
	return d, nil
}

// loadPlannerConfig reads planner settings from a YAML file (defaults for
// what it leaves out), with --planner overriding its mode.
func loadPlannerConfig(path, mode string, dep schemas.Deployment, plannerURL string) (schemas.PlannerConfig, error) {
	pc := schemas.DefaultPlannerConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return pc, fmt.Errorf("--planner-config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&pc); err != nil {
			return pc, fmt.Errorf("%s: %w", path, err)
		}
	}
	if mode != "" {
		pc.Mode = mode
	}
	if plannerURL != "" {
		if pc.External == nil {
			pc.External = &schemas.ExternalPlanner{}
		}
		pc.External.Protocol, pc.External.URL = schemas.ProtocolHTTP, plannerURL
	}
	if errs := pc.Validate(dep); len(errs) > 0 {
		return pc, fmt.Errorf("planner settings: %w", errs)
	}
	return pc, nil
}
