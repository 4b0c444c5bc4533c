package sim

import "container/list"

// kvPool is one decode engine's paged KV cache: total blocks of blockSize
// tokens. With prefix caching, full prompt blocks are registered under the
// hash of their content (chained over the prefix); a later prompt starting
// with the same blocks reuses them instead of recomputing, and blocks no
// sequence references stay cached until space is needed (LRU), as in vLLM.
// Cached blocks nobody references count as free, as vLLM reports them.
type kvPool struct {
	total  int
	used   int // blocks referenced by at least one sequence
	cached map[uint64]*kvBlock
	lru    *list.List // of *kvBlock with refs == 0, least recently freed first
}

type kvBlock struct {
	hash uint64
	refs int
	elem *list.Element // in lru while refs == 0
}

// kvLease is what one sequence holds.
type kvLease struct {
	hashed []*kvBlock
	anon   int
}

func (l *kvLease) blocks() int { return len(l.hashed) + l.anon }

func newKVPool(total int) *kvPool {
	return &kvPool{total: total, cached: map[uint64]*kvBlock{}, lru: list.New()}
}

// free is the number of blocks a sequence could take now.
func (p *kvPool) free() int { return p.total - p.used }

// utilisation is the referenced share of the cache, in [0, 1].
func (p *kvPool) utilisation() float64 {
	if p.total == 0 {
		return 0
	}
	return float64(p.used) / float64(p.total)
}

// prefixHits counts the leading hashes already cached, and how many of those
// are unreferenced (and so counted as free today).
func (p *kvPool) prefixHits(hashes []uint64) (hits, idle int) {
	for _, h := range hashes {
		b, ok := p.cached[h]
		if !ok {
			break
		}
		hits++
		if b.refs == 0 {
			idle++
		}
	}
	return hits, idle
}

// admit leases need blocks for a prompt whose full blocks have hashes (nil
// without prefix caching), keeping reserve blocks free. It returns the lease
// and how many leading blocks were cache hits, or ok=false if it does not fit.
func (p *kvPool) admit(hashes []uint64, need, reserve int) (lease kvLease, hits int, ok bool) {
	hits, idle := p.prefixHits(hashes)
	if hits > need {
		hits = need
	}
	if p.free()-idle-(need-hits) < reserve {
		return kvLease{}, 0, false
	}
	for _, h := range hashes[:hits] {
		lease.hashed = append(lease.hashed, p.ref(p.cached[h]))
	}
	for i := hits; i < need; i++ {
		if i >= len(hashes) {
			p.take()
			lease.anon++
			continue
		}
		if b, dup := p.cached[hashes[i]]; dup {
			// Cached although an earlier block of its prefix was evicted:
			// the content is the same, so share it.
			lease.hashed = append(lease.hashed, p.ref(b))
			continue
		}
		p.take()
		b := &kvBlock{hash: hashes[i], refs: 1}
		p.cached[hashes[i]] = b
		lease.hashed = append(lease.hashed, b)
	}
	return lease, hits, true
}

// ref adds a reference to a cached block.
func (p *kvPool) ref(b *kvBlock) *kvBlock {
	if b.refs == 0 {
		p.lru.Remove(b.elem)
		b.elem = nil
		p.used++
	}
	b.refs++
	return b
}

// grow adds one anonymous block to a lease; false when the cache is full.
func (p *kvPool) grow(l *kvLease) bool {
	if p.free() <= 0 {
		return false
	}
	p.take()
	l.anon++
	return true
}

// take marks one more block used, evicting the least recently freed cached
// block when no never-used block is left. The caller checked free() > 0.
func (p *kvPool) take() {
	if p.total-p.used-p.lru.Len() <= 0 {
		front := p.lru.Front()
		b := front.Value.(*kvBlock)
		p.lru.Remove(front)
		b.elem = nil
		delete(p.cached, b.hash)
	}
	p.used++
}

// release returns a lease's blocks; hashed ones stay cached.
func (p *kvPool) release(l *kvLease) {
	for i := len(l.hashed) - 1; i >= 0; i-- { // tail blocks first: evicted before their prefix
		b := l.hashed[i]
		b.refs--
		if b.refs == 0 {
			p.used--
			b.elem = p.lru.PushBack(b)
		}
	}
	p.used -= l.anon
	*l = kvLease{}
}
