// Reads plannerbench's Parquet output with DuckDB, an independent reader,
// and prints its column types and a few aggregates:
//   node scripts/parquet-check.mjs results/<matrix>/<case>/requests.parquet
// (or 'results/<matrix>/<case>/requests/*.parquet' while a case runs)
// `make parquet-check DIR=...` installs @duckdb/node-api into .tools/ first.
import { DuckDBInstance } from '@duckdb/node-api';

const glob = process.argv[2];
if (!glob) {
  console.error('usage: node scripts/parquet-check.mjs GLOB');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const show = async (title, sql) => {
  const reader = await con.runAndReadAll(sql);
  console.log(`-- ${title}`);
  console.table(reader.getRowObjectsJson());
};
await show('schema', `DESCRIBE SELECT * FROM read_parquet('${glob}')`);
await show('rows by status', `SELECT status, count(*) AS n, count(DISTINCT index) AS distinct_indexes FROM read_parquet('${glob}') GROUP BY status ORDER BY status`);
await show('metrics of completed requests (trace ms)', `SELECT count(*) AS completed, avg(ttft_ms) AS avg_ttft_ms, avg(itl_ms) AS avg_itl_ms,
  avg(latency_ms) AS avg_latency_ms, quantile_cont(ttft_ms, 0.99) AS p99_ttft_ms, sum(completion_tokens) AS output_tokens,
  min(sent_at) AS first_sent, max(end_at) AS last_end FROM read_parquet('${glob}') WHERE status = 'ok'`);
