package tfevents

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"plannerbench/internal/tfevents/tfeventstest"
)

// The CRC-32C check value from RFC 3720 (iSCSI), B.4: "123456789".
func TestCRC32CKnownVector(t *testing.T) {
	require.Equal(t, uint32(0xE3069283), crc32.Checksum([]byte("123456789"), crc32.MakeTable(crc32.Castagnoli)))
}

func TestEventFileDecodesIndependently(t *testing.T) {
	dir := t.TempDir()
	start := time.Unix(1750000000, 500_000_000)
	w, err := Create(dir, start)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(filepath.Base(w.Path()), "events.out.tfevents.1750000000."))
	for step := int64(0); step < 3; step++ {
		require.NoError(t, w.Scalars(start.Add(time.Duration(step)*time.Second), step, []Scalar{
			{"average_kv_load", 0.25 * float64(step)}, {"num_gpu", 4}, {"prefill_queue_size", float64(step * 7)},
		}))
	}
	require.NoError(t, w.Close())
	data, err := os.ReadFile(w.Path())
	require.NoError(t, err)
	events, err := tfeventstest.Read(bytes.NewReader(data))
	require.NoError(t, err)
	require.Len(t, events, 4)
	require.Equal(t, "brain.Event:2", events[0].Version)
	require.InDelta(t, 1750000000.5, events[0].Wall, 1e-6)
	for i, ev := range events[1:] {
		require.Equal(t, int64(i), ev.Step)
		require.Equal(t, float32(0.25*float64(i)), ev.Values["average_kv_load"])
		require.Equal(t, float32(4), ev.Values["num_gpu"])
		require.Equal(t, float32(7*i), ev.Values["prefill_queue_size"], fmt.Sprint(ev.Values))
	}
	// A flipped byte in the last event's data is caught by its CRC.
	data[len(data)-6] ^= 0xff
	_, err = tfeventstest.Read(bytes.NewReader(data))
	require.ErrorContains(t, err, "data CRC mismatch")
}
