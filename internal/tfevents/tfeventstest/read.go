// Package tfeventstest decodes TensorBoard event files for tests. It is an
// independent reader: it checks both CRCs of every TFRecord frame with its
// own masking code and walks the protobuf fields with protowire's consumers,
// sharing no code with the writer.
package tfeventstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Event is a decoded Event: its scalars by tag.
type Event struct {
	Wall    float64
	Step    int64
	Version string
	Values  map[string]float32
}

var table = crc32.MakeTable(crc32.Castagnoli)

func mask(b []byte) uint32 {
	c := crc32.Checksum(b, table)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// Read decodes every record of an event file.
func Read(r io.Reader) ([]Event, error) {
	var out []Event
	for {
		var lenBuf [8]byte
		if _, err := io.ReadFull(r, lenBuf[:]); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return out, err
		}
		var crcBuf [4]byte
		if _, err := io.ReadFull(r, crcBuf[:]); err != nil {
			return out, err
		}
		if mask(lenBuf[:]) != binary.LittleEndian.Uint32(crcBuf[:]) {
			return out, errors.New("length CRC mismatch")
		}
		data := make([]byte, binary.LittleEndian.Uint64(lenBuf[:]))
		if _, err := io.ReadFull(r, data); err != nil {
			return out, err
		}
		if _, err := io.ReadFull(r, crcBuf[:]); err != nil {
			return out, err
		}
		if mask(data) != binary.LittleEndian.Uint32(crcBuf[:]) {
			return out, errors.New("data CRC mismatch")
		}
		ev, err := decodeEvent(data)
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

func decodeEvent(b []byte) (Event, error) {
	ev := Event{Values: map[string]float32{}}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ev, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			ev.Wall, b = math.Float64frombits(v), b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			ev.Step, b = int64(v), b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			ev.Version, b = v, b[n:]
		case num == 5 && typ == protowire.BytesType:
			summary, n := protowire.ConsumeBytes(b)
			b = b[n:]
			for len(summary) > 0 {
				_, _, n := protowire.ConsumeTag(summary)
				value, m := protowire.ConsumeBytes(summary[n:])
				summary = summary[n+m:]
				var tag string
				var simple float32
				for len(value) > 0 {
					fnum, _, k := protowire.ConsumeTag(value)
					value = value[k:]
					if fnum == 1 {
						s, k := protowire.ConsumeString(value)
						tag, value = s, value[k:]
					} else {
						f, k := protowire.ConsumeFixed32(value)
						simple, value = math.Float32frombits(f), value[k:]
					}
				}
				ev.Values[tag] = simple
			}
		default:
			return ev, fmt.Errorf("unexpected field %d of type %d", num, typ)
		}
	}
	return ev, nil
}
