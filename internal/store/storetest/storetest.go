// Package storetest runs an S3 server in the test's process
// (github.com/johannesboyne/gofakes3, in memory) for tests of results in
// object storage; it is imported by tests only.
package storetest

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 starts an S3 server with one bucket, sets the AWS SDK's usual
// credential variables to secret (so a test can look for it where it
// must not be), and returns the bucket's s3:// URL for plannerbench.
// Processes started after it inherit the credentials; the server stops
// with the test.
func S3(t testing.TB, bucket, secret string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "plannerbench-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-east-1")
	return fmt.Sprintf("s3://%s?endpoint=%s&use_path_style=true&disable_https=true&region=us-east-1", bucket, srv.URL)
}
