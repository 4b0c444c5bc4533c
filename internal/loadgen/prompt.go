// Package loadgen replays a mooncake trace open-loop against an
// OpenAI-compatible endpoint (README, Load) and records every row's outcome.
package loadgen

import (
	"strings"

	"plannerbench/schemas"
)

// vocabulary holds common English words, each a single token for Llama-3
// tokenizers and exactly one token for the simulator (one token a word).
var vocabulary = strings.Fields(`the of and to in is was for on that with as by at from his her are
be this have had not but which one were all they been has their more when who will would there
she can out up into than them its some time two could only other new these may first then do any
like my now over such our man me even most made after also did many before must through back
years where much your way well down should because each just those people how too little state
good very make world still own see men work long get here between both life being under never
day same another know while last might us great old year off come since against go came right
used take three place house use during without again home around small however found mrs
thought went say part once general high upon school every far does left number course war until
something fact though water less public put think almost hand enough took head yet government
system better set told nothing night end why called didnt eyes find going look asked later knew
point next city give group toward young let room side social given present several order national
second possible rather per face among form important often things looked early white case john
become large big need four within felt along children saw best church ever least power thing light
family interest want members mind country area others done turned although open god service
certain kind problem began different door thus help means sense whole matter perhaps itself york
times law human line above name example action company hands local show whether five history
gave today either act feet across taken past quite anything seen having death week experience`)

// PromptBuilder turns trace hash ids into prompt text of exactly the
// trace's input length in the simulator's tokens (words): block k of the
// prompt is the text of hash id k, so equal hash ids give equal text and
// equal prefixes stay equal prefixes for any prefix cache.
type PromptBuilder struct {
	// BlockSize is the trace's tokens per hash id (512 for the reference).
	BlockSize int
}

// Build returns the prompt of rec; index makes prompts without hash ids
// (or with too few) distinct.
func (p PromptBuilder) Build(index int64, rec *schemas.TraceRecord) string {
	var b strings.Builder
	b.Grow(rec.InputLength * 6)
	words := 0
	for blk := 0; words < rec.InputLength; blk++ {
		id := uint64(1)<<62 | uint64(index)<<16 | uint64(blk) // a block of its own
		if blk < len(rec.HashIDs) {
			id = uint64(rec.HashIDs[blk])
		}
		n := min(p.BlockSize, rec.InputLength-words)
		appendBlock(&b, id, n, words == 0)
		words += n
	}
	return b.String()
}

// appendBlock writes the first n words of the block with id.
func appendBlock(b *strings.Builder, id uint64, n int, first bool) {
	state := id*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	for k := 0; k < n; k++ {
		state = splitmix(state)
		if !(first && k == 0) {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[state%uint64(len(vocabulary))])
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
