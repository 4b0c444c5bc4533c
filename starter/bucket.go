package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"plannerbench/internal/store"
)

// addResultsURL registers --results-url: the bucket the workers publish
// cases to, read instead of a local folder.
func addResultsURL(c *cobra.Command, url *string) {
	c.Flags().StringVar(url, "results-url", os.Getenv("PLANNERBENCH_RESULTS_URL"),
		"read results from this bucket (the workers' --results-url; credentials from the provider's environment) instead of local folders; folder arguments are then MATRIX/CASE keys ($PLANNERBENCH_RESULTS_URL)")
}

// openBucket opens --results-url, refusing what is not a bucket URL.
func openBucket(ctx context.Context, url string) (*store.Bucket, error) {
	if !store.IsURL(url) {
		return nil, badInput(fmt.Errorf("--results-url %q: want a bucket URL (file://, s3://, gs://, azblob://)", url))
	}
	b, err := store.Open(ctx, url)
	if err != nil {
		return nil, badInput(err)
	}
	return b, nil
}

// cacheDir is where cases read from a bucket are kept on this machine:
// one folder a bucket URL, then MATRIX/CASE.
func cacheDir(url string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(base, "plannerbench", "results", hex.EncodeToString(sum[:6])), nil
}

// fetchCase brings the published case at key (MATRIX/CASE) into the
// cache and returns its folder; a key with no published case is bad input.
func fetchCase(ctx context.Context, url, key string) (string, error) {
	b, err := openBucket(ctx, url)
	if err != nil {
		return "", err
	}
	defer b.Close()
	return fetchInto(ctx, b, url, strings.Trim(key, "/"))
}

func fetchInto(ctx context.Context, b *store.Bucket, url, key string) (string, error) {
	root, err := cacheDir(url)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, filepath.FromSlash(key))
	if _, err := b.Fetch(ctx, key, dir); err != nil {
		if errors.Is(err, store.ErrNotPublished) {
			return "", badInput(fmt.Errorf("%s: no published case (a MATRIX/CASE key of %s)", key, b))
		}
		return "", err
	}
	return dir, nil
}

// fetchMatrix brings every published case of a matrix into the cache and
// returns the matrix's folder there.
func fetchMatrix(ctx context.Context, url, matrix string) (string, error) {
	b, err := openBucket(ctx, url)
	if err != nil {
		return "", err
	}
	defer b.Close()
	cases, err := b.Cases(ctx, matrix)
	if err != nil {
		return "", err
	}
	if len(cases) == 0 {
		return "", badInput(fmt.Errorf("matrix %s: no published case in %s", matrix, b))
	}
	var dir string
	for _, c := range cases {
		if dir, err = fetchInto(ctx, b, url, store.CasePrefix(matrix, c)); err != nil {
			return "", err
		}
	}
	return filepath.Dir(dir), nil
}
