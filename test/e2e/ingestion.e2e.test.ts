// The spine end to end: a file sent to the gateway is validated, stored in JetStream, announced on
// NATS and readable back through the supergraph. Only HTTP and NATS are used, as a client would.
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { DatasetDeletedSchema, DatasetIngestedSchema, fromBinary } from '@mmm/platform';
import {
  entryPoint,
  graphql,
  logRecords,
  startProcess,
  startStack,
  SERVICES,
  type Stack,
} from '../support/stack';

jest.setTimeout(120_000);

let stack: Stack;
let nc: NatsConnection;
const received: Msg[] = [];

beforeAll(async () => {
  stack = await startStack();
  nc = await connect({ servers: stack.nats.url });
  const sub = nc.subscribe('mmm.v1.dataset.>');
  void (async () => {
    for await (const m of sub) received.push(m);
  })();
});

afterAll(async () => {
  if (nc && !nc.isClosed()) await nc.drain();
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

function weeklyCsv(weeks: number, start = '2023-01-02'): string {
  const lines = ['date,revenue,tv,search,price'];
  const t0 = Date.parse(`${start}T00:00:00Z`);
  for (let i = 0; i < weeks; i++) {
    const date = new Date(t0 + i * 7 * 86_400_000).toISOString().slice(0, 10);
    const tv = 1000 + ((i * 37) % 500);
    const search = 400 + ((i * 53) % 300);
    const price = (9.5 + (i % 4) * 0.25).toFixed(2);
    const revenue = (20_000 + 2.1 * tv + 3.4 * search + ((i * 71) % 900)).toFixed(2);
    lines.push(`${date},${revenue},${tv},${search},${price}`);
  }
  return lines.join('\n') + '\n';
}

const ROLES = {
  date: 'date',
  kpi: 'revenue',
  kpiType: 'REVENUE',
  paidMedia: [{ spend: 'tv' }, { spend: 'search' }],
  controls: ['price'],
};

const INGEST = `mutation Ingest($input: IngestDatasetInput!) {
  ingestDataset(input: $input) { id name periodCount startDate endDate channels { name } }
}`;

const READ = `query Read($id: ID!) {
  dataset(id: $id) {
    id periodCount frequency kpiType
    columns { name role summary { sum min max } }
    table { dates columns { name values } totalPeriods }
  }
}`;

function workspace(): string {
  return `e2e-${randomBytes(4).toString('hex')}`;
}

async function ingest(ws: string, content: string, roles: object = ROLES, extra = {}) {
  return graphql<{ ingestDataset: { id: string; periodCount: number } }>(
    stack.gatewayUrl,
    INGEST,
    { input: { content, roles, frequency: 'WEEKLY', ...extra } },
    { 'x-workspace-id': ws },
  );
}

async function storedKeys(ws: string): Promise<{ kv: string[]; objects: string[] }> {
  const kv = await new Kvm(nc).open('mmm_datasets');
  const keys: string[] = [];
  for await (const k of await kv.keys(`${ws}.>`)) keys.push(k);
  const store = await new Objm(nc).open('mmm_files');
  const objects = (await store.list()).map((o) => o.name).filter((n) => n.startsWith(`${ws}.`));
  return { kv: keys, objects };
}

describe('a dataset through the gateway', () => {
  it('round-trips a good CSV: the stored table equals the file', async () => {
    const ws = workspace();
    const csv = weeklyCsv(60);
    const res = await ingest(ws, csv);
    expect(res.errors).toBeUndefined();
    const id = res.data!.ingestDataset.id;
    expect(res.data!.ingestDataset).toMatchObject({
      periodCount: 60,
      startDate: '2023-01-02',
      channels: [{ name: 'tv' }, { name: 'search' }],
    });

    const read = await graphql<{
      dataset: {
        periodCount: number;
        table: { dates: string[]; columns: Array<{ name: string; values: number[] }> };
        columns: Array<{ name: string; summary: { sum: number } | null }>;
      };
    }>(stack.gatewayUrl, READ, { id }, { 'x-workspace-id': ws });
    expect(read.errors).toBeUndefined();
    const rows = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const table = read.data!.dataset.table;
    expect(table.dates).toEqual(rows.map((r) => r[0]));
    const column = (name: string) => table.columns.find((c) => c.name === name)!.values;
    expect(column('revenue')).toEqual(rows.map((r) => Number(r[1])));
    expect(column('tv')).toEqual(rows.map((r) => Number(r[2])));
    expect(column('price')).toEqual(rows.map((r) => Number(r[4])));
    const tvSum = rows.reduce((s, r) => s + Number(r[2]), 0);
    expect(read.data!.dataset.columns.find((c) => c.name === 'tv')!.summary!.sum).toBeCloseTo(
      tvSum,
      6,
    );

    const list = await graphql<{ datasets: Array<{ id: string }> }>(
      stack.gatewayUrl,
      '{ datasets { id } }',
      {},
      { 'x-workspace-id': ws },
    );
    expect(list.data!.datasets.map((d) => d.id)).toEqual([id]);

    // Workspaces are isolated: another workspace neither lists nor reads it.
    const other = workspace();
    const otherList = await graphql<{ datasets: unknown[] }>(
      stack.gatewayUrl,
      '{ datasets { id } }',
      {},
      { 'x-workspace-id': other },
    );
    expect(otherList.data!.datasets).toEqual([]);
    const otherRead = await graphql<{ dataset: unknown }>(
      stack.gatewayUrl,
      READ,
      { id },
      { 'x-workspace-id': other },
    );
    expect(otherRead.data!.dataset).toBeNull();
  });

  it('announces dataset.ingested on NATS with a protobuf body, a message id and the trace', async () => {
    const ws = workspace();
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const res = await graphql<{ ingestDataset: { id: string } }>(
      stack.gatewayUrl,
      INGEST,
      { input: { content: weeklyCsv(52), roles: ROLES, frequency: 'WEEKLY' } },
      { 'x-workspace-id': ws, traceparent, 'x-request-id': 'req-e2e-1' },
    );
    expect(res.errors).toBeUndefined();
    const id = res.data!.ingestDataset.id;
    const msg = await eventually(() =>
      received.find(
        (m) =>
          m.subject === 'mmm.v1.dataset.ingested' &&
          fromBinary(DatasetIngestedSchema, m.data).datasetId === id,
      ),
    );
    const event = fromBinary(DatasetIngestedSchema, msg.data);
    expect(event).toMatchObject({
      workspaceId: ws,
      datasetId: id,
      periodCount: 52,
      kpiColumn: 'revenue',
      mediaChannels: ['tv', 'search'],
      requestId: 'req-e2e-1',
    });
    expect(msg.headers?.get('Nats-Msg-Id')).toBeTruthy();
    // One trace from the client's request through gateway and subgraph to the event.
    expect(msg.headers?.get('traceparent')).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`),
    );
  });

  it('gives one dataset and one event when the same file is sent twice', async () => {
    const ws = workspace();
    const csv = weeklyCsv(40, '2022-03-07');
    const first = await ingest(ws, csv);
    const second = await ingest(ws, csv);
    expect(first.errors).toBeUndefined();
    expect(second.data!.ingestDataset.id).toBe(first.data!.ingestDataset.id);
    await sleep(500);
    const events = received.filter(
      (m) =>
        m.subject === 'mmm.v1.dataset.ingested' &&
        fromBinary(DatasetIngestedSchema, m.data).workspaceId === ws,
    );
    expect(events).toHaveLength(1);
    const stored = await storedKeys(ws);
    expect(stored.kv).toHaveLength(1);
  });

  it('deletes a dataset: it disappears, dataset.deleted is published, re-ingesting restores it', async () => {
    const ws = workspace();
    const csv = weeklyCsv(30, '2021-01-04');
    const id = (await ingest(ws, csv)).data!.ingestDataset.id;
    const del = await graphql<{ deleteDataset: boolean }>(
      stack.gatewayUrl,
      'mutation Del($id: ID!) { deleteDataset(id: $id) }',
      { id },
      { 'x-workspace-id': ws },
    );
    expect(del.data!.deleteDataset).toBe(true);
    const read = await graphql<{ dataset: unknown }>(
      stack.gatewayUrl,
      READ,
      { id },
      { 'x-workspace-id': ws },
    );
    expect(read.data!.dataset).toBeNull();
    await eventually(() =>
      received.find(
        (m) =>
          m.subject === 'mmm.v1.dataset.deleted' &&
          fromBinary(DatasetDeletedSchema, m.data).datasetId === id,
      ),
    );
    expect((await storedKeys(ws)).objects).toEqual([]);
    const again = await ingest(ws, csv);
    expect(again.data!.ingestDataset.id).toBe(id);
  });
});

describe('bad files are refused with their row and column, and nothing is stored', () => {
  type Issue = { row?: number | null; column?: string | null; message: string };
  const base = weeklyCsv(60).trim().split('\n');
  const withRow = (row: number, line: string) => {
    const lines = [...base];
    lines[row] = line; // row 1 is the first data row, after the header at index 0
    return lines.join('\n') + '\n';
  };
  const cells = (row: number) => base[row].split(',');
  const replaceCell = (row: number, col: number, value: string) => {
    const c = cells(row);
    c[col] = value;
    return withRow(row, c.join(','));
  };

  const cases: Array<{
    name: string;
    csv: () => string;
    row?: number;
    column: string;
    text: RegExp;
  }> = [
    {
      name: 'an unparseable date',
      csv: () => replaceCell(5, 0, '2023-13-45'),
      row: 5,
      column: 'date',
      text: /date/i,
    },
    {
      name: 'a duplicate date',
      csv: () => replaceCell(8, 0, cells(7)[0]),
      row: 8,
      column: 'date',
      text: /repeated|duplicate/i,
    },
    {
      name: 'a gap in the series',
      csv: () => base.filter((_, i) => i !== 10).join('\n') + '\n',
      column: 'date',
      text: /gap|missing/i,
    },
    {
      name: 'non-numeric spend',
      csv: () => replaceCell(12, 2, 'lots'),
      row: 12,
      column: 'tv',
      text: /number|numeric/i,
    },
    {
      name: 'negative spend',
      csv: () => replaceCell(14, 3, '-5'),
      row: 14,
      column: 'search',
      text: /negative/i,
    },
    {
      name: 'a missing KPI',
      csv: () => replaceCell(20, 1, ''),
      row: 20,
      column: 'revenue',
      text: /missing|empty/i,
    },
    {
      name: 'a constant column',
      csv: () => base.map((l, i) => (i === 0 ? l : l.replace(/,[^,]*$/, ',10'))).join('\n') + '\n',
      column: 'price',
      text: /constant/i,
    },
  ];

  it.each(cases)('refuses $name', async ({ csv, row, column, text }) => {
    const ws = workspace();
    const res = await ingest(ws, csv());
    expect(res.data?.ingestDataset ?? null).toBeNull();
    const error = res.errors![0];
    expect(error.extensions!.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(error)).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    const issues = error.extensions!.issues as Issue[];
    const issue = issues.find((i) => i.column === column && text.test(i.message));
    expect(issue).toBeDefined();
    if (row !== undefined) expect(issue!.row).toBe(row);
    expect(await storedKeys(ws)).toEqual({ kv: [], objects: [] });
  });

  it('refuses too few periods for the number of variables', async () => {
    const ws = workspace();
    const res = await ingest(ws, weeklyCsv(6));
    expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res.errors![0].extensions!.issues)).toMatch(/period/i);
    expect(await storedKeys(ws)).toEqual({ kv: [], objects: [] });
  });

  it('keeps what was stored before when a later file fails', async () => {
    const ws = workspace();
    const good = await ingest(ws, weeklyCsv(60));
    expect(good.errors).toBeUndefined();
    const before = await storedKeys(ws);
    const bad = await ingest(ws, replaceCell(3, 2, '-1'));
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(await storedKeys(ws)).toEqual(before);
  });
});

describe('synthetic data with ground truth', () => {
  it('generates, ingests and returns the true ROAS per channel', async () => {
    const ws = workspace();
    const res = await graphql<{
      generateSyntheticDataset: {
        dataset: { id: string; periodCount: number; channels: Array<{ name: string }> };
        truth: { channels: Array<{ channel: string; roas: number; spend: number }> };
      };
    }>(
      stack.gatewayUrl,
      `
        mutation {
          generateSyntheticDataset(input: { weeks: 104, channels: 4, seed: 7 }) {
            dataset {
              id
              periodCount
              channels {
                name
              }
            }
            truth {
              channels {
                channel
                roas
                spend
              }
            }
          }
        }
      `,
      {},
      { 'x-workspace-id': ws },
    );
    expect(res.errors).toBeUndefined();
    const result = res.data!.generateSyntheticDataset;
    expect(result.dataset.periodCount).toBe(104);
    expect(result.dataset.channels).toHaveLength(4);
    expect(result.truth.channels.map((c) => c.channel)).toEqual(
      result.dataset.channels.map((c) => c.name),
    );
    for (const c of result.truth.channels) {
      expect(c.roas).toBeGreaterThan(0);
      expect(c.spend).toBeGreaterThan(0);
    }
  });
});

describe('operations', () => {
  it('answers /readyz, /healthz and /metrics on every service and the gateway', async () => {
    const all = [...SERVICES.map((s) => stack.services[s]), stack.gateway];
    for (const p of all) {
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(new URL(path, p.url));
        expect({ name: p.name, path, status: res.status }).toEqual({
          name: p.name,
          path,
          status: 200,
        });
      }
      const metrics = await (await fetch(new URL('/metrics', p.url))).text();
      expect(metrics).toMatch(/^# HELP process_cpu_user_seconds_total/m);
    }
    const ingestion = await (await fetch(new URL('/metrics', stack.services.ingestion.url))).text();
    expect(ingestion).toMatch(/ingestDataset/);
  });

  it('forwards a repeated one-subgraph read, in the workspace of each request', async () => {
    const ws = workspace();
    const res = await ingest(ws, weeklyCsv(30));
    expect(res.errors).toBeUndefined();
    const id = res.data!.ingestDataset.id;
    const forwarded = async () => {
      const text = await (await fetch(new URL('/metrics', stack.gateway.url))).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('gateway_forwarded_requests_total{') && l.includes('operation="Read"'),
        );
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const before = await forwarded();
    const first = await graphql(stack.gatewayUrl, READ, { id }, { 'x-workspace-id': ws });
    const second = await graphql(stack.gatewayUrl, READ, { id }, { 'x-workspace-id': ws });
    expect(first.errors).toBeUndefined();
    expect(second).toEqual(first);
    // Earlier tests ran Read through Apollo already, so both may have been forwarded.
    expect(await forwarded()).toBeGreaterThanOrEqual(before + 1);
    // The same text from another workspace is forwarded with that workspace: nothing leaks.
    const elsewhere = await graphql<{ dataset: unknown }>(
      stack.gatewayUrl,
      READ,
      { id },
      { 'x-workspace-id': workspace() },
    );
    expect(elsewhere.data?.dataset ?? null).toBeNull();
    expect(JSON.stringify(elsewhere)).not.toContain('revenue');
  });

  it('stops a service with a bad environment variable, with one line naming it', async () => {
    const { output, exited } = startProcess('ingestion', entryPoint('ingestion'), {
      NATS_URL: stack.nats.url,
      PORT: 'not-a-port',
    });
    expect(await exited).toEqual({ code: 1, signal: null });
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(/^config error: PORT .*not-a-port/);
  });
});

// Last in the file: it stops the stack that the tests above share.
describe('shutdown', () => {
  it('stops the gateway, every service and the training worker on SIGTERM with exit 0 and a "shut down" log line', async () => {
    await nc.drain(); // our own client goes first, as it would before a server stops
    const stopped = await stack.stop();
    expect(stopped.map((s) => s.name).sort()).toEqual(
      ['gateway', ...SERVICES, 'modeling-worker-1'].sort(),
    );
    for (const { name, exit, output } of stopped) {
      const shutDown = logRecords(output).filter((r) => r.msg === 'shut down');
      expect({ name, exit, shutDown: shutDown.length }).toEqual({
        name,
        exit: { code: 0, signal: null },
        shutDown: 1,
      });
      expect(shutDown[0]).toMatchObject({ level: 'info', reason: 'SIGTERM' });
    }
  });
});
