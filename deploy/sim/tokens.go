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
