import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startFake } from './fake-http';
import { eventually, settle, startRig, type Rig } from './harness';

jest.setTimeout(60_000);

/** What the fake Google Ads answers for the next searchStream: rows made per day, or an edit. */
let shape: 'good' | 'negative' | 'empty' | 'unknown-channel' = 'good';
const TYPES = ['SEARCH', 'VIDEO', 'DISPLAY'];

function daysBetween(start: string, end: string): string[] {
  const out: string[] = [];
  for (
    let t = Date.parse(`${start}T00:00:00Z`);
    t <= Date.parse(`${end}T00:00:00Z`);
    t += 86_400_000
  ) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function searchStream(query: string) {
  const [, start, end] = /BETWEEN '([\d-]+)' AND '([\d-]+)'/.exec(query) ?? [];
  if (shape === 'empty') return [];
  const results = daysBetween(start, end).flatMap((date, d) =>
    [...TYPES, ...(shape === 'unknown-channel' && d === 3 ? ['SHOPPING'] : [])].map((type, c) => ({
      campaign: { advertisingChannelType: type },
      metrics: {
        costMicros: String(
          (shape === 'negative' && d === 5 && c === 1 ? -1 : 1) *
            (100 + ((d * 7 + c * 3) % 23) * 10) *
            1_000_000,
        ),
        impressions: String(1000 + ((d * 13 + c) % 37) * 50),
        clicks: String(20 + ((d + c) % 9)),
        conversions: 2 + ((d * 3 + c) % 5),
        conversionsValue: 200 + ((d * 11 + c * 5) % 41) * 7.5,
      },
      segments: { date },
    })),
  );
  return [{ results, fieldMask: 'segments.date', requestId: 'fake' }];
}

let rig: Rig;
let fake: Awaited<ReturnType<typeof startFake>>;
let root: string;
beforeAll(async () => {
  fake = await startFake((seen) => {
    if (seen.path === '/token') return { json: { access_token: 'access-1', expires_in: 3599 } };
    return { json: searchStream((JSON.parse(seen.body) as { query: string }).query) };
  });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-src-'));
  const instance = await DuckDBInstance.create(path.join(root, 'mart.duckdb'));
  const connection = await instance.connect();
  await connection.run(
    "CREATE TABLE mart AS SELECT DATE '2024-01-01' + d::INTEGER AS date, c AS channel, " +
      '(100 + (d * 7 + length(c)) % 31)::DOUBLE AS spend, (500 + d % 17)::DOUBLE AS revenue ' +
      "FROM range(60) t(d), (VALUES ('tv'), ('radio')) v(c)",
  );
  connection.closeSync();
  instance.closeSync();
  rig = await startRig({
    GOOGLE_ADS_API_URL: `${fake.url}/v26`,
    GOOGLE_OAUTH_TOKEN_URL: `${fake.url}/token`,
    GOOGLE_OAUTH_CLIENT_ID: 'client',
    GOOGLE_OAUTH_CLIENT_SECRET: 'client-secret',
    GOOGLE_OAUTH_REFRESH_TOKEN: 'refresh-secret',
    GOOGLE_ADS_DEVELOPER_TOKEN: 'dev-token',
    DUCKDB_SOURCE_ROOT: root,
    DUCKDB_MEMORY_LIMIT: '256MB',
  });
});
afterAll(async () => {
  await rig?.stop();
  await fake?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const CONNECT = `mutation ($input: ConnectSourceInput!) {
  connectSource(input: $input) { id name kind account kpi kpiType lookbackDays dataset { id } lastPull { status } }
}`;
const PULL = `mutation ($id: ID!, $range: DateRangeInput) {
  pullSource(sourceId: $id, dateRange: $range) {
    ok
    dataset { id periodCount startDate endDate channels { name exposureColumn } }
    failure { status failureCode message issues { field row column message } datasetId }
    source { dataset { id } lastPull { status rows datasetId failureCode } }
  }
}`;

interface PullData {
  pullSource: {
    ok: boolean;
    dataset: {
      id: string;
      periodCount: number;
      startDate: string;
      endDate: string;
      channels: unknown[];
    } | null;
    failure: {
      failureCode: string;
      message: string;
      issues: Array<Record<string, unknown>>;
    } | null;
    source: {
      dataset: { id: string } | null;
      lastPull: { status: string; rows: number; datasetId: string | null };
    };
  };
}

async function connectGoogleAds(ws: string): Promise<string> {
  const connected = await rig.gql<{ connectSource: { id: string } }>(
    CONNECT,
    {
      input: {
        name: 'google ads',
        kind: 'GOOGLE_ADS',
        account: '123-456-7890',
        kpiType: 'REVENUE',
        long: {
          channelMap: [
            { from: 'SEARCH', to: 'search' },
            { from: 'VIDEO', to: 'video' },
            { from: 'DISPLAY', to: 'display' },
          ],
        },
      },
    },
    ws,
  );
  expect(connected.errors).toBeUndefined();
  return connected.data!.connectSource.id;
}

describe('sources through the subgraph', () => {
  it('pulls a new dataset version, announces it, and keeps it when a later pull fails', async () => {
    const ws = rig.workspace();
    shape = 'good';
    const id = await connectGoogleAds(ws);

    const first = await rig.gql<PullData>(
      PULL,
      { id, range: { start: '2024-01-01', end: '2024-03-31' } },
      ws,
    );
    expect(first.errors).toBeUndefined();
    const pulled = first.data!.pullSource;
    expect(pulled.ok).toBe(true);
    expect(pulled.dataset).toMatchObject({
      periodCount: 91,
      startDate: '2024-01-01',
      endDate: '2024-03-31',
      channels: [
        { name: 'display', exposureColumn: 'display impressions' },
        { name: 'search', exposureColumn: 'search impressions' },
        { name: 'video', exposureColumn: 'video impressions' },
      ],
    });
    expect(pulled.source.dataset!.id).toBe(pulled.dataset!.id);
    await eventually(() => rig.eventsOf(ws).length >= 1);
    expect(rig.eventsOf(ws).map((e) => e.message.datasetId)).toEqual([pulled.dataset!.id]);

    // The next day's pull: same roles, more periods, a new version and a new event.
    const second = await rig.gql<PullData>(
      PULL,
      { id, range: { start: '2024-01-01', end: '2024-04-01' } },
      ws,
    );
    const version2 = second.data!.pullSource.dataset!;
    expect(version2.periodCount).toBe(92);
    expect(version2.id).not.toBe(pulled.dataset!.id);
    await eventually(() => rig.eventsOf(ws).length >= 2);
    expect(rig.eventsOf(ws).map((e) => e.message.datasetId)[1]).toBe(version2.id);
    const before = await rig.stored(ws);

    shape = 'negative';
    const bad = await rig.gql<PullData>(
      PULL,
      { id, range: { start: '2024-01-01', end: '2024-04-02' } },
      ws,
    );
    expect(bad.errors).toBeUndefined();
    expect(bad.data!.pullSource).toMatchObject({
      ok: false,
      dataset: null,
      failure: {
        failureCode: 'SOURCE_INVALID_DATA',
        issues: [
          {
            field: 'long.columns.spend',
            row: 18,
            column: 'spend',
            message: expect.stringContaining('spend is negative'),
          },
        ],
      },
      source: { dataset: { id: version2.id }, lastPull: { status: 'FAILED', datasetId: null } },
    });

    shape = 'unknown-channel';
    const unknown = await rig.gql<PullData>(
      PULL,
      { id, range: { start: '2024-01-01', end: '2024-04-02' } },
      ws,
    );
    expect(unknown.data!.pullSource.failure).toMatchObject({
      failureCode: 'SOURCE_INVALID_DATA',
      issues: [
        {
          field: 'long.channelMap',
          message: expect.stringContaining('"SHOPPING" is not in long.channelMap'),
        },
      ],
    });

    shape = 'empty';
    const empty = await rig.gql<PullData>(
      PULL,
      { id, range: { start: '2024-05-01', end: '2024-05-02' } },
      ws,
    );
    expect(empty.data!.pullSource.failure).toMatchObject({
      failureCode: 'SOURCE_EMPTY',
      message: 'google ads returned no rows from 2024-05-01 to 2024-05-02.',
      issues: [{ field: 'dateRange' }],
    });

    await settle();
    expect(rig.eventsOf(ws)).toHaveLength(2);
    const after = await rig.stored(ws);
    expect(after.objects.sort()).toEqual(before.objects.sort());
    expect(after.keys.filter((k) => k.includes('.dataset.')).sort()).toEqual(
      before.keys.filter((k) => k.includes('.dataset.')).sort(),
    );
    shape = 'good';
  });

  it('lists the workspace sources and pulls a DuckDB mart', async () => {
    const ws = rig.workspace();
    const connected = await rig.gql<{ connectSource: { id: string } }>(
      CONNECT,
      {
        input: {
          name: 'warehouse mart',
          kind: 'DUCKDB',
          file: 'mart.duckdb',
          query: 'SELECT date, channel, spend, revenue FROM mart WHERE date BETWEEN $1 AND $2',
          kpiType: 'REVENUE',
          long: { exposure: 'NONE' },
        },
      },
      ws,
    );
    expect(connected.errors).toBeUndefined();
    const id = connected.data!.connectSource.id;
    const pulled = await rig.gql<PullData>(
      PULL,
      { id, range: { start: '2024-01-01', end: '2024-02-29' } },
      ws,
    );
    expect(pulled.data!.pullSource).toMatchObject({
      ok: true,
      dataset: {
        periodCount: 60,
        channels: [
          { name: 'radio', exposureColumn: null },
          { name: 'tv', exposureColumn: null },
        ],
      },
    });
    const listed = await rig.gql<{
      sources: Array<{ id: string; lastPull: { status: string; rows: number } }>;
    }>('{ sources { id lastPull { status rows } } }', {}, ws);
    expect(listed.data!.sources).toEqual([{ id, lastPull: { status: 'SUCCEEDED', rows: 120 } }]);
    expect(
      (await rig.gql<{ sources: unknown[] }>('{ sources { id } }', {}, rig.workspace())).data!
        .sources,
    ).toEqual([]);
  });

  it('refuses a source without what its kind needs, naming the field', async () => {
    const result = await rig.gql(
      CONNECT,
      { input: { name: 'x', kind: 'POSTGRES', kpiType: 'REVENUE' } },
      rig.workspace(),
    );
    expect(result.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      issues: [
        { field: 'input.query', message: expect.stringContaining('POSTGRES sources need query') },
      ],
    });
  });

  it('says a missing credential by its variable, and never shows secrets', async () => {
    const ws = rig.workspace();
    const connected = await rig.gql<{ connectSource: { id: string } }>(
      CONNECT,
      {
        input: {
          name: 'pg',
          kind: 'POSTGRES',
          query: 'SELECT 1 WHERE $1 < $2',
          kpiType: 'REVENUE',
        },
      },
      ws,
    );
    const pulled = await rig.gql<PullData>(PULL, { id: connected.data!.connectSource.id }, ws);
    expect(pulled.data!.pullSource.failure).toMatchObject({
      failureCode: 'SOURCE_NOT_CONFIGURED',
      message:
        "POSTGRES sources need POSTGRES_SOURCE_URL in the ingestion service's configuration.",
    });
    expect(JSON.stringify(pulled)).not.toMatch(/refresh-secret|client-secret|dev-token/);
  });

  it('ingests a LONG_CSV mart with renamed columns, grouping and a KPI series over HTTP', async () => {
    const ws = rig.workspace();
    const days = daysBetween('2024-01-01', '2024-02-19');
    const mart = [
      'date_day,platform,spend,clicks',
      ...days.flatMap((date, d) =>
        ['google_ads', 'facebook_ads', 'tiktok_ads'].map(
          (p, c) => `${date},${p},${100 + ((d * 7 + c * 5) % 19)},${30 + ((d + c) % 11)}`,
        ),
      ),
    ].join('\n');
    const series = [
      'date,sales,price',
      ...days.map((date, d) => `${date},${5000 + ((d * 37) % 101)},${9 + (d % 3)}`),
    ].join('\n');
    const result = await rig.gql<{
      ingestDataset: {
        id: string;
        format: string;
        periodCount: number;
        channels: unknown[];
        controlColumns: string[];
      };
    }>(
      `mutation ($input: IngestDatasetInput!) {
        ingestDataset(input: $input) { id format periodCount channels { name spendColumn exposureColumn } controlColumns }
      }`,
      {
        input: {
          content: mart,
          format: 'LONG_CSV',
          frequency: 'DAILY',
          roles: {
            date: 'date',
            kpi: 'sales',
            kpiType: 'REVENUE',
            paidMedia: [],
            controls: ['price'],
          },
          long: {
            columns: { date: 'date_day', channel: 'platform' },
            channelMap: [
              { from: 'google_ads', to: 'search' },
              { from: 'facebook_ads', to: 'social' },
              { from: 'tiktok_ads', to: 'social' },
            ],
            exposure: 'CLICKS',
            series,
          },
        },
      },
      ws,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.ingestDataset).toMatchObject({
      format: 'LONG_CSV',
      periodCount: 50,
      controlColumns: ['price'],
      channels: [
        { name: 'search', spendColumn: 'search', exposureColumn: 'search clicks' },
        { name: 'social', spendColumn: 'social', exposureColumn: 'social clicks' },
      ],
    });
    await eventually(() => rig.eventsOf(ws).length >= 1);
    expect(rig.eventsOf(ws)[0].message.datasetId).toBe(result.data!.ingestDataset.id);
  });

  it('answers NOT_FOUND for an unknown source', async () => {
    const result = await rig.gql(PULL, { id: 'src_0000000000000000' }, rig.workspace());
    expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
