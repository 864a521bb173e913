// Pull and ingest two years of daily data for 10 channels from each kind of source, through the
// ingestion service (compiled, a child process with its own nats-server): connectSource, then
// the wall time of pullSource, which fetches the rows, pivots and validates them, stores the
// dataset version and announces it. The ad platforms are loopback fakes answering their
// documented shapes (Google Ads one searchStream, Meta an async run read in pages of 500, GA4
// one runReport page); PostgreSQL is a real server started here; DuckDB and Parquet are files.
//   npm run bench:sources [-- --runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client } from 'pg';
import { benchGql, startBenchPlatform } from './bench-platform';
import { repoRoot } from './paths';
import { freePort } from './processes';

const DAYS = 731;
const CHANNELS = Array.from({ length: 10 }, (_, c) => `channel_${c + 1}`);
const START = Date.parse('2023-01-01T00:00:00Z');
const day = (d: number) => new Date(START + d * 86_400_000).toISOString().slice(0, 10);
const END = day(DAYS - 1);

/** Deterministic, varying values for day d and channel c. */
const spend = (d: number, c: number) => 100 + ((d * 7 + c * 13) % 97) + c * 10;
const impressions = (d: number, c: number) => 1000 + ((d * 31 + c * 17) % 500) * 10;
const revenue = (d: number, c: number) => 300 + ((d * 11 + c * 5) % 61) * 4.5;

function serve(handler: (path: string, body: string, url: URL) => unknown): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(handler(url.pathname, body, url)));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Days from the start up to an end date (the fakes answer the range they are asked). */
const daysTo = (end: string) =>
  Math.round((Date.parse(`${end}T00:00:00Z`) - START) / 86_400_000) + 1;

async function main() {
  let metaDays = DAYS;
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3);
  const fakes = await serve((p, body, url) => {
    if (p === '/token') return { access_token: 'bench', expires_in: 3599 };
    if (p.endsWith('googleAds:searchStream')) {
      const end = /AND '([\d-]+)'/.exec(body)?.[1] ?? END;
      const results = [];
      for (let d = 0; d < daysTo(end); d += 1) {
        for (let c = 0; c < CHANNELS.length; c += 1) {
          results.push({
            campaign: { advertisingChannelType: CHANNELS[c] },
            metrics: {
              costMicros: String(spend(d, c) * 1_000_000),
              impressions: String(impressions(d, c)),
              clicks: String(20 + ((d + c) % 9)),
              conversions: 2 + ((d + c) % 5),
              conversionsValue: revenue(d, c),
            },
            segments: { date: day(d) },
          });
        }
      }
      // searchStream answers in batches of up to 10,000 rows.
      const batches = [];
      for (let i = 0; i < results.length; i += 10_000) {
        batches.push({ results: results.slice(i, i + 10_000), fieldMask: 'segments.date' });
      }
      return batches;
    }
    if (p.endsWith('/insights') && p.includes('act_')) {
      const range = JSON.parse(new URLSearchParams(body).get('time_range') ?? '{}') as {
        until?: string;
      };
      metaDays = daysTo(range.until ?? END);
      return { report_run_id: '1' };
    }
    if (p === '/meta/1')
      return { id: '1', async_status: 'Job Completed', async_percent_completion: 100 };
    if (p === '/meta/1/insights') {
      const after = Number(url.searchParams.get('after') ?? 0);
      const data = [];
      for (let i = after; i < Math.min(after + 500, metaDays * CHANNELS.length); i += 1) {
        const [d, c] = [Math.floor(i / CHANNELS.length), i % CHANNELS.length];
        data.push({
          campaign_name: CHANNELS[c],
          spend: spend(d, c).toFixed(2),
          impressions: String(impressions(d, c)),
          clicks: '12',
          actions: [{ action_type: 'purchase', value: '3' }],
          action_values: [{ action_type: 'purchase', value: revenue(d, c).toFixed(2) }],
          date_start: day(d),
          date_stop: day(d),
        });
      }
      const next = after + 500 < metaDays * CHANNELS.length;
      const base = `http://127.0.0.1:${(fakes.address() as AddressInfo).port}`;
      return { data, paging: next ? { next: `${base}/meta/1/insights?after=${after + 500}` } : {} };
    }
    if (p.endsWith(':runReport')) {
      const asked = JSON.parse(body) as { dateRanges: Array<{ endDate: string }> };
      const rows = [];
      for (let d = 0; d < daysTo(asked.dateRanges[0].endDate); d += 1) {
        for (let c = 0; c < CHANNELS.length; c += 1) {
          rows.push({
            dimensionValues: [{ value: day(d).replace(/-/g, '') }, { value: CHANNELS[c] }],
            metricValues: [
              { value: String(impressions(d, c)) },
              { value: String(2 + ((d + c) % 5)) },
              { value: String(revenue(d, c)) },
            ],
          });
        }
      }
      const { offset, limit } = JSON.parse(body) as { offset: string; limit: string };
      return {
        rows: rows.slice(Number(offset), Number(offset) + Number(limit)),
        rowCount: rows.length,
      };
    }
    return {};
  });
  const fakeUrl = `http://127.0.0.1:${(fakes.address() as AddressInfo).port}`;

  // DuckDB and Parquet files, and a PostgreSQL server of our own with the same mart.
  const dir = mkdtempSync(path.join(tmpdir(), 'mmm-bench-src-'));
  chmodSync(dir, 0o755);
  const duck = await DuckDBInstance.create(path.join(dir, 'mart.duckdb'));
  const connection = await duck.connect();
  await connection.run(
    `CREATE TABLE mart AS SELECT DATE '2023-01-01' + d::INTEGER AS date, 'channel_' || (c + 1) AS channel,
       (100 + (d * 7 + c * 13) % 97 + c * 10)::DOUBLE AS spend,
       (1000 + ((d * 31 + c * 17) % 500) * 10)::BIGINT AS impressions,
       (300 + ((d * 11 + c * 5) % 61) * 4.5)::DOUBLE AS revenue
     FROM range(${DAYS}) t(d), range(10) u(c)`,
  );
  await connection.run(`COPY mart TO '${path.join(dir, 'mart.parquet')}' (FORMAT parquet)`);
  connection.closeSync();
  duck.closeSync();

  const bin = execFileSync('bash', [path.join(repoRoot, 'scripts', 'ensure-postgresql.sh')], {
    encoding: 'utf8',
  }).trim();
  const root = process.getuid?.() === 0;
  const pgUser = root ? 'postgres' : userInfo().username;
  if (root) execFileSync('chown', ['postgres:postgres', dir]);
  const pg = (program: string, args: string[]) => {
    const r = root
      ? spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args], {
          encoding: 'utf8',
        })
      : spawnSync(path.join(bin, program), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${program}: ${r.stderr}`);
  };
  const pgPort = await freePort();
  pg('initdb', ['-D', path.join(dir, 'pg'), '-U', pgUser, '--auth=trust', '--no-sync']);
  pg('pg_ctl', [
    '-D',
    path.join(dir, 'pg'),
    '-l',
    path.join(dir, 'pg.log'),
    '-o',
    `-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1`,
    '-w',
    'start',
  ]);
  const pgUrl = `postgres://${pgUser}@127.0.0.1:${pgPort}/postgres`;
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(
    `CREATE TABLE mart AS SELECT DATE '2023-01-01' + d AS date, 'channel_' || (c + 1) AS channel,
       (100 + (d * 7 + c * 13) % 97 + c * 10)::numeric(12,2) AS spend,
       (1000 + ((d * 31 + c * 17) % 500) * 10)::bigint AS impressions,
       (300 + ((d * 11 + c * 5) % 61) * 4.5)::numeric AS revenue
     FROM generate_series(0, ${DAYS - 1}) d, generate_series(0, 9) c`,
  );
  await client.end();

  const platform = await startBenchPlatform();
  const results: Array<{ source: string; rows: number; ms: number[]; outcome: string }> = [];
  try {
    const ingestion = await platform.start('ingestion', 'ingestion', {
      GOOGLE_ADS_API_URL: `${fakeUrl}/v26`,
      GOOGLE_OAUTH_TOKEN_URL: `${fakeUrl}/token`,
      GOOGLE_OAUTH_CLIENT_ID: 'bench',
      GOOGLE_OAUTH_CLIENT_SECRET: 'bench',
      GOOGLE_OAUTH_REFRESH_TOKEN: 'bench',
      GOOGLE_ADS_DEVELOPER_TOKEN: 'bench',
      META_GRAPH_API_URL: `${fakeUrl}/meta`,
      META_ACCESS_TOKEN: 'bench',
      META_POLL_INTERVAL_MS: '10',
      GA4_DATA_API_URL: fakeUrl,
      POSTGRES_SOURCE_URL: pgUrl,
      DUCKDB_SOURCE_ROOT: dir,
      DUCKDB_MEMORY_LIMIT: '256MB',
      DUCKDB_THREADS: '1',
    });
    const query =
      'SELECT date, channel, spend, impressions, revenue FROM mart WHERE date BETWEEN $1 AND $2';
    const sources: Array<[string, Record<string, unknown>]> = [
      ['Google Ads (searchStream)', { kind: 'GOOGLE_ADS', account: '1234567890' }],
      [
        'Meta (async insights, 15 pages)',
        { kind: 'META_ADS', account: 'act_1', conversionAction: 'purchase' },
      ],
      ['GA4 (runReport)', { kind: 'GA4', account: '999' }],
      ['PostgreSQL', { kind: 'POSTGRES', query }],
      ['DuckDB file', { kind: 'DUCKDB', file: 'mart.duckdb', query }],
      [
        'Parquet file',
        { kind: 'DUCKDB', file: 'mart.parquet', query: query.replace('FROM mart', 'FROM source') },
      ],
    ];
    for (const [label, spec] of sources) {
      const connected = await benchGql(
        ingestion.url,
        'mutation ($input: ConnectSourceInput!) { connectSource(input: $input) { id } }',
        { input: { name: label, kpiType: 'REVENUE', ...spec } },
        await platform.callerHeaders('subgraph'),
      );
      const ms: number[] = [];
      let outcome = '';
      let rows = 0;
      let firstRows = 0;
      for (let run = 0; run < runs; run += 1) {
        // A different last day each run, so each run stores a new version (no shortcut by id).
        const started = performance.now();
        const pulled = await benchGql(
          ingestion.url,
          `mutation ($id: ID!, $range: DateRangeInput) { pullSource(sourceId: $id, dateRange: $range) {
            ok dataset { id periodCount } failure { failureCode message rows } source { lastPull { rows } } } }`,
          { id: connected.connectSource.id, range: { start: day(0), end: day(DAYS - 1 - run) } },
          await platform.callerHeaders('subgraph'),
        );
        ms.push(performance.now() - started);
        const result = pulled.pullSource;
        rows = result.source.lastPull.rows;
        if (run === 0) firstRows = rows;
        outcome = result.ok
          ? `stored, ${result.dataset.periodCount} periods`
          : `${result.failure.failureCode}: ${String(result.failure.message).slice(0, 60)}`;
      }
      results.push({ source: label, rows: firstRows, ms, outcome });
      console.log(
        `${label}: ${rows} rows, ${ms.map((m) => m.toFixed(0)).join(' / ')} ms (${outcome})`,
      );
    }
  } finally {
    await platform.stopAll();
    fakes.close();
    pg('pg_ctl', ['-D', path.join(dir, 'pg'), '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\n| source | rows (first run) | pull + ingest, ms (each run) | median ms | outcome |`,
  );
  console.log(`| --- | --- | --- | --- | --- |`);
  for (const r of results) {
    const sorted = [...r.ms].sort((a, b) => a - b);
    console.log(
      `| ${r.source} | ${r.rows} | ${r.ms.map((m) => m.toFixed(0)).join(', ')} | ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} | ${r.outcome} |`,
    );
  }
  console.log(`\n${DAYS} days (${day(0)} to ${END}) x ${CHANNELS.length} channels.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
