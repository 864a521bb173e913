import { createHash } from 'node:crypto';
import { parseJourneys } from '@mmm/core';
import {
  DatasetKind,
  JOURNEY_KINDS,
  readDataset,
  readJourneys,
  workspaceStorage,
} from '@mmm/platform';
import { journeyIdentity, prepareJourneys, textSlices } from '../src/domain';
import { eventually, settle, startRig, type Rig } from './harness';

jest.setTimeout(30_000);

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.stop();
});

const INGEST = `
  mutation ($input: IngestJourneysInput!) {
    ingestJourneys(input: $input) {
      id name workspaceId format journeys touchpoints conversions value cost
      channels { name touchpoints journeys conversions }
      firstTouchpointAt lastTouchpointAt startDate endDate
      columns { journeyId timestamp channel converted conversionValue cost }
      contentSha256 sizeBytes createdAt
    }
  }`;

// Three journeys, rows out of order: u1 search -> display -> search (converted, 90.5), u2 one
// email touch (no), u3 display -> email (converted, 30). The header uses the file's own names.
const CSV = [
  'user,ts,source,bought,revenue,extra',
  'u1,2024-03-02T10:00:00Z,display,1,90.5,a',
  'u2,2024-03-03T08:00:00Z,email,0,0,b',
  'u1,2024-03-01T09:30:00Z,search,1,90.5,c',
  'u3,2024-03-05T12:00:00+02:00,display,1,30,d',
  'u1,2024-03-04,search,1,90.5,e',
  'u3,2024-03-06T00:00:00Z,email,1,30,f',
].join('\n');

const COLUMNS = {
  journeyId: 'user',
  timestamp: 'ts',
  channel: 'source',
  converted: 'bought',
  conversionValue: 'revenue',
};

interface Ingested {
  ingestJourneys: { id: string; [field: string]: unknown };
}

describe('ingestJourneys over HTTP', () => {
  it('stores journeys that the platform journey contract reads back, apart from datasets', async () => {
    const ws = rig.workspace();
    const reply = await rig.gql<Ingested>(
      INGEST,
      { input: { content: CSV, columns: COLUMNS, name: 'March paths' } },
      ws,
    );
    expect(reply.errors).toBeUndefined();
    const dataset = reply.data!.ingestJourneys;
    expect(dataset.id).toMatch(/^jd_[0-9a-f]{20}$/);
    expect(dataset).toMatchObject({
      name: 'March paths',
      workspaceId: ws,
      format: 'CSV',
      journeys: 3,
      touchpoints: 6,
      conversions: 2,
      value: 120.5,
      cost: null,
      channels: [
        { name: 'display', touchpoints: 2, journeys: 2, conversions: 2 },
        { name: 'email', touchpoints: 2, journeys: 2, conversions: 1 },
        { name: 'search', touchpoints: 2, journeys: 1, conversions: 1 },
      ],
      firstTouchpointAt: '2024-03-01T09:30:00.000Z',
      lastTouchpointAt: '2024-03-06T00:00:00.000Z',
      startDate: '2024-03-01',
      endDate: '2024-03-06',
      columns: { ...COLUMNS, cost: null },
      contentSha256: createHash('sha256').update(CSV).digest('hex'),
      sizeBytes: Buffer.byteLength(CSV),
    });

    // The stored table is what the core's parser makes of the file, through the contract.
    const storage = workspaceStorage(rig.ingestion.storage, ws);
    const read = await readJourneys(storage, dataset.id);
    const parsed = parseJourneys(CSV, { columns: COLUMNS });
    if (!parsed.ok) throw new Error('the fixture does not parse');
    expect(read?.table).toEqual({ schemaVersion: 1, datasetId: dataset.id, ...parsed.table });
    expect(read?.dataset).toMatchObject({ id: dataset.id, journeys: 3, conversions: 2 });
    expect(Array.from(read!.table.timestamps.subarray(0, 3))).toEqual([
      Date.parse('2024-03-01T09:30:00Z'),
      Date.parse('2024-03-02T10:00:00Z'),
      Date.parse('2024-03-04T00:00:00Z'),
    ]);

    // Its own kinds: the dataset contract and the dataset queries never see it.
    expect(await readDataset(storage, dataset.id)).toBeNull();
    const stored = await rig.stored(ws);
    expect(stored.keys).toEqual([`${ws}.${JOURNEY_KINDS.dataset}.${dataset.id}`]);
    expect(stored.objects.sort()).toEqual([
      expect.stringMatching(new RegExp(`^${ws}\\.journeys-raw\\.${dataset.id}-`)),
      expect.stringMatching(new RegExp(`^${ws}\\.journeys-table\\.${dataset.id}-`)),
    ]);
    const listed = await rig.gql<Record<string, unknown>>(
      `query ($id: ID!) { journeyDatasets { id } journeyDataset(id: $id) { id journeys }
        datasets { id } dataset(id: $id) { id } }`,
      { id: dataset.id },
      ws,
    );
    expect(listed.data).toEqual({
      journeyDatasets: [{ id: dataset.id }],
      journeyDataset: { id: dataset.id, journeys: 3 },
      datasets: [],
      dataset: null,
    });

    const event = await eventually(() => rig.eventsOf(ws)[0]);
    expect(event.name).toBe('dataset.ingested');
    expect(event.msgId).toBe(`dataset.ingested:${ws}:${dataset.id}:1`);
    expect(event.message).toMatchObject({
      datasetId: dataset.id,
      kind: DatasetKind.JOURNEYS,
      mediaChannels: ['display', 'email', 'search'],
      startDate: '2024-03-01',
      endDate: '2024-03-06',
      journeyCount: 3,
      touchpointCount: 6,
      conversionCount: 2,
      conversionValue: 120.5,
      autoTrain: false,
      periodCount: 0,
      rawObject: expect.stringMatching(/journeys-raw/),
      tableObject: expect.stringMatching(/journeys-table/),
    });
  });

  it('gives the same file and mapping the same id, and announces it once', async () => {
    const ws = rig.workspace();
    const canonical = CSV.replace(
      'user,ts,source,bought,revenue',
      'journey_id,timestamp,channel,converted,conversion_value',
    );
    const first = await rig.gql<Ingested>(INGEST, { input: { content: canonical } }, ws);
    const spelled = await rig.gql<Ingested>(
      INGEST,
      { input: { content: canonical, columns: { journeyId: 'journey_id' }, name: 'again' } },
      ws,
    );
    expect(spelled.data!.ingestJourneys.id).toBe(first.data!.ingestJourneys.id);
    // The first name stays: the second send changed nothing.
    expect(spelled.data!.ingestJourneys.name).toBe(first.data!.ingestJourneys.id);
    const other = await rig.gql<Ingested>(INGEST, { input: { content: canonical + '\n' } }, ws);
    expect(other.data!.ingestJourneys.id).not.toBe(first.data!.ingestJourneys.id);
    await eventually(() => rig.eventsOf(ws).length === 2);
    await settle(100);
    expect(rig.eventsOf(ws)).toHaveLength(2);
  });

  it('reads JSON rows with costs, and stores the raw file byte for byte', async () => {
    const ws = rig.workspace();
    // Emoji channel names cross the 1 MiB slices the text is fed and stored in.
    const rows = Array.from({ length: 12_000 }, (_, i) => ({
      journey_id: `j${Math.floor(i / 3)}`,
      timestamp: `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`,
      channel:
        i % 2 === 0
          ? 'social 📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣📣'
          : 'tv',
      converted: Math.floor(i / 3) % 2,
      conversion_value: Math.floor(i / 3) % 2 === 1 ? 10 : 0,
      cost: 0.25,
    }));
    const content = JSON.stringify(rows);
    expect(content.length).toBeGreaterThan(1 << 20);
    const reply = await rig.gql<Ingested>(INGEST, { input: { content, format: 'JSON' } }, ws);
    expect(reply.errors).toBeUndefined();
    expect(reply.data!.ingestJourneys).toMatchObject({
      format: 'JSON',
      journeys: 4000,
      touchpoints: 12_000,
      conversions: 2000,
      value: 20_000,
      cost: 3000,
      columns: { cost: 'cost' },
      contentSha256: createHash('sha256').update(content).digest('hex'),
      sizeBytes: Buffer.byteLength(content),
    });
    const storage = workspaceStorage(rig.ingestion.storage, ws);
    const name = (await rig.stored(ws)).objects.find((o) => o.includes('.journeys-raw.'))!;
    const raw = await storage.files.get(JOURNEY_KINDS.raw, name.split('.').pop()!);
    expect(Buffer.from(raw!).equals(Buffer.from(content, 'utf8'))).toBe(true);
  });
});

describe('journey file problems', () => {
  const HEADER = 'journey_id,timestamp,channel,converted,conversion_value';
  const cases = [
    {
      rule: 'an unparseable timestamp',
      csv: [HEADER, 'a,2024-03-01,tv,0,0', 'a,03/02/2024,tv,0,0'],
      issue: { row: 2, column: 'timestamp', field: 'columns.timestamp' },
    },
    {
      rule: 'a journey whose rows disagree on its outcome',
      csv: [HEADER, 'a,2024-03-01,tv,1,5', 'a,2024-03-02,tv,0,0'],
      issue: { row: 2, column: 'converted', field: 'columns.converted' },
    },
    {
      rule: 'a negative value',
      csv: [HEADER, 'a,2024-03-01,tv,1,-5'],
      issue: { row: 1, column: 'conversion_value', field: 'columns.conversionValue' },
    },
    {
      rule: 'a conversion with no touchpoint',
      csv: [HEADER, 'a,2024-03-01,,1,5'],
      issue: { row: 1, column: 'channel', field: 'columns.channel' },
    },
    {
      rule: 'a mapped column missing from the file',
      csv: [HEADER, 'a,2024-03-01,tv,1,5'],
      columns: { cost: 'spend' },
      issue: { column: 'spend', field: 'columns.cost' },
    },
    {
      rule: 'one column mapped to two fields',
      csv: [HEADER, 'a,2024-03-01,tv,1,5'],
      columns: { channel: 'journey_id' },
      issue: { column: 'journey_id', field: 'columns.channel' },
    },
  ];

  it.each(cases)(
    'rejects $rule with its row, column and field, storing and announcing nothing',
    async ({ csv, columns, issue }) => {
      const ws = rig.workspace();
      const reply = await rig.gql(INGEST, { input: { content: csv.join('\n'), columns } }, ws);
      expect(reply.data).toBeNull();
      expect(reply.errors![0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        issueCount: 1,
        issues: [expect.objectContaining(issue)],
      });
      expect(await rig.stored(ws)).toEqual({ keys: [], objects: [] });
      await settle(100);
      expect(rig.eventsOf(ws)).toEqual([]);
    },
  );
});

describe('feeding the parser in slices', () => {
  it('never cuts a surrogate pair, so the slices are the text', () => {
    const text = 'ab😀cd😀😀e';
    for (let size = 2; size < 6; size++) {
      const slices = [...textSlices(text, size)];
      expect(slices.join('')).toBe(text);
      for (const s of slices) expect(Buffer.from(s, 'utf8').toString('utf8')).toBe(s);
    }
  });

  it('gives one id and table whatever the slice size', () => {
    const csv =
      'journey_id,timestamp,channel,converted,conversion_value\n' +
      'x,2024-01-01,😀,1,2\n'.repeat(50);
    const options = { format: 'CSV' as const, columns: {} };
    const whole = prepareJourneys(csv, options, csv.length + 1);
    const sliced = prepareJourneys(csv, options, 7);
    if (!whole.ok || !sliced.ok) throw new Error('the fixture does not parse');
    expect(sliced.journeys.table).toEqual(whole.journeys.table);
    const identity = journeyIdentity(csv, options, 7);
    expect(identity).toEqual(journeyIdentity(csv, options, csv.length + 1));
    expect(identity.contentSha256).toBe(createHash('sha256').update(csv).digest('hex'));
    expect(identity.sizeBytes).toBe(Buffer.byteLength(csv));
  });
});
