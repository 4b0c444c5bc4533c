package observe

import (
	"context"
	"fmt"
	"net/http"

	"plannerbench/schemas"
)

// Scrape GETs a Prometheus endpoint and parses it into a Sample.
func Scrape(ctx context.Context, client *http.Client, url string, gpusPerEngine int) (schemas.Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return schemas.Sample{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return schemas.Sample{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return schemas.Sample{}, fmt.Errorf("scrape %s: HTTP %d", url, resp.StatusCode)
	}
	s, err := ParseMetrics(resp.Body, gpusPerEngine)
	if err != nil {
		return s, fmt.Errorf("scrape %s: %w", url, err)
	}
	return s, nil
}
