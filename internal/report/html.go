package report

import (
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"plannerbench/internal/aiperf"
	"plannerbench/internal/atomicfile"
	"plannerbench/internal/casefolder"
	"plannerbench/internal/results"
	"plannerbench/schemas"
)

// Page is what report.html shows.
type Page struct {
	Comparison Comparison
	Cases      []Case
	Charts     []Chart
	Table      string
	MatrixDir  string
	Generated  time.Time
	// Narratives say what happened in each case with a timeline.
	Narratives []string
	// Files link each case's tables and exports.
	Files []CaseFiles
}

// CaseFiles are one case's result files, relative to the matrix folder.
type CaseFiles struct {
	Case  string
	Links []string
}

// caseFileNames are a case's single-file results, in the order listed.
var caseFileNames = []string{casefolder.SummaryFile, casefolder.TimelineFile, aiperf.RecordsFile, aiperf.SummaryJSONFile, aiperf.SummaryCSVFile}

// filesOf lists a case's result files that exist: one entry a table
// (requests and GPU as their compacted file, or as parts while running),
// then summary and exports; paths relative to the matrix folder.
func filesOf(matrixDir string, c Case) CaseFiles {
	out := CaseFiles{Case: c.ID}
	rel := func(p string) string {
		if r, err := filepath.Rel(matrixDir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	for _, table := range []string{casefolder.RequestsDir, casefolder.GPUDir} {
		files, _ := results.TableFiles(filepath.Join(c.Dir, table))
		switch {
		case len(files) == 1:
			out.Links = append(out.Links, rel(files[0]))
		case len(files) > 1: // still in parts: one link to the folder
			out.Links = append(out.Links, rel(filepath.Join(c.Dir, table))+"/")
		}
	}
	for _, n := range caseFileNames {
		if _, err := os.Stat(filepath.Join(c.Dir, n)); err == nil {
			out.Links = append(out.Links, rel(filepath.Join(c.Dir, n)))
		}
	}
	return out
}

// Versions lists the tool's build facts for the header.
func Versions() string {
	v := "plannerbench"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v += " " + bi.Main.Version
		}
	}
	return v + ", " + runtime.Version()
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"img": func(b []byte) template.URL {
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
	"ms":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"f3":  func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"pct": pct,
	"x":   func(v float64) string { return fmt.Sprintf("%.2fx", v) },
	"rel": func(dir, path string) string {
		if r, err := filepath.Rel(dir, path); err == nil {
			return filepath.ToSlash(r)
		}
		return path
	},
	"base":       path.Base,
	"deployment": deploymentLabel,
	"versions":   Versions,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>plannerbench: {{.Comparison.Matrix}}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#555;font-size:.9rem} .sentence{font-size:1.3rem;background:#f2f8e6;border-left:6px solid #76b900;padding:.8rem 1rem;margin:1rem 0}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0} th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:right} th{background:#f5f5f5} td:first-child,th:first-child{text-align:left}
.charts img{max-width:100%;border:1px solid #eee;margin:.5rem 0} .bars{display:flex;gap:1rem;flex-wrap:wrap} .bars img{max-width:48%}
code{font-size:.85rem} .files li{font-size:.85rem} .story{font-size:.95rem}
</style></head><body>
<h1>{{.Comparison.Matrix}}</h1>
<div class="meta">generated {{.Generated.Format "2006-01-02 15:04:05 MST"}} · {{versions}}</div>
{{range .Cases}}{{if .Spec.ID}}<div class="meta">{{.ID}}: backend {{.Spec.Backend.Kind}}{{with .Spec.Backend.Profile}} (profile {{.}}){{end}}, model {{.Spec.Model}}, time_scale {{.Spec.TimeScale}}, {{.Spec.Deployment}} planner {{.Spec.Planner.Mode}}</div>{{end}}{{end}}
{{range .Comparison.Sentences}}<p class="sentence">{{.}}.</p>{{end}}
{{range .Comparison.EnergySentences}}<p>{{.}}.</p>{{end}}
<h2>Cases</h2>
{{range .Comparison.Groups}}{{if .Key}}<h3>{{.Key}}</h3>{{end}}
<table><tr><th>case</th><th>deploy</th><th>planner</th><th>completed</th><th>errors</th><th>avg latency ms</th><th>speedup</th><th>TTFT p50/p90/p99 ms</th><th>ITL p50/p90/p99 ms</th><th>output tok/s</th><th>goodput req/s</th><th>num_gpu</th><th>less GPU</th><th>GPU-hours</th></tr>
{{range .Rows}}<tr><td>{{.ID}}{{if .Baseline}} (baseline){{end}}</td><td>{{deployment .Case}}</td><td>{{.Spec.Planner.Mode}}</td>
<td>{{.Summary.Completed}}</td><td>{{.Summary.Errors}}</td><td>{{ms .Summary.AvgRequestLatencyMS}}</td><td>{{with .Ratios}}{{x .Speedup}}{{else}}-{{end}}</td>
<td>{{ms .Summary.TTFTMS.P50}} / {{ms .Summary.TTFTMS.P90}} / {{ms .Summary.TTFTMS.P99}}</td><td>{{ms .Summary.ITLMS.P50}} / {{ms .Summary.ITLMS.P90}} / {{ms .Summary.ITLMS.P99}}</td>
<td>{{ms .Summary.OutputTokenThroughput}}</td><td>{{f3 .Summary.Goodput}}</td><td>{{f3 .Summary.AvgNumGPU}}</td><td>{{with .Ratios}}{{pct .GPULessPercent}}{{else}}-{{end}}</td><td>{{f3 .GPUHours}}</td></tr>
{{end}}</table>{{end}}
{{with .Comparison.Published}}<h3>Reference: published, not measured here</h3>
<table><tr><th>source</th><th>case</th><th>deploy</th><th>planner</th><th>avg latency s</th><th>GPU·s</th><th>note</th></tr>
{{range .}}<tr class="published"><td>{{.Source}}</td><td>{{.Case}}</td><td>{{.Deployment}}</td><td>{{.Planner}}</td><td>{{printf "%.1f" .AvgLatency}}</td><td>{{printf "%.0f" .GPUSeconds}}</td><td>{{.Note}}</td></tr>
{{end}}</table>{{end}}
<h2>Charts</h2>
<div class="charts">
<div class="bars">{{range .Charts}}{{if or (eq .Name "avg_latency") (eq .Name "gpu_usage")}}<img alt="{{.Title}}" src="{{img .PNG}}">{{end}}{{end}}</div>
{{range .Charts}}{{if not (or (eq .Name "avg_latency") (eq .Name "gpu_usage"))}}<h3>{{.Title}}</h3><img alt="{{.Title}}" src="{{img .PNG}}">{{end}}{{end}}
</div>
{{with .Narratives}}<h2>What happened</h2>
{{range .}}<p class="story">{{.}}</p>
{{end}}{{end}}<h2>Files</h2>
<ul class="files">{{range .Files}}<li>{{.Case}}:{{range $i, $l := .Links}}{{if $i}},{{end}} <a href="{{$l}}">{{base $l}}</a>{{end}}</li>
{{end}}</ul>
<pre>{{.Table}}</pre>
</body></html>
`))

// WriteHTML renders the page.
func WriteHTML(w io.Writer, p Page) error { return page.Execute(w, p) }

// Build loads a matrix folder's cases, compares them with baseline, renders
// the charts and writes comparison.json, the charts (PNG and SVG) and
// report.html into the folder. It returns the comparison.
func Build(ctx context.Context, dir, baseline string) (Comparison, error) {
	return BuildWith(ctx, dir, baseline, nil)
}

// BuildWith is Build with more cases set beside the matrix's (AIPerf runs
// given with `report --with`).
func BuildWith(ctx context.Context, dir, baseline string, extra []Case) (Comparison, error) {
	cases, err := LoadMatrix(dir)
	if err != nil && len(extra) == 0 {
		return Comparison{}, err
	}
	return BuildFrom(ctx, dir, append(cases, extra...), baseline)
}

// BuildFrom is Build with the cases given (failed ones included).
func BuildFrom(ctx context.Context, dir string, cases []Case, baseline string) (Comparison, error) {
	cmp, err := Compare(filepath.Base(dir), cases, baseline)
	if err != nil {
		return cmp, err
	}
	series, err := LoadSeries(ctx, cases)
	if err != nil {
		return cmp, err
	}
	charts, err := Charts(cases, series)
	if err != nil {
		return cmp, err
	}
	if sw, err := LoadSweep(dir); err != nil {
		return cmp, err
	} else if sw != nil {
		heat, err := SweepHeatmaps(sw)
		if err != nil {
			return cmp, err
		}
		charts = append(charts, heat...)
	}
	if err := WriteCharts(dir, charts); err != nil {
		return cmp, err
	}
	var table strings.Builder
	if err := WriteTable(&table, cmp); err != nil {
		return cmp, err
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ComparisonFile), cmp); err != nil {
		return cmp, err
	}
	f, err := os.CreateTemp(dir, ".report.html.tmp-*")
	if err != nil {
		return cmp, err
	}
	defer os.Remove(f.Name())
	pg := Page{Comparison: cmp, Cases: cases, Charts: charts, Table: table.String(), MatrixDir: dir, Generated: time.Now()}
	timelines := make(map[string][]schemas.TimelineRow, len(series))
	for _, s := range series {
		timelines[s.Case] = s.Timeline
	}
	for _, c := range cases {
		if n := Narrative(c, timelines[c.ID]); n != "" {
			pg.Narratives = append(pg.Narratives, n)
		}
		if c.Dir != "" {
			pg.Files = append(pg.Files, filesOf(dir, c))
		}
	}
	err = WriteHTML(f, pg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, ReportFile))
	}
	return cmp, err
}

// ReportFile is a matrix's HTML report.
const ReportFile = "report.html"

// LoadSeries reads each usable case's timeline and request measurements.
func LoadSeries(ctx context.Context, cases []Case) ([]Series, error) {
	var out []Series
	for _, c := range cases {
		if c.Dir == "" || !usable(c) {
			continue
		}
		s := Series{Case: c.ID, T0: c.Summary.T0, TimeScale: c.Summary.TimeScale}
		if tl, err := results.ReadTimeline(ctx, casefolder.TimelinePath(c.Dir)); err == nil {
			s.Timeline = tl
		}
		if g, err := results.ReadGPU(ctx, casefolder.GPUPath(c.Dir)); err == nil {
			s.GPU = g
		}
		recs, err := casefolder.ReadRequests(ctx, c.Dir)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Status == "ok" {
				s.TTFTMS = append(s.TTFTMS, r.TTFTMS)
				s.LatencyMS = append(s.LatencyMS, r.LatencyMS)
			}
		}
		out = append(out, s)
	}
	return out, nil
}
