// Package dynamotest is a test double of the planner's side of Dynamo's
// VirtualConnector, written from ai-dynamo/dynamo
// lib/bindings/python/rust/planner.rs @2d641f38e69587cff55f04a97461d43658673d09
// (VirtualConnectorCoordinator: its state, update_scaling_decision and
// wait_for_scaling_completion, step for step) over a real etcd. Tests use
// it where Dynamo's Python planner cannot be installed.
package dynamotest

import (
	"context"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Coordinator is VirtualConnectorCoordinator.
type Coordinator struct {
	cli  *clientv3.Client
	root string
	// Prefill, Decode and DecisionID are its atomics; -1 is NONE_SENTINEL.
	Prefill, Decode, DecisionID int
	firstSkip                   time.Time
	// MaxWait, CheckInterval and MaxRetries are SCALING_MAX_WAIT_TIME,
	// SCALING_CHECK_INTERVAL and SCALING_MAX_RETRIES
	// (virtual_connector.py: 1800 s, 10 s, 180).
	MaxWait       time.Duration
	CheckInterval time.Duration
	MaxRetries    int
	// Now is the clock (time.Now unless a test moves it).
	Now func() time.Time
}

// New connects to etcd endpoints (comma-separated) for a Dynamo namespace,
// with upstream's defaults; like async_init it loads the state already
// written under the namespace.
func New(ctx context.Context, endpoints, namespace string) (*Coordinator, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	c := &Coordinator{cli: cli, root: "v1/" + namespace + "/planner/", Prefill: -1, Decode: -1, DecisionID: -1,
		MaxWait: 1800 * time.Second, CheckInterval: 10 * time.Second, MaxRetries: 180, Now: time.Now}
	resp, err := cli.Get(ctx, c.root, clientv3.WithPrefix())
	if err != nil {
		cli.Close()
		return nil, err
	}
	for _, kv := range resp.Kvs {
		n, err := strconv.Atoi(string(kv.Value))
		if err != nil {
			continue // upstream logs and uses its default
		}
		switch strings.TrimPrefix(string(kv.Key), c.root) {
		case "num_prefill_workers":
			c.Prefill = n
		case "num_decode_workers":
			c.Decode = n
		case "decision_id":
			c.DecisionID = n
		}
	}
	return c, nil
}

// Close closes its etcd connection (the planner going away).
func (c *Coordinator) Close() error { return c.cli.Close() }

func (c *Coordinator) scaled(ctx context.Context) (int, bool) {
	resp, err := c.cli.Get(ctx, c.root+"scaled_decision_id")
	if err != nil || len(resp.Kvs) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(resp.Kvs[0].Value))
	return n, err == nil
}

// IsReady is is_scaling_ready: the first decision is always ready; after
// it, scaled_decision_id >= decision_id.
func (c *Coordinator) IsReady(ctx context.Context) bool {
	if c.DecisionID < 0 {
		return true
	}
	s, ok := c.scaled(ctx)
	return ok && s >= c.DecisionID
}

// Update is update_scaling_decision (nil: that role is not set); it
// reports whether it wrote a decision.
func (c *Coordinator) Update(ctx context.Context, prefill, decode *int) (bool, error) {
	changed := (prefill != nil && *prefill != c.Prefill) || (decode != nil && *decode != c.Decode)
	if !changed {
		return false, nil // "No scaling needed, skipping update"
	}
	if !c.IsReady(ctx) {
		if c.firstSkip.IsZero() {
			c.firstSkip = c.Now()
		}
		if c.Now().Sub(c.firstSkip) < c.MaxWait {
			return false, nil // "Previous scaling decision not ready, skipping new decision"
		}
	}
	c.firstSkip = time.Time{}
	if prefill != nil {
		c.Prefill = *prefill
		if _, err := c.cli.Put(ctx, c.root+"num_prefill_workers", strconv.Itoa(*prefill)); err != nil {
			return false, err
		}
	}
	if decode != nil {
		c.Decode = *decode
		if _, err := c.cli.Put(ctx, c.root+"num_decode_workers", strconv.Itoa(*decode)); err != nil {
			return false, err
		}
	}
	if c.DecisionID < 0 {
		c.DecisionID = 0
	} else {
		c.DecisionID++
	}
	_, err := c.cli.Put(ctx, c.root+"decision_id", strconv.Itoa(c.DecisionID))
	return err == nil, err
}

// WaitForCompletion is wait_for_scaling_completion: true once
// scaled_decision_id >= decision_id, false after MaxRetries checks.
func (c *Coordinator) WaitForCompletion(ctx context.Context) bool {
	for range c.MaxRetries {
		if c.DecisionID < 0 {
			return true
		}
		if s, ok := c.scaled(ctx); ok && s >= c.DecisionID {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(c.CheckInterval):
		}
	}
	return false
}
