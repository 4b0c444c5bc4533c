package synth

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveHasher is the reference rule spelled out: a map from (parent, block)
// to the first-seen index.
type naiveHasher struct{ ids map[[2]int64]int64 }

func (n *naiveHasher) hash(blocks []uint32) []int64 {
	parent := int64(-1)
	var out []int64
	for _, b := range blocks {
		key := [2]int64{parent, int64(b)}
		id, ok := n.ids[key]
		if !ok {
			id = int64(len(n.ids))
			n.ids[key] = id
		}
		out = append(out, id)
		parent = id
	}
	return out
}

func TestRollingHasherMatchesNaiveRule(t *testing.T) {
	for _, tc := range []struct {
		name        string
		totalBlocks int
		maxLen      int
	}{
		{"heavy sharing", 3, 6},
		{"some sharing", 20, 8},
		{"seed-like", 10000, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 11))
			h := NewRollingHasher()
			n := &naiveHasher{ids: map[[2]int64]int64{}}
			for i := 0; i < 20000; i++ {
				blocks := make([]uint32, 1+rng.IntN(tc.maxLen))
				for j := range blocks {
					blocks[j] = uint32(rng.IntN(tc.totalBlocks + 1))
				}
				require.Equal(t, n.hash(blocks), h.Hash(blocks, nil), "prompt %d", i)
			}
			require.Equal(t, len(n.ids), h.Len())
		})
	}
}

func TestRollingHasherSharesPrefixes(t *testing.T) {
	h := NewRollingHasher()
	require.Equal(t, []int64{0, 1, 2}, h.Hash([]uint32{5, 6, 7}, nil))
	require.Equal(t, []int64{0, 1, 3}, h.Hash([]uint32{5, 6, 8}, nil), "shared prefix keeps ids")
	require.Equal(t, []int64{4, 5}, h.Hash([]uint32{6, 7}, nil), "same raw blocks after another parent get new ids")
	require.Equal(t, []int64{0, 1, 2, 6}, h.Hash([]uint32{5, 6, 7, 7}, nil))
}
