package replay

import (
	"testing"

	"github.com/stretchr/testify/require"

	"plannerbench/deploy/sim"
	"plannerbench/internal/loadgen"
	"plannerbench/schemas"
)

// Replay gives prompts the prefix identity their live text has: for every
// pair of rows and engine block, the live prompts' block hashes (the
// simulator hashing the load generator's text) are equal exactly when the
// replay's are.
func TestTraceBlockHashesEqualWhereLiveTextIs(t *testing.T) {
	const traceBlock, engineBlock = 512, 64
	rows := []schemas.TraceRecord{
		{InputLength: 3000, HashIDs: []int64{1, 2, 3, 4, 5, 6}},
		{InputLength: 3000, HashIDs: []int64{1, 2, 3, 9, 10, 11}}, // shares three blocks
		{InputLength: 1100, HashIDs: []int64{1, 2, 7}},            // shares two, then a partial block
		{InputLength: 1100, HashIDs: []int64{1, 2}},               // its third block is its own
		{InputLength: 1100, HashIDs: []int64{1, 2}},               // ... and differs from row 3's
		{InputLength: 700, HashIDs: []int64{2, 1}},                // same ids, other order
		{InputLength: 3000, HashIDs: []int64{1, 2, 3, 4, 5, 6}},   // equal to row 0
	}
	pb := loadgen.PromptBuilder{BlockSize: traceBlock}
	live := make([][]uint64, len(rows))
	replayed := make([][]uint64, len(rows))
	for i := range rows {
		live[i] = sim.BlockHashes(pb.Build(int64(i), &rows[i]), engineBlock)
		replayed[i] = sim.TraceBlockHashes(rows[i].HashIDs, rows[i].InputLength, traceBlock, engineBlock, int64(i))
		require.Len(t, replayed[i], len(live[i]), "row %d: one hash a full engine block", i)
	}
	shared := 0
	for i := range rows {
		for j := range rows {
			for k := 0; k < min(len(live[i]), len(live[j])); k++ {
				equal := live[i][k] == live[j][k]
				require.Equal(t, equal, replayed[i][k] == replayed[j][k], "rows %d, %d block %d", i, j, k)
				if equal && i != j {
					shared++
				}
			}
		}
	}
	require.Greater(t, shared, 0)
}
