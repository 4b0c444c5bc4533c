// Recomputes a matrix report's numbers from the Parquet files with DuckDB
// (an independent reader) and compares them with comparison.json:
//   node verify-report.mjs results/seed
// `make verify-report DIR=results/seed` installs @duckdb/node-api first.
import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node verify-report.mjs MATRIX-DIR');
  process.exit(2);
}
const cmp = JSON.parse(readFileSync(join(dir, 'comparison.json'), 'utf8'));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const one = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson()[0];
let bad = 0;
const check = (what, report, duck) => {
  const ok = Math.abs(report - duck) <= 1e-6 * Math.max(1, Math.abs(duck));
  if (!ok) bad++;
  console.log(`${ok ? 'ok  ' : 'DIFF'} ${what.padEnd(42)} report ${Number(report).toFixed(6).padStart(16)}  duckdb ${Number(duck).toFixed(6).padStart(16)}`);
};
for (const g of cmp.groups) {
  for (const r of g.rows) {
    if (!r.dir || r.status === 'failed' || r.source === 'aiperf') continue;
    // A finished case's requests are one compacted file; a running one's, parts.
    const compacted = join(r.dir, 'requests.parquet');
    const req = `read_parquet('${existsSync(compacted) ? compacted : join(r.dir, 'requests', '*.parquet')}')`;
    const d = await one(`SELECT count(*) AS n, count(DISTINCT index) AS distinct_idx, avg(latency_ms) AS lat,
      quantile_cont(ttft_ms, 0.5) AS ttft50, quantile_cont(ttft_ms, 0.9) AS ttft90, quantile_cont(ttft_ms, 0.99) AS ttft99,
      quantile_cont(itl_ms, 0.5) AS itl50, quantile_cont(itl_ms, 0.99) AS itl99 FROM ${req} WHERE status = 'ok'`);
    const all = await one(`SELECT count(*) AS n, count(DISTINCT index) AS d FROM ${req}`);
    const tl = await one(`SELECT avg(num_gpu) AS gpu FROM read_parquet('${join(r.dir, 'timeline.parquet')}')`);
    const s = r.summary;
    console.log(`-- ${r.id}: ${all.n} rows, ${all.d} distinct indexes`);
    check(`${r.id} completed requests`, s.completed, Number(d.n));
    check(`${r.id} average request latency (ms)`, s.avg_request_latency_ms, Number(d.lat));
    check(`${r.id} TTFT p50 (ms)`, s.ttft_ms.p50, Number(d.ttft50));
    check(`${r.id} TTFT p90 (ms)`, s.ttft_ms.p90, Number(d.ttft90));
    check(`${r.id} TTFT p99 (ms)`, s.ttft_ms.p99, Number(d.ttft99));
    check(`${r.id} ITL p50 (ms)`, s.itl_ms.p50, Number(d.itl50));
    check(`${r.id} ITL p99 (ms)`, s.itl_ms.p99, Number(d.itl99));
    check(`${r.id} time-averaged num_gpu`, s.avg_num_gpu, Number(tl.gpu));
  }
}
for (const g of cmp.groups) {
  const base = g.rows.find((r) => r.baseline);
  for (const r of g.rows) {
    if (!r.ratios || !base) continue;
    check(`${r.id} speedup vs ${base.id}`, r.ratios.speedup, base.summary.avg_request_latency_ms / r.summary.avg_request_latency_ms);
    // An AIPerf run has no GPU count: its ratio is null.
    if (r.source !== 'aiperf') check(`${r.id} GPU ratio vs ${base.id}`, r.ratios.gpu_ratio, r.summary.avg_num_gpu / base.summary.avg_num_gpu);
  }
}
console.log(bad === 0 ? 'every number matches' : `${bad} numbers differ`);
process.exit(bad === 0 ? 0 : 1);
