package planner

import (
	"fmt"
	"time"

	"plannerbench/schemas"
)

// Blocking scaling, as the seed's planner did it: Dynamo's LocalConnector
// (ai-dynamo/dynamo components/planner/src/dynamo/planner/local_connector.py,
// commit 7d5d6f8c086ac2fc3094cb05d240e8dc71ad4f7d) adds and removes
// workers with blocking=True, and the planner awaits each call inside
// make_adjustments (examples/llm/components/planner.py, same commit:
// "blockingly make adjustments to avoid overcompensation"), so while a
// change is applied it collects no metrics and decides nothing; its main
// loop resets the interval afterwards. add_component polls the endpoint
// count at once and then every 5 s until it is one more;
// remove_component revokes the worker's lease, polls the endpoint count
// the same way until it is one less, then (circusd.remove_watcher)
// polls the process every 1 s until it has exited, that is until the
// worker has drained. Two changes in one adjustment wait one after the
// other, in the order make_adjustments makes them.

// Poll periods of the blocking connector.
const (
	// EndpointPoll is add_component's and remove_component's
	// asyncio.sleep(5) between endpoint counts.
	EndpointPoll = 5 * time.Second
	// ExitPoll is circusd's _wait_for_process_graceful_exit sleep(1).
	ExitPoll = time.Second
	// MaxBlock bounds one change's wait: circusd's graceful-exit timeout
	// (600 s). Upstream waits for an added worker without a bound; a
	// worker that never starts would stall a case, so plannerbench gives
	// up after the same 600 s and says so in the decision.
	MaxBlock = 600 * time.Second
)

// Change is one worker added (+1) or removed (-1).
type Change struct {
	Role  string `json:"role"`
	Delta int    `json:"delta"`
}

// Blocking is a blocking adjustment in progress: the changes still to
// apply, in order, and the one being waited for.
type Blocking struct {
	Pending []Change `json:"pending,omitempty"`
	// Waiting is set while Current has been applied and its worker count
	// has not yet reached Expect ready workers of its role.
	Waiting bool   `json:"waiting"`
	Current Change `json:"current"`
	Expect  int    `json:"expect"`
	// Exiting: a removed worker's endpoint is gone; waiting for it to drain.
	Exiting bool `json:"exiting"`
	// Since is when Current was applied (trace time).
	Since time.Duration `json:"since"`
	// Notes record what each change did, for the decision's reason.
	Notes []string `json:"notes,omitempty"`
	// Ended holds when each change's wait ended (trace time), in order.
	Ended []time.Duration `json:"ended,omitempty"`
}

// BlockStep is what a blocking adjustment asks of its driver next.
type BlockStep struct {
	// Apply: scale the deployment to this target, then call Next again at
	// once with the workers the scaling returned.
	Apply *schemas.Target
	// Wait: poll the workers again after this long (trace time).
	Wait time.Duration
	// Done: every change was applied and waited for; a new interval
	// starts now.
	Done bool
}

// Next says what to do at trace time now, given the deployment's workers.
func (b *Blocking) Next(now time.Duration, w schemas.Workers) BlockStep {
	for {
		if !b.Waiting {
			if len(b.Pending) == 0 {
				return BlockStep{Done: true}
			}
			c := b.Pending[0]
			b.Pending = b.Pending[1:]
			t := schemas.Target{Prefill: w.PrefillReady + w.PrefillStarting, Decode: w.DecodeReady + w.DecodeStarting}
			if c.Role == rolePrefill {
				t.Prefill += c.Delta
			} else {
				t.Decode += c.Delta
			}
			b.Waiting, b.Current, b.Exiting, b.Since = true, c, false, now
			b.Expect = readyOf(w, c.Role) + c.Delta
			return BlockStep{Apply: &t}
		}
		if now-b.Since > MaxBlock {
			b.note(now, "gave up waiting")
			b.Waiting = false
			continue
		}
		c := b.Current
		ready := readyOf(w, c.Role)
		if c.Delta > 0 {
			if ready >= b.Expect {
				b.note(now, "ready")
				b.Waiting = false
				continue
			}
			return BlockStep{Wait: EndpointPoll}
		}
		if !b.Exiting {
			if ready > b.Expect {
				return BlockStep{Wait: EndpointPoll}
			}
			b.Exiting = true
		}
		if drainingOf(w, c.Role) > 0 {
			return BlockStep{Wait: ExitPoll}
		}
		b.note(now, "gone")
		b.Waiting = false
	}
}

// Exited ends the wait for a removed worker whose endpoint is gone but
// which still drains, as if its process had exited at now. A replay that
// keeps a live run's timing calls it at the instant the live wait ended:
// how long a worker takes to exit is the live run's measurement (a
// backend that shows only registered endpoints, such as a Dynamo graph's
// metrics, shows no draining at all), not the model's. It reports whether
// there was such a wait to end.
func (b *Blocking) Exited(now time.Duration) bool {
	if !b.Waiting || !b.Exiting || b.Current.Delta >= 0 {
		return false
	}
	b.note(now, "gone")
	b.Waiting = false
	return true
}

// Failed records that applying Current failed: nothing will come, so
// nothing is waited for.
func (b *Blocking) Failed(now time.Duration, err error) {
	b.note(now, "failed: "+err.Error())
	b.Waiting = false
}

func (b *Blocking) note(now time.Duration, what string) {
	b.Notes = append(b.Notes, fmt.Sprintf("%s %+d %s after %.0f s", b.Current.Role, b.Current.Delta, what, (now-b.Since).Seconds()))
	b.Ended = append(b.Ended, now)
}

func readyOf(w schemas.Workers, role string) int {
	if role == rolePrefill {
		return w.PrefillReady
	}
	return w.DecodeReady
}

func drainingOf(w schemas.Workers, role string) int {
	if role == rolePrefill {
		return w.PrefillDraining
	}
	return w.DecodeDraining
}

// EndBlocking closes a finished blocking adjustment at trace time now:
// the decision's reason gets what each change did and when the planner
// resumed, and the next interval starts now from w's ready workers.
func EndBlocking(st State, d schemas.Decision, now time.Duration, w schemas.Workers) (schemas.Decision, State) {
	if st.Blocking != nil {
		for _, n := range st.Blocking.Notes {
			d.Reason += "; " + n
		}
		d.ChangesEnded = st.Blocking.Ended
	}
	d.BlockedUntil = now
	st.Blocking = nil
	st.Offset += now - d.At
	st.MarkReset(w.PrefillReady, w.DecodeReady)
	return d, st
}
