// Package tfevents writes TensorBoard event files: TFRecord framing around
// Event protocol buffers holding scalar summaries, so `tensorboard --logdir`
// shows plannerbench's timelines as it showed the seed's planner logs.
//
// No maintained Go library writes them, so the two formats are written here
// by hand: the TFRecord frame (length, masked CRC-32C of the length, data,
// masked CRC-32C of the data) and the few protobuf fields needed, encoded
// with google.golang.org/protobuf's protowire:
//
//	Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//	Summary { repeated Value value = 1; }
//	Value   { string tag = 1; float simple_value = 2; }
package tfevents

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is TFRecord's checksum: CRC-32C, rotated right by 15 bits, plus
// a constant (so a CRC of data holding CRCs stays well distributed).
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// AppendRecord appends one TFRecord frame holding data.
func AppendRecord(dst, data []byte) []byte {
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(len(data)))
	dst = append(dst, hdr[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, MaskedCRC(hdr[:]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC(data))
}

// Scalar is one value of one tag at one step.
type Scalar struct {
	Tag   string
	Value float64
}

// AppendScalarEvent appends the protobuf of an Event holding scalars.
func AppendScalarEvent(dst []byte, wall time.Time, step int64, scalars []Scalar) []byte {
	dst = appendEventHeader(dst, wall, step)
	var summary []byte
	for _, s := range scalars {
		var value []byte
		value = protowire.AppendTag(value, 1, protowire.BytesType)
		value = protowire.AppendString(value, s.Tag)
		value = protowire.AppendTag(value, 2, protowire.Fixed32Type)
		value = protowire.AppendFixed32(value, math.Float32bits(float32(s.Value)))
		summary = protowire.AppendTag(summary, 1, protowire.BytesType)
		summary = protowire.AppendBytes(summary, value)
	}
	dst = protowire.AppendTag(dst, 5, protowire.BytesType)
	return protowire.AppendBytes(dst, summary)
}

func appendEventHeader(dst []byte, wall time.Time, step int64) []byte {
	dst = protowire.AppendTag(dst, 1, protowire.Fixed64Type)
	dst = protowire.AppendFixed64(dst, math.Float64bits(float64(wall.UnixNano())/1e9))
	dst = protowire.AppendTag(dst, 2, protowire.VarintType)
	return protowire.AppendVarint(dst, uint64(step))
}

// Writer appends events to one event file.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	buf  []byte
	path string
}

// Create starts an event file in dir named as TensorFlow names them
// (events.out.tfevents.<unix seconds>.<host>) and writes its version event.
func Create(dir string, start time.Time) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard folder: %w", err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	path := filepath.Join(dir, fmt.Sprintf("events.out.tfevents.%d.%s", start.Unix(), host))
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create event file: %w", err)
	}
	w := &Writer{f: f, w: bufio.NewWriter(f), path: path}
	ev := appendEventHeader(nil, start, 0)
	ev = protowire.AppendTag(ev, 3, protowire.BytesType)
	ev = protowire.AppendString(ev, "brain.Event:2")
	if err := w.write(ev); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Path returns the event file's path.
func (w *Writer) Path() string { return w.path }

// Scalars writes one event holding every scalar at step.
func (w *Writer) Scalars(wall time.Time, step int64, scalars []Scalar) error {
	return w.write(AppendScalarEvent(nil, wall, step, scalars))
}

func (w *Writer) write(event []byte) error {
	w.buf = AppendRecord(w.buf[:0], event)
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", w.path, err)
	}
	return nil
}
