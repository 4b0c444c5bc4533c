package extplanner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"plannerbench/schemas"
)

// Dynamo's VirtualConnector, read from ai-dynamo/dynamo:
// components/src/dynamo/planner/virtual_connector.py
// @052e08810daac19d6bf4b7357ed66841d670818f (the planner's side: scaling
// checks every SCALING_CHECK_INTERVAL = 10 s, for up to
// SCALING_MAX_WAIT_TIME = 1800 s) and lib/bindings/python/rust/planner.rs
// @2d641f38e69587cff55f04a97461d43658673d09 (VirtualConnectorCoordinator,
// the planner's etcd writes; VirtualConnectorClient, the environment's):
//   - keys live under root_key = "v1/<namespace>/planner/";
//   - the planner writes num_prefill_workers and/or num_decode_workers
//     (decimal strings; only the ones it sets), then decision_id, 0 for
//     its first decision and one more each time after;
//   - the environment reads every key under the root (-1 for one absent),
//     makes the deployment so, and writes scaled_decision_id = decision_id;
//   - the planner counts a decision done when scaled_decision_id >=
//     decision_id; before that it skips new decisions, unless it has
//     waited max_wait_time, when it goes ahead anyway.
// plannerbench plays the environment (VirtualConnectorClient's get and
// complete) with etcd's own Go client.

// VirtualRoot is the planner's etcd prefix for a Dynamo namespace.
func VirtualRoot(namespace string) string { return "v1/" + namespace + "/planner/" }

// VirtualEnv is the environment's side of the connector on one etcd.
type VirtualEnv struct {
	cli  *clientv3.Client
	root string
}

// DialVirtual connects to etcd endpoints (comma-separated) for namespace.
func DialVirtual(endpoints, namespace string) (*VirtualEnv, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", endpoints, err)
	}
	return &VirtualEnv{cli: cli, root: VirtualRoot(namespace)}, nil
}

// Close closes the connection.
func (v *VirtualEnv) Close() error { return v.cli.Close() }

// Read fetches the keys under the planner's root. A value that is not an
// integer is an error naming its key (upstream's get fails the same way).
func (v *VirtualEnv) Read(ctx context.Context) (schemas.VirtualKeys, error) {
	d := schemas.NoVirtualKeys
	resp, err := v.cli.Get(ctx, v.root, clientv3.WithPrefix())
	if err != nil {
		return d, fmt.Errorf("read %s: %w", v.root, err)
	}
	for _, kv := range resp.Kvs {
		key := strings.TrimPrefix(string(kv.Key), v.root)
		var to *int
		switch key {
		case "num_prefill_workers":
			to = &d.Prefill
		case "num_decode_workers":
			to = &d.Decode
		case "decision_id":
			to = &d.DecisionID
		case "scaled_decision_id":
			to = &d.ScaledDecisionID
		default:
			continue // upstream warns about unexpected keys and goes on
		}
		n, err := strconv.Atoi(string(kv.Value))
		if err != nil {
			return d, fmt.Errorf("%s%s = %q: not an integer", v.root, key, kv.Value)
		}
		*to = n
	}
	return d, nil
}

// Complete marks decision id handled (VirtualConnectorClient.complete).
func (v *VirtualEnv) Complete(ctx context.Context, id int) error {
	if _, err := v.cli.Put(ctx, v.root+"scaled_decision_id", strconv.Itoa(id)); err != nil {
		return fmt.Errorf("write %sscaled_decision_id: %w", v.root, err)
	}
	return nil
}

// Reset deletes every key under the root, so a case starts with no
// decision (an etcd the matrix names may hold an earlier case's).
func (v *VirtualEnv) Reset(ctx context.Context) error {
	if _, err := v.cli.Delete(ctx, v.root, clientv3.WithPrefix()); err != nil {
		return fmt.Errorf("clear %s: %w", v.root, err)
	}
	return nil
}
