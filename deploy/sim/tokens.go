package sim

import (
	"hash/fnv"
	"strings"
	"unicode"
)

// CountTokens is the simulator's tokenizer: one token per whitespace-separated
// word. It is documented and deterministic so a load generator can build a
// prompt of exactly n tokens (n words) without the model's tokenizer.
func CountTokens(text string) int { return len(strings.Fields(text)) }

// BlockHashes hashes the full blocks of blockSize words of a prompt, each
// hash chained over the previous one so equal hashes mean equal prefixes —
// the identity prefix caching needs. A trailing partial block has no hash.
func BlockHashes(text string, blockSize int) []uint64 {
	var out []uint64
	h := fnv.New64a()
	var prev uint64
	n := 0
	var buf [8]byte
	start := func() {
		h.Reset()
		for i := range buf {
			buf[i] = byte(prev >> (8 * i))
		}
		h.Write(buf[:])
	}
	start()
	for _, w := range strings.FieldsFunc(text, unicode.IsSpace) {
		h.Write([]byte(w))
		h.Write([]byte{0})
		n++
		if n == blockSize {
			prev = h.Sum64()
			out = append(out, prev)
			n = 0
			start()
		}
	}
	return out
}

// TraceBlockHashes gives a trace row the engine block hashes its live
// prompt would have, without building the text: the load generator writes
// trace block k (traceBlock tokens) as the text of hash id k, and a row's
// blocks past its hash ids as text of its own (see loadgen.PromptBuilder),
// so two engine blocks are equal exactly when they cover the same token
// ranges of the same trace blocks after equal prefixes. The values differ
// from BlockHashes of the text; equality, which is all prefix caching and
// the KV router use, is the same. index tells rows apart as it does there.
func TraceBlockHashes(hashIDs []int64, inputLength, traceBlock, engineBlock int, index int64) []uint64 {
	if traceBlock <= 0 || engineBlock <= 0 {
		return nil
	}
	out := make([]uint64, 0, inputLength/engineBlock)
	h := fnv.New64a()
	var prev uint64
	var buf [8 * 4]byte
	put := func(i int, v uint64) {
		for b := 0; b < 8; b++ {
			buf[8*i+b] = byte(v >> (8 * b))
		}
	}
	for start := 0; start+engineBlock <= inputLength; start += engineBlock {
		h.Reset()
		put(0, prev)
		h.Write(buf[:8])
		// One segment for each trace block this engine block overlaps.
		for pos := start; pos < start+engineBlock; {
			blk := pos / traceBlock
			end := min((blk+1)*traceBlock, start+engineBlock)
			id := uint64(1)<<62 | uint64(index)<<16 | uint64(blk)
			if blk < len(hashIDs) {
				id = uint64(hashIDs[blk])
			}
			put(0, id)
			put(1, uint64(pos-blk*traceBlock))
			put(2, uint64(end-blk*traceBlock))
			h.Write(buf[:24])
			pos = end
		}
		prev = h.Sum64()
		out = append(out, prev)
	}
	return out
}
