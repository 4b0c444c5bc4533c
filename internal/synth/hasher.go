package synth

// RollingHasher turns a prompt's raw block draws into prefix-aware hash ids
// with the reference's rule: the id of a block is the first-seen index of the
// pair (parent id, block), the parent of the first block being the root. Equal
// prefixes therefore share their leading ids, and a block that follows a
// different prefix gets a new id even when its raw value repeats.
//
// A plain map from (parent, block) to id would need one entry per id ever
// handed out (about 20 million for a one-hour 1,000 req/s trace). Most ids,
// though, are created in runs: once a prompt leaves the known tree, every
// later block of it is new, and each new id is the previous id plus one. Such
// a "chain" child is found from its parent by arithmetic, so only the block
// value (4 bytes) is kept for it; the map holds just the first new id of each
// prompt, whose parent already existed (and second blocks, see Hash). Lookups
// check both.
type RollingHasher struct {
	branch  map[uint64]uint32 // key(parent, block) -> id, for ids whose parent existed before them
	root    []uint32          // id+1 of the first-block id of raw block b (0: none); blocks below rootSlots only
	blockOf []uint32          // raw block of every id
	chained []uint64          // bit p set: id p+1 is a child of id p
}

// rootSlots bounds the direct table of first blocks, which spares a map
// lookup on every prompt (16 MiB at most).
const rootSlots = 1 << 22

// rootParent stands for the reference's parent id -1 in map keys.
const rootParent = ^uint32(0)

// NewRollingHasherSize returns an empty hasher with room for about prompts
// prompts of blocks blocks each, so a large trace does not pay for rehashing.
func NewRollingHasherSize(prompts, blocks int) *RollingHasher {
	return &RollingHasher{
		branch:  make(map[uint64]uint32, prompts),
		blockOf: make([]uint32, 0, prompts*blocks),
		chained: make([]uint64, 0, prompts*blocks/64+1),
	}
}

// Len returns the number of ids handed out so far.
func (h *RollingHasher) Len() int { return len(h.blockOf) }

// Hash appends to out the ids of a prompt whose raw blocks are given, and
// returns it. Raw blocks must be below 2^32.
func (h *RollingHasher) Hash(blocks []uint32, out []int64) []int64 {
	parent := rootParent
	fresh := false
	for depth, b := range blocks {
		var id uint32
		// Children of first blocks always go to the map: with a random first
		// block every prompt looks one up, and one map probe is cheaper
		// than a chain check followed by a map probe.
		chainable := depth >= 2
		switch {
		case fresh && chainable:
			// parent is the newest id: the child continues the chain.
			id = h.newID(b)
			h.chained[parent/64] |= 1 << (parent % 64)
		case fresh:
			id = h.newID(b)
			h.remember(parent, b, id)
		default:
			var ok bool
			if id, ok = h.lookup(parent, b, chainable); !ok {
				id = h.newID(b)
				h.remember(parent, b, id)
				fresh = true
			}
		}
		out = append(out, int64(id))
		parent = id
	}
	return out
}

func (h *RollingHasher) lookup(parent, b uint32, chainable bool) (uint32, bool) {
	if parent == rootParent && b < rootSlots {
		if int(b) < len(h.root) && h.root[b] != 0 {
			return h.root[b] - 1, true
		}
		return 0, false
	}
	if chainable && h.chained[parent/64]&(1<<(parent%64)) != 0 && h.blockOf[parent+1] == b {
		return parent + 1, true
	}
	id, ok := h.branch[branchKey(parent, b)]
	return id, ok
}

// remember records a child whose parent existed before it.
func (h *RollingHasher) remember(parent, b, id uint32) {
	if parent == rootParent && b < rootSlots {
		if int(b) >= len(h.root) {
			h.root = append(h.root, make([]uint32, int(b)+1-len(h.root))...)
		}
		h.root[b] = id + 1
		return
	}
	h.branch[branchKey(parent, b)] = id
}

func (h *RollingHasher) newID(b uint32) uint32 {
	id := uint32(len(h.blockOf))
	h.blockOf = append(h.blockOf, b)
	if int(id/64) >= len(h.chained) {
		h.chained = append(h.chained, 0)
	}
	return id
}

func branchKey(parent, b uint32) uint64 { return uint64(parent)<<32 | uint64(b) }
