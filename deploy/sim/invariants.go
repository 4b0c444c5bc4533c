package sim

import "fmt"

// checkInvariants verifies the KV books of every decode worker; tests call
// it after every event.
func (e *Engine) checkInvariants() error {
	for _, w := range e.decode {
		p := w.kv
		if p.used < 0 || p.used > p.total {
			return fmt.Errorf("%s: %d of %d blocks used", w.name(), p.used, p.total)
		}
		if p.lru.Len() > p.total-p.used {
			return fmt.Errorf("%s: %d idle cached blocks but only %d free", w.name(), p.lru.Len(), p.total-p.used)
		}
		refs := map[*kvBlock]int{}
		anon, admitted := 0, 0
		for _, s := range e.sequencesOn(w) {
			admitted++
			anon += s.lease.anon
			for _, b := range s.lease.hashed {
				refs[b]++
			}
			if s.lease.blocks()*e.cfg.BlockSize < s.context() {
				return fmt.Errorf("%s: sequence %d holds %d blocks for %d tokens", w.name(), s.id, s.lease.blocks(), s.context())
			}
		}
		for b, n := range refs {
			if b.refs != n {
				return fmt.Errorf("%s: block %x has %d refs, %d leases hold it", w.name(), b.hash, b.refs, n)
			}
		}
		if got := anon + len(refs); got != p.used {
			return fmt.Errorf("%s: leases hold %d blocks, pool says %d", w.name(), got, p.used)
		}
		if admitted != w.admitted {
			return fmt.Errorf("%s: %d sequences hold KV, admitted says %d", w.name(), admitted, w.admitted)
		}
	}
	return nil
}

// sequencesOn lists the sequences holding KV on w (aborted ones included
// until the engine drops them).
func (e *Engine) sequencesOn(w *decodeWorker) []*sequence {
	var out []*sequence
	seen := map[*sequence]bool{}
	add := func(s *sequence) {
		if s.worker == w && !seen[s] && s.lease.blocks() > 0 {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range e.prefillQueue {
		add(s)
	}
	for _, pw := range e.prefill {
		for _, s := range pw.batch {
			add(s)
		}
	}
	for _, list := range [][]*sequence{w.joining, w.localPrefill, w.running} {
		for _, s := range list {
			add(s)
		}
	}
	for s := range e.transferring {
		add(s)
	}
	return out
}
