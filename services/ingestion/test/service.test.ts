import { DatasetKind, decodeEvent, Frequency, KpiType } from '@mmm/platform';
import { fileRows, toCsvText } from './fixtures';
import { eventually, settle, startIngestion, startRig, type Rig } from './harness';
import { gatewayHeaders } from '@mmm/platform/testkit';

jest.setTimeout(30_000);

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.stop();
});

const INGEST = `
  mutation Ingest($input: IngestDatasetInput!) {
    ingestDataset(input: $input) {
      id name workspaceId frequency sourceFrequency kpiType dateColumn kpiColumn
      channels { name spendColumn exposureColumn }
      organicColumns controlColumns periodCount startDate endDate
      columns { name role channel summary { count min max mean sd sum zeroShare missingCount } }
      ignoredColumns warnings format contentSha256 sizeBytes createdAt
    }
  }`;

const ROLES = {
  date: 'date',
  kpi: 'revenue',
  kpiType: 'REVENUE',
  paidMedia: [{ spend: 'tv' }, { spend: 'search', exposure: 'search_clicks' }],
  organic: ['newsletter'],
  controls: ['price'],
};

function input(content: string, extra: Record<string, unknown> = {}) {
  return { input: { content, roles: ROLES, frequency: 'WEEKLY', ...extra } };
}

interface IngestData {
  ingestDataset: { id: string; [field: string]: unknown };
}

describe('ingestDataset over HTTP', () => {
  it('stores a good CSV and reads it back through dataset, datasets and table', async () => {
    const ws = rig.workspace();
    const csv = toCsvText(fileRows(30));
    const ingested = await rig.gql<IngestData>(INGEST, input(csv, { name: 'Q1 sales' }), ws);
    expect(ingested.errors).toBeUndefined();
    const dataset = ingested.data!.ingestDataset;
    expect(dataset).toMatchObject({
      name: 'Q1 sales',
      workspaceId: ws,
      frequency: 'WEEKLY',
      sourceFrequency: 'WEEKLY',
      kpiType: 'REVENUE',
      periodCount: 30,
      startDate: '2024-01-01',
      endDate: '2024-07-22',
      organicColumns: ['newsletter'],
      controlColumns: ['price'],
      format: 'CSV',
      sizeBytes: Buffer.byteLength(csv),
      channels: [
        { name: 'tv', spendColumn: 'tv', exposureColumn: null },
        { name: 'search', spendColumn: 'search', exposureColumn: 'search_clicks' },
      ],
    });
    expect(dataset.id).toMatch(/^ds_[0-9a-f]{20}$/);

    const read = await rig.gql<{
      dataset: Record<string, unknown>;
      datasets: Array<{ id: string }>;
    }>(
      `query ($id: ID!) {
        dataset(id: $id) { id columns { name role summary { count sum } }
          table(offset: 2, limit: 3) { dates offset totalPeriods columns { name role channel values } } }
        datasets { id }
      }`,
      { id: dataset.id },
      ws,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.datasets).toEqual([{ id: dataset.id }]);
    const table = (read.data!.dataset as { table: Record<string, unknown> }).table;
    expect(table).toMatchObject({
      dates: ['2024-01-15', '2024-01-22', '2024-01-29'],
      offset: 2,
      totalPeriods: 30,
    });
    expect((table.columns as Array<{ name: string; values: number[] }>)[0]).toEqual({
      name: 'revenue',
      role: 'KPI',
      channel: null,
      values: [1000 + 74 + 22, 1000 + 111 + 33, 1000 + 148 + 44],
    });
    const columns = (read.data!.dataset as { columns: Array<{ name: string; summary: unknown }> })
      .columns;
    expect(columns[0]).toEqual({ name: 'date', role: 'DATE', summary: null });
    expect(columns.find((c) => c.name === 'tv')?.summary).toEqual({
      count: 30,
      sum: fileRows(30).reduce((s, r) => s + Number(r.tv), 0),
    });

    const stored = await rig.stored(ws);
    expect(stored.keys).toEqual([`${ws}.dataset.${dataset.id}`]);
    expect(stored.objects).toHaveLength(2);
  });

  it('accepts JSON rows', async () => {
    const ws = rig.workspace();
    const result = await rig.gql<IngestData>(
      INGEST,
      input(JSON.stringify(fileRows(30)), { format: 'JSON' }),
      ws,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.ingestDataset.format).toBe('JSON');
  });

  it('aggregates a daily file to weeks on request and reads empty media cells as zero', async () => {
    const ws = rig.workspace();
    const rows = fileRows(7 * 30 + 3, 1).map((r, i) => (i === 10 ? { ...r, tv: '' } : r));
    const result = await rig.gql<IngestData>(
      INGEST,
      input(toCsvText(rows), {
        frequency: 'DAILY',
        aggregateToWeekly: true,
        missingMediaAsZero: true,
      }),
      ws,
    );
    expect(result.errors).toBeUndefined();
    const dataset = result.data!.ingestDataset;
    const columns = dataset.columns as Array<{ name: string; summary: unknown }>;
    expect(dataset).toMatchObject({
      frequency: 'WEEKLY',
      sourceFrequency: 'DAILY',
      periodCount: 30,
      startDate: '2024-01-01',
      warnings: [
        'The last 3 day(s) (2024-07-29 to 2024-07-31) do not fill a week and were left out of the weekly table.',
      ],
    });
    expect(columns.find((c) => c.name === 'tv')?.summary).toMatchObject({
      count: 30,
      missingCount: 1,
    });
  });

  it('returns the same dataset for the same file and publishes one event', async () => {
    const ws = rig.workspace();
    const csv = toCsvText(fileRows(40));
    const first = await rig.gql<IngestData>(INGEST, input(csv), ws);
    const second = await rig.gql<IngestData>(INGEST, input(csv, { name: 'another name' }), ws);
    expect(second.data!.ingestDataset.id).toBe(first.data!.ingestDataset.id);
    expect(second.data!.ingestDataset.createdAt).toBe(first.data!.ingestDataset.createdAt);
    await eventually(() => rig.eventsOf(ws).length === 1);
    await settle();
    expect(rig.eventsOf(ws)).toHaveLength(1);
    expect((await rig.stored(ws)).objects).toHaveLength(2);
  });

  it('stores one dataset when the same file arrives twice at once', async () => {
    const ws = rig.workspace();
    const csv = toCsvText(fileRows(35));
    const results = await Promise.all(
      [1, 2, 3].map(() => rig.gql<IngestData>(INGEST, input(csv), ws)),
    );
    const ids = new Set(results.map((r) => r.data?.ingestDataset.id));
    expect(ids.size).toBe(1);
    await eventually(() => rig.eventsOf(ws).length === 1);
    await settle();
    expect(rig.eventsOf(ws)).toHaveLength(1);
    // Losers remove their own files: only the winner's two remain.
    expect((await rig.stored(ws)).objects).toHaveLength(2);
  });

  it('publishes dataset.ingested as protobuf with the dataset id in Nats-Msg-Id and a trace header', async () => {
    const ws = rig.workspace();
    const result = await rig.gql<IngestData>(INGEST, input(toCsvText(fileRows(31))), ws);
    const id = result.data!.ingestDataset.id;
    const [event] = await eventually(() => rig.eventsOf(ws).length > 0 && rig.eventsOf(ws));
    expect(event.name).toBe('dataset.ingested');
    expect(event.msgId).toBe(`dataset.ingested:${ws}:${id}:1`);
    expect(event.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(event.message).toMatchObject({
      workspaceId: ws,
      datasetId: id,
      frequency: Frequency.WEEKLY,
      kpiType: KpiType.REVENUE,
      kpiColumn: 'revenue',
      dateColumn: 'date',
      mediaChannels: ['tv', 'search'],
      organicChannels: ['newsletter'],
      controlColumns: ['price'],
      periodCount: 31,
      startDate: '2024-01-01',
      kind: DatasetKind.TABLE,
    });
    const stored = await rig.stored(ws);
    const message = event.message as { rawObject: string; tableObject: string };
    expect(stored.objects.sort()).toEqual([message.rawObject, message.tableObject].sort());
  });

  it('keeps workspaces apart', async () => {
    const [a, b] = [rig.workspace(), rig.workspace()];
    const csv = toCsvText(fileRows(32));
    const inA = await rig.gql<IngestData>(INGEST, input(csv), a);
    const id = inA.data!.ingestDataset.id;
    const fromB = await rig.gql<{ dataset: unknown; datasets: unknown[] }>(
      'query ($id: ID!) { dataset(id: $id) { id } datasets { id } }',
      { id },
      b,
    );
    expect(fromB.data).toEqual({ dataset: null, datasets: [] });
    const inB = await rig.gql<IngestData>(INGEST, input(csv), b);
    expect(inB.data!.ingestDataset).toMatchObject({ id, workspaceId: b });
    expect((await rig.stored(b)).keys).toEqual([`${b}.dataset.${id}`]);
  });

  it('resolves Dataset entities by key for the gateway', async () => {
    const ws = rig.workspace();
    const result = await rig.gql<IngestData>(INGEST, input(toCsvText(fileRows(33))), ws);
    const id = result.data!.ingestDataset.id;
    const entities = await rig.gql<{ _entities: unknown[] }>(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Dataset { id periodCount } } }',
      {
        r: [
          { __typename: 'Dataset', id },
          { __typename: 'Dataset', id: 'ds_00000000000000000000' },
        ],
      },
      ws,
    );
    expect(entities.data!._entities).toEqual([{ id, periodCount: 33 }, null]);
  });

  it('refuses a negative table offset with BAD_USER_INPUT', async () => {
    const ws = rig.workspace();
    const result = await rig.gql<IngestData>(INGEST, input(toCsvText(fileRows(34))), ws);
    const read = await rig.gql(
      'query ($id: ID!) { dataset(id: $id) { table(offset: -1) { totalPeriods } } }',
      { id: result.data!.ingestDataset.id },
      ws,
    );
    expect(read.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      issues: [{ field: 'offset', message: 'offset must be 0 or more.' }],
    });
  });
});

describe('ingestDataset validation failures', () => {
  const base = fileRows(30);
  const cases: Array<{
    rule: string;
    csv: string;
    issue: Record<string, unknown>;
    extra?: object;
  }> = [
    {
      rule: 'an unparseable date',
      csv: toCsvText(base.map((r, i) => (i === 3 ? { ...r, date: 'next monday' } : r))),
      issue: { row: 4, column: 'date', field: 'roles.date' },
    },
    {
      rule: 'a duplicate date',
      csv: toCsvText([...base.slice(0, 6), { ...base[5], tv: '1' }, ...base.slice(6)]),
      issue: { row: 7, column: 'date', field: 'roles.date' },
    },
    {
      rule: 'a gap in the series',
      csv: toCsvText([...base.slice(0, 10), ...base.slice(11), ...fileRows(32).slice(30)]),
      issue: { row: 11, column: 'date', field: 'roles.date' },
    },
    {
      rule: 'non-numeric spend',
      csv: toCsvText(base.map((r, i) => (i === 8 ? { ...r, search: 'lots' } : r))),
      issue: { row: 9, column: 'search', field: 'roles.paidMedia[1].spend' },
    },
    {
      rule: 'negative spend',
      csv: toCsvText(base.map((r, i) => (i === 12 ? { ...r, tv: '-100' } : r))),
      issue: { row: 13, column: 'tv', field: 'roles.paidMedia[0].spend' },
    },
    {
      rule: 'a missing KPI',
      csv: toCsvText(base.map((r, i) => (i === 0 ? { ...r, revenue: '' } : r))),
      issue: { row: 1, column: 'revenue', field: 'roles.kpi' },
    },
    {
      rule: 'too few periods',
      csv: toCsvText(base.slice(0, 20)),
      issue: {
        field: 'content',
        message: expect.stringMatching(/^Too few periods: 20 weekly periods/),
      },
    },
    {
      rule: 'a constant column',
      csv: toCsvText(base.map((r) => ({ ...r, price: '5' }))),
      issue: { column: 'price', field: 'roles.controls[0]' },
    },
  ];

  it.each(cases)(
    'rejects $rule with its row and column, storing and announcing nothing',
    async ({ csv, issue }) => {
      const ws = rig.workspace();
      const result = await rig.gql<IngestData>(INGEST, input(csv), ws);
      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
      const error = result.errors![0];
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.issues).toEqual([expect.objectContaining(issue)]);
      expect(error.extensions?.issueCount).toBe(1);
      expect(error.message).toBe(
        (error.extensions?.issues as Array<{ message: string }>)[0].message,
      );
      expect(error.extensions).not.toHaveProperty('stacktrace');
      expect(await rig.stored(ws)).toEqual({ keys: [], objects: [] });
      await settle(100);
      expect(rig.eventsOf(ws)).toEqual([]);
    },
  );

  it('rejects a role column that is not in the file', async () => {
    const ws = rig.workspace();
    const result = await rig.gql(
      INGEST,
      {
        input: {
          content: toCsvText(base),
          roles: { ...ROLES, controls: ['temperature'] },
          frequency: 'WEEKLY',
        },
      },
      ws,
    );
    expect(result.errors![0].extensions?.issues).toEqual([
      {
        column: 'temperature',
        field: 'roles.controls[0]',
        message: 'Column "temperature" named in roles.controls[0] is not in the file.',
      },
    ]);
    expect(await rig.stored(ws)).toEqual({ keys: [], objects: [] });
  });

  it('names every problem of a file at once and counts those beyond the first 100', async () => {
    const ws = rig.workspace();
    const rows = fileRows(120).map((r, i) => ({
      ...r,
      tv: 'x',
      revenue: i === 5 ? '' : r.revenue,
    }));
    const result = await rig.gql(INGEST, input(toCsvText(rows)), ws);
    const extensions = result.errors![0].extensions!;
    expect(extensions.issueCount).toBe(121);
    expect(extensions.issues).toHaveLength(100);
    expect(result.errors![0].message).toBe(
      'The dataset has 121 problems; the first 100 are listed in extensions.issues ' +
        '(row 1 is the first row after the header; "line" is the line of the file).',
    );
  });
});

describe('deleteDataset', () => {
  it('tombstones the metadata, removes the files, announces it, and re-ingesting brings it back', async () => {
    const ws = rig.workspace();
    const csv = toCsvText(fileRows(36));
    const first = await rig.gql<IngestData>(INGEST, input(csv), ws);
    const id = first.data!.ingestDataset.id;

    const deleted = await rig.gql<{ deleteDataset: boolean }>(
      'mutation ($id: ID!) { deleteDataset(id: $id) }',
      { id },
      ws,
    );
    expect(deleted.data).toEqual({ deleteDataset: true });
    const after = await rig.gql(
      'query ($id: ID!) { dataset(id: $id) { id } datasets { id } }',
      { id },
      ws,
    );
    expect(after.data).toEqual({ dataset: null, datasets: [] });
    // The tombstone stays in KV; the files are gone.
    expect(await rig.stored(ws)).toEqual({ keys: [`${ws}.dataset.${id}`], objects: [] });
    const deletedEvent = await eventually(() =>
      rig.eventsOf(ws).find((e) => e.name === 'dataset.deleted'),
    );
    expect(decodeEvent('dataset.deleted', new Uint8Array()).datasetId).toBe('');
    expect(deletedEvent.message).toMatchObject({ workspaceId: ws, datasetId: id });
    expect(deletedEvent.msgId).toBe(`dataset.deleted:${ws}:${id}:1`);

    const again = await rig.gql<{ deleteDataset: boolean }>(
      'mutation ($id: ID!) { deleteDataset(id: $id) }',
      { id },
      ws,
    );
    expect(again.data).toEqual({ deleteDataset: false });

    const back = await rig.gql<IngestData>(INGEST, input(csv), ws);
    expect(back.data!.ingestDataset.id).toBe(id);
    expect((await rig.stored(ws)).objects).toHaveLength(2);
    const ingestedEvents = await eventually(() => {
      const found = rig.eventsOf(ws).filter((e) => e.name === 'dataset.ingested');
      return found.length === 2 && found;
    });
    expect(ingestedEvents.map((e) => e.msgId)).toEqual([
      `dataset.ingested:${ws}:${id}:1`,
      `dataset.ingested:${ws}:${id}:2`,
    ]);
  });

  it('answers false for a dataset that does not exist', async () => {
    const result = await rig.gql(
      'mutation { a: deleteDataset(id: "ds_00000000000000000000") b: deleteDataset(id: "nope") }',
    );
    expect(result.data).toEqual({ a: false, b: false });
  });
});

describe('the service process', () => {
  it('answers /readyz and /metrics', async () => {
    const base = rig.url.replace(/\/graphql$/, '');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('graphql_resolver_calls_total');
  });
});

describe('generateSyntheticDataset', () => {
  const GENERATE = `
    mutation ($input: SyntheticDatasetInput) {
      generateSyntheticDataset(input: $input) {
        dataset { id name periodCount channels { name spendColumn } controlColumns }
        truth { seed noiseSd channels { channel spendColumn roas spend contribution theta alpha gamma } }
      }
    }`;

  it('ingests a generated dataset like a file and returns the true ROAS per channel', async () => {
    const ws = rig.workspace();
    const result = await rig.gql<{
      generateSyntheticDataset: {
        dataset: { id: string; periodCount: number; channels: Array<{ name: string }> };
        truth: {
          seed: number;
          channels: Array<{ channel: string; roas: number; spend: number; contribution: number }>;
        };
      };
    }>(GENERATE, { input: { weeks: 60, channels: 2, seed: 5 } }, ws);
    expect(result.errors).toBeUndefined();
    const { dataset, truth } = result.data!.generateSyntheticDataset;
    expect(dataset).toMatchObject({
      name: 'Synthetic: 2 channels, 60 weeks, seed 5',
      periodCount: 60,
      channels: [
        { name: 'tv', spendColumn: 'tv_spend' },
        { name: 'radio', spendColumn: 'radio_spend' },
      ],
    });
    expect(truth.seed).toBe(5);
    expect(truth.channels.map((c) => c.channel)).toEqual(['tv', 'radio']);
    for (const c of truth.channels) expect(c.contribution / c.spend).toBeCloseTo(c.roas, 6);
    await eventually(() => rig.eventsOf(ws).length === 1);

    const again = await rig.gql<typeof result.data>(
      GENERATE,
      { input: { weeks: 60, channels: 2, seed: 5 } },
      ws,
    );
    expect(again.data!.generateSyntheticDataset.dataset.id).toBe(dataset.id);
    await settle();
    expect(rig.eventsOf(ws)).toHaveLength(1);
  });

  it('works with no input at all', async () => {
    const ws = rig.workspace();
    const result = await rig.gql<{
      generateSyntheticDataset: { dataset: { periodCount: number } };
    }>(GENERATE, {}, ws);
    expect(result.errors).toBeUndefined();
    expect(result.data!.generateSyntheticDataset.dataset.periodCount).toBe(104);
  });

  it('refuses a bad request with BAD_USER_INPUT naming the field', async () => {
    const ws = rig.workspace();
    const result = await rig.gql(GENERATE, { input: { channels: 40 } }, ws);
    expect(result.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      issues: [{ field: 'channels', message: 'channels must be an integer from 1 to 12.' }],
    });
    expect(await rig.stored(ws)).toEqual({ keys: [], objects: [] });
  });
});

describe('two replicas of the service', () => {
  it('list the same datasets: those stored before a replica started and those written since', async () => {
    const ws = rig.workspace();
    const before = await rig.gql<IngestData>(INGEST, input(toCsvText(fileRows(37))), ws);
    const replica = await startIngestion(rig.server.url);
    try {
      const list = async (url: string) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...gatewayHeaders({ workspace: ws }) },
          body: JSON.stringify({ query: '{ datasets { id } }' }),
        });
        const body = (await response.json()) as { data: { datasets: Array<{ id: string }> } };
        return body.data.datasets.map((d) => d.id).sort();
      };
      const first = before.data!.ingestDataset.id;
      expect(await list(replica.url)).toEqual([first]);

      const after = await rig.gql<IngestData>(INGEST, input(toCsvText(fileRows(38))), ws);
      const second = after.data!.ingestDataset.id;
      const both = [first, second].sort();
      expect(await list(rig.url)).toEqual(both);
      const same = (ids: string[], want: string[]) => JSON.stringify(ids) === JSON.stringify(want);
      await eventually(async () => same(await list(replica.url), both));

      const deleted = await fetch(replica.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...gatewayHeaders({ workspace: ws }) },
        body: JSON.stringify({ query: `mutation { deleteDataset(id: "${first}") }` }),
      });
      expect(await deleted.json()).toEqual({ data: { deleteDataset: true } });
      await eventually(async () => same(await list(rig.url), [second]));
      expect(await list(replica.url)).toEqual([second]);
    } finally {
      await replica.stop();
    }
  });
});
