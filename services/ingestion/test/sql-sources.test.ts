import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client } from 'pg';
import { duckDbConnector, postgresConnector, type SourceError } from '../src/domain/sources';
import { spawnSync } from 'node:child_process';
import { postgresBinDir, startPostgres, type PostgresServer } from './postgres';

jest.setTimeout(120_000);

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    return error as SourceError;
  }
  throw new Error('expected the pull to fail');
}

const MART_QUERY =
  'SELECT date_day AS date, platform AS channel, spend, impressions, clicks, conversions, ' +
  'conversions_value AS revenue FROM ad_reporting WHERE date_day BETWEEN $1 AND $2 ' +
  'ORDER BY date_day, platform';

describe('PostgreSQL source (a real server)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
    const client = new Client({ connectionString: server.url });
    await client.connect();
    await client.query(
      'CREATE TABLE ad_reporting (date_day date, platform text, spend numeric(12,2), ' +
        'impressions bigint, clicks integer, conversions double precision, conversions_value numeric)',
    );
    await client.query(
      "INSERT INTO ad_reporting SELECT DATE '2024-01-01' + d, p, 100 + d + length(p), 1000 * d, 10, 1.5, 20.25 " +
        "FROM generate_series(0, 9) d, unnest(ARRAY['google_ads', 'facebook_ads']) p",
    );
    await client.end();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns long rows for the range, dates as days and numerics as numbers', async () => {
    const rows = await postgresConnector({
      connectionString: server.url,
      query: MART_QUERY,
      statementTimeoutMs: 10_000,
    }).pull({ start: '2024-01-03', end: '2024-01-04' });
    expect(rows).toEqual([
      {
        date: '2024-01-03',
        channel: 'facebook_ads',
        spend: 114,
        impressions: 2000,
        clicks: 10,
        conversions: 1.5,
        revenue: 20.25,
      },
      {
        date: '2024-01-03',
        channel: 'google_ads',
        spend: 112,
        impressions: 2000,
        clicks: 10,
        conversions: 1.5,
        revenue: 20.25,
      },
      {
        date: '2024-01-04',
        channel: 'facebook_ads',
        spend: 115,
        impressions: 3000,
        clicks: 10,
        conversions: 1.5,
        revenue: 20.25,
      },
      {
        date: '2024-01-04',
        channel: 'google_ads',
        spend: 113,
        impressions: 3000,
        clicks: 10,
        conversions: 1.5,
        revenue: 20.25,
      },
    ]);
  });

  it('binds the range as parameters: text that looks like SQL stays a value', async () => {
    const error = await failure(
      postgresConnector({
        connectionString: server.url,
        query: MART_QUERY,
        statementTimeoutMs: 10_000,
      }).pull({
        start: "2024-01-01'; DROP TABLE ad_reporting; --",
        end: '2024-01-02',
      }),
    );
    expect(error.code).toBe('SOURCE_REJECTED');
    const client = new Client({ connectionString: server.url });
    await client.connect();
    const count = await client.query('SELECT count(*)::int AS n FROM ad_reporting');
    await client.end();
    expect(count.rows[0].n).toBe(20);
  });

  it('runs read-only: a query that writes is refused and writes nothing', async () => {
    const error = await failure(
      postgresConnector({
        connectionString: server.url,
        query:
          'INSERT INTO ad_reporting VALUES ($1::date, $2, 1, 1, 1, 1, 1) RETURNING date_day AS date',
        statementTimeoutMs: 10_000,
      }).pull({ start: '2024-02-01', end: '2024-02-01' }),
    );
    expect(error.code).toBe('SOURCE_REJECTED');
    expect(error.message).toContain('read-only transaction');
    expect(error.issues).toEqual([expect.objectContaining({ field: 'query' })]);
  });

  it('says the server cannot be reached', async () => {
    const error = await failure(
      postgresConnector({
        connectionString: `postgres://nobody@127.0.0.1:${server.port + 1}/none`,
        query: MART_QUERY,
        statementTimeoutMs: 1_000,
      }).pull({ start: '2024-01-01', end: '2024-01-02' }),
    );
    expect(error.code).toBe('SOURCE_UNREACHABLE');
  });
});

describe('DuckDB and Parquet sources (the real engine)', () => {
  let root: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-duck-'));
    const instance = await DuckDBInstance.create(path.join(root, 'mart.duckdb'));
    const connection = await instance.connect();
    await connection.run(
      "CREATE TABLE ad_reporting AS SELECT DATE '2024-01-01' + d::INTEGER AS date_day, p AS platform, " +
        '(50 + d)::DECIMAL(10,2) AS spend, (100 * d)::BIGINT AS impressions, 5 AS clicks, 2.0 AS conversions, ' +
        "10.5 AS conversions_value FROM range(10) t(d), (VALUES ('tiktok_ads'), ('snapchat_ads')) v(p)",
    );
    await connection.run(
      `COPY ad_reporting TO '${path.join(root, 'mart.parquet')}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const settings = (file: string, query = MART_QUERY) => ({
    root,
    file,
    query,
    memoryLimit: '256MB',
    threads: 1,
  });

  it('reads a DuckDB database file read-only with the range bound as parameters', async () => {
    const rows = await duckDbConnector(settings('mart.duckdb')).pull({
      start: '2024-01-10',
      end: '2024-01-10',
    });
    expect(rows).toEqual([
      {
        date: '2024-01-10',
        channel: 'snapchat_ads',
        spend: 59,
        impressions: 900,
        clicks: 5,
        conversions: 2,
        revenue: 10.5,
      },
      {
        date: '2024-01-10',
        channel: 'tiktok_ads',
        spend: 59,
        impressions: 900,
        clicks: 5,
        conversions: 2,
        revenue: 10.5,
      },
    ]);
  });

  it('reads a Parquet file through the view source', async () => {
    const query = MART_QUERY.replace('FROM ad_reporting', 'FROM source');
    const rows = await duckDbConnector(settings('mart.parquet', query)).pull({
      start: '2024-01-01',
      end: '2024-01-05',
    });
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({
      date: '2024-01-01',
      channel: 'snapchat_ads',
      spend: 50,
      impressions: 0,
      clicks: 5,
      conversions: 2,
      revenue: 10.5,
    });
  });

  it('refuses writes, other files and paths outside its folder', async () => {
    const write = await failure(
      duckDbConnector(
        settings('mart.duckdb', 'DELETE FROM ad_reporting WHERE date_day > $1 AND date_day < $2'),
      ).pull({
        start: '2024-01-01',
        end: '2024-01-09',
      }),
    );
    expect(write.code).toBe('SOURCE_REJECTED');
    expect(write.message).toMatch(/read-only/i);
    const other = await failure(
      duckDbConnector(
        settings('mart.duckdb', `SELECT * FROM read_csv('/etc/passwd') WHERE $1 < $2`),
      ).pull({ start: '2024-01-01', end: '2024-01-09' }),
    );
    expect(other.code).toBe('SOURCE_REJECTED');
    const outside = await failure(
      duckDbConnector(settings('../elsewhere.duckdb')).pull({
        start: '2024-01-01',
        end: '2024-01-02',
      }),
    );
    expect(outside.code).toBe('SOURCE_REJECTED');
    expect(outside.issues).toEqual([
      {
        field: 'file',
        message: '"../elsewhere.duckdb" must be a path inside the DuckDB source folder.',
      },
    ]);
  });
});

describe('scripts/ensure-postgresql.sh', () => {
  const script = path.resolve(__dirname, '..', '..', '..', 'scripts', 'ensure-postgresql.sh');

  it('prints the folder of initdb and pg_ctl it finds, or PG_BIN_DIR', () => {
    const found = postgresBinDir();
    expect(fs.existsSync(path.join(found, 'initdb'))).toBe(true);
    const r = spawnSync('bash', [script], {
      env: { PATH: process.env.PATH ?? '', PG_BIN_DIR: found },
      encoding: 'utf8',
    });
    expect(r).toMatchObject({ status: 0, stdout: `${found}\n`, stderr: '' });
  });

  it('refuses a PG_BIN_DIR without the server programs, in one line', () => {
    const r = spawnSync('bash', [script], {
      env: { PATH: process.env.PATH ?? '', PG_BIN_DIR: os.tmpdir() },
      encoding: 'utf8',
    });
    expect(r).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `PG_BIN_DIR=${os.tmpdir()} has no initdb and pg_ctl: fix or unset it.\n`,
    });
  });
});
