package observe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"plannerbench/schemas"
)

// Fetch GETs a Prometheus endpoint's exposition; anything but 200 is an
// error naming the URL.
func Fetch(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: HTTP %d", url, resp.StatusCode)
	}
	return data, nil
}

// Scrape GETs a Prometheus endpoint with plannerbench's names and parses
// it into a Sample.
func Scrape(ctx context.Context, client *http.Client, url string, gpusPerEngine int) (schemas.Sample, error) {
	return ScrapeAll(ctx, client, []string{url}, gpusPerEngine, DialectPlannerbench)
}

// ScrapeAll GETs every endpoint (a frontend's and its workers', say) and
// reads them together, with dialect's names, into one Sample.
func ScrapeAll(ctx context.Context, client *http.Client, urls []string, gpusPerEngine int, dialect string) (schemas.Sample, error) {
	var body bytes.Buffer
	for _, u := range urls {
		data, err := Fetch(ctx, client, u)
		if err != nil {
			return schemas.Sample{}, err
		}
		body.Write(data)
		body.WriteByte('\n')
	}
	s, err := ParseMetricsAs(&body, gpusPerEngine, dialect)
	if err != nil {
		where := fmt.Sprint(urls)
		if len(urls) == 1 {
			where = urls[0]
		}
		return s, fmt.Errorf("scrape %s: %w", where, err)
	}
	return s, nil
}
