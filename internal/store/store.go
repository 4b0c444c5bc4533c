// Package store publishes finished case folders to a bucket and reads
// them back, so that results outlive the node that wrote them and any
// worker can build a matrix's report. A bucket is a gocloud.dev/blob URL:
// file:///path, s3://bucket, gs://bucket, azblob://container (with the
// drivers' own query parameters, and prefix=… for a folder in it).
// Credentials come only from each provider's usual environment or
// workload identity (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_*),
// never from plannerbench's flags or files.
//
// A case is published as its files under <matrix>/<case>/ and, last, a
// manifest (ManifestFile) listing them with sizes and SHA-256 sums: a
// reader that finds the manifest finds the whole case, and one that does
// not sees no case. Publishing again overwrites the same objects, so a
// publish that died part way is finished by the next.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"
)

// ManifestFile is the object written last under a published case.
const ManifestFile = "published.json"

// Manifest lists a published case's files.
type Manifest struct {
	// Prefix is the case's key prefix, <matrix>/<case>.
	Prefix string `json:"prefix"`
	// Node is the worker node that published it.
	Node      string    `json:"node"`
	Published time.Time `json:"published"`
	Files     []File    `json:"files"`
}

// File is one published file, its name relative to the case folder.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Bucket is an open results bucket.
type Bucket struct {
	b   *blob.Bucket
	url string
	// beforeUpload, when set (tests), runs before each file's upload; an
	// error stops the publish there, as a crash would.
	beforeUpload func(name string) error
}

// IsURL says whether s names a bucket (scheme://…) rather than a folder.
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && !strings.ContainsAny(s[:i], `/\`)
}

// Open opens the bucket at url.
func Open(ctx context.Context, url string) (*Bucket, error) {
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open results bucket %s: %w", redact(url), err)
	}
	return &Bucket{b: b, url: url}, nil
}

// Close releases the bucket.
func (b *Bucket) Close() error { return b.b.Close() }

// String is the bucket's URL without its query (which may name endpoints
// and profiles, never secrets, but stays short in logs).
func (b *Bucket) String() string { return redact(b.url) }

func redact(url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		return url[:i]
	}
	return url
}

// CasePrefix is the key prefix of a case: <matrix>/<case>.
func CasePrefix(matrix, caseID string) string { return path.Join(matrix, caseID) }

// Publish uploads every file under dir to prefix, then the manifest.
func (b *Bucket) Publish(ctx context.Context, dir, prefix, node string) (Manifest, error) {
	m := Manifest{Prefix: prefix, Node: node}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if name == ManifestFile || !d.Type().IsRegular() {
			return nil
		}
		if b.beforeUpload != nil {
			if err := b.beforeUpload(name); err != nil {
				return err
			}
		}
		f, err := b.upload(ctx, p, path.Join(prefix, name))
		if err != nil {
			return err
		}
		f.Name = name
		m.Files = append(m.Files, f)
		return nil
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("publish %s to %s/%s: %w", dir, b, prefix, err)
	}
	m.Published = time.Now().UTC()
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := b.b.WriteAll(ctx, path.Join(prefix, ManifestFile), data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return Manifest{}, fmt.Errorf("publish %s: manifest: %w", prefix, err)
	}
	// The folder keeps the manifest too: it says this copy is the
	// published one (FindCompleted compares them).
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// ReadManifest reads a case folder's copy of its manifest.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}

// Same says whether two manifests list the same files with the same sums.
func (m Manifest) Same(o Manifest) bool {
	if m.Prefix != o.Prefix || len(m.Files) != len(o.Files) {
		return false
	}
	for i := range m.Files {
		if m.Files[i] != o.Files[i] {
			return false
		}
	}
	return true
}

// upload copies one file to key, returning its size and sum.
func (b *Bucket) upload(ctx context.Context, file, key string) (File, error) {
	in, err := os.Open(file)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	w, err := b.b.NewWriter(ctx, key, nil)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", key, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), in)
	if err != nil {
		_ = w.Close()
		return File{}, fmt.Errorf("%s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return File{}, fmt.Errorf("%s: %w", key, err)
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Published reads a case's manifest; ok is false when it has none (not
// published, or set aside).
func (b *Bucket) Published(ctx context.Context, prefix string) (m Manifest, ok bool, err error) {
	data, err := b.b.ReadAll(ctx, path.Join(prefix, ManifestFile))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, fmt.Errorf("read %s/%s: %w", b, path.Join(prefix, ManifestFile), err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, false, fmt.Errorf("%s/%s: %w", b, path.Join(prefix, ManifestFile), err)
	}
	return m, true, nil
}

// ErrNotPublished is Fetch's error for a prefix without a manifest.
var ErrNotPublished = errors.New("no published case there")

// Fetch downloads a published case into dir (created; files already
// there with the manifest's size and sum are kept), checking every
// file's size and sum. The manifest is written last.
func (b *Bucket) Fetch(ctx context.Context, prefix, dir string) (Manifest, error) {
	m, ok, err := b.Published(ctx, prefix)
	if err != nil {
		return Manifest{}, err
	}
	if !ok {
		return Manifest{}, fmt.Errorf("%s/%s: %w", b, prefix, ErrNotPublished)
	}
	for _, f := range m.Files {
		if strings.Contains(f.Name, "..") || path.IsAbs(f.Name) {
			return Manifest{}, fmt.Errorf("%s/%s: file %q leaves the case", b, prefix, f.Name)
		}
		local := filepath.Join(dir, filepath.FromSlash(f.Name))
		if same(local, f) {
			continue
		}
		if err := b.download(ctx, path.Join(prefix, f.Name), local, f); err != nil {
			return Manifest{}, err
		}
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// download copies key to file through a temporary name, checking size
// and sum before the rename.
func (b *Bucket) download(ctx context.Context, key, file string, want File) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	r, err := b.b.NewReader(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", b, key, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(file), ".fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", b, key, err)
	}
	if n != want.Size || hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
		return fmt.Errorf("%s/%s: %d bytes that do not match the manifest (%d bytes, sha256 %s)", b, key, n, want.Size, want.SHA256)
	}
	return os.Rename(tmp.Name(), file)
}

// same says whether file already holds f.
func same(file string, f File) bool {
	st, err := os.Stat(file)
	if err != nil || st.Size() != f.Size {
		return false
	}
	in, err := os.Open(file)
	if err != nil {
		return false
	}
	defer in.Close()
	h := sha256.New()
	if _, err := io.Copy(h, in); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == f.SHA256
}

// Cases lists the published cases under a matrix prefix, sorted.
func (b *Bucket) Cases(ctx context.Context, matrix string) ([]string, error) {
	it := b.b.List(&blob.ListOptions{Prefix: strings.TrimSuffix(matrix, "/") + "/", Delimiter: "/"})
	var out []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", b, matrix, err)
		}
		if !obj.IsDir {
			continue
		}
		prefix := strings.TrimSuffix(obj.Key, "/")
		if _, ok, err := b.Published(ctx, prefix); err != nil {
			return nil, err
		} else if ok {
			out = append(out, path.Base(prefix))
		}
	}
	sort.Strings(out)
	return out, nil
}

// SetAside moves a published case to another prefix: the manifest goes
// first, so no reader sees a half-moved case, then each file is copied
// and deleted, then the manifest is written at the new prefix.
func (b *Bucket) SetAside(ctx context.Context, prefix, aside string) error {
	m, ok, err := b.Published(ctx, prefix)
	if err != nil || !ok {
		return err
	}
	if err := b.b.Delete(ctx, path.Join(prefix, ManifestFile)); err != nil {
		return fmt.Errorf("set aside %s: %w", prefix, err)
	}
	for _, f := range m.Files {
		if err := b.b.Copy(ctx, path.Join(aside, f.Name), path.Join(prefix, f.Name), nil); err != nil {
			return fmt.Errorf("set aside %s: %w", prefix, err)
		}
		if err := b.b.Delete(ctx, path.Join(prefix, f.Name)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("set aside %s: %w", prefix, err)
		}
	}
	m.Prefix = aside
	data, _ := json.MarshalIndent(m, "", "  ")
	return b.b.WriteAll(ctx, path.Join(aside, ManifestFile), data, nil)
}

// PublishFiles uploads the regular files directly in dir (a matrix's
// report: comparison.json, report.html, the charts; not its case
// folders) to prefix/<name>.
func (b *Bucket) PublishFiles(ctx context.Context, dir, prefix string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if _, err := b.upload(ctx, filepath.Join(dir, e.Name()), path.Join(prefix, e.Name())); err != nil {
			return fmt.Errorf("publish %s: %w", e.Name(), err)
		}
	}
	return nil
}

// ReadFile reads one file of a published case (ErrNotPublished when the
// case has no manifest).
func (b *Bucket) ReadFile(ctx context.Context, prefix, name string) ([]byte, error) {
	if _, ok, err := b.Published(ctx, prefix); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%s/%s: %w", b, prefix, ErrNotPublished)
	}
	data, err := b.b.ReadAll(ctx, path.Join(prefix, name))
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", b, path.Join(prefix, name), err)
	}
	return data, nil
}

// ReadObject reads the object at key (a matrix's comparison.json).
func (b *Bucket) ReadObject(ctx context.Context, key string) ([]byte, error) {
	data, err := b.b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", b, key, err)
	}
	return data, nil
}
