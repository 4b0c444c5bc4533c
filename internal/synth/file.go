package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"plannerbench/schemas"
)

// WriteFile generates the trace into path atomically (a temporary file in the
// same folder, renamed when complete) and returns a reference to it with its
// SHA-256 and row count. A crash never leaves a partial trace under path.
func WriteFile(ctx context.Context, p schemas.SynthParams, path string, opts Options) (schemas.TraceRef, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return schemas.TraceRef{}, fmt.Errorf("create trace folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return schemas.TraceRef{}, fmt.Errorf("create trace file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	h := sha256.New()
	aw := newAsyncWriter(io.MultiWriter(tmp, h), 8)
	tw := schemas.NewTraceWriter(aw)
	res, err := Generate(ctx, p, tw, opts)
	if err == nil {
		err = tw.Flush()
	}
	if cerr := aw.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp makes 0600; a trace is not secret
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return schemas.TraceRef{}, fmt.Errorf("write trace %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return schemas.TraceRef{}, fmt.Errorf("write trace %s: %w", path, err)
	}
	return schemas.TraceRef{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Rows: res.Requests}, nil
}

// FileSHA256 hashes an existing file, to check a reused trace.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
