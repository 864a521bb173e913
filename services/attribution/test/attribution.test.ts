import { decompose, type MediaMixModel } from '@mmm/core';
import {
  connectNats,
  openStorage,
  subscribeEvents,
  type EventMessage,
  type NatsConnection,
  type Subscription,
} from '@mmm/platform';
import { eventually, startServiceForTest, type ServiceUnderTest } from '@mmm/platform/testkit';
import { attributionService, mmmColumn } from '../src';
import { fittedModel, storeJourneys, storeModel } from './harness';

jest.setTimeout(60_000);

// Three journeys from Wednesday 2024-03-06 to Tuesday 2024-03-12:
//   a: search (03-06) -> tv (03-07), converted, 100
//   b: social (03-08), did not convert
//   c: social (03-09) -> search (03-12), converted, 50
const CSV = [
  'journey_id,timestamp,channel,converted,conversion_value',
  'a,2024-03-07T10:00:00Z,tv,1,100',
  'b,2024-03-08T09:00:00Z,social,0,0',
  'c,2024-03-12T08:00:00Z,search,1,50',
  'a,2024-03-06T10:00:00Z,search,1,100',
  'c,2024-03-09T12:00:00Z,social,1,50',
].join('\n');
const LATER = [
  'journey_id,timestamp,channel,converted,conversion_value',
  'z,2026-05-01T10:00:00Z,tv,1,10',
].join('\n');

const DATASET = 'jd_00000000000000000001';
const LATE_DATASET = 'jd_00000000000000000002';

let rig: ServiceUnderTest;
let nc: NatsConnection;
let subscription: Subscription;
let revenueModel: MediaMixModel;
let conversionsModel: MediaMixModel;
const events: Array<EventMessage<'attribution.completed'>> = [];

beforeAll(async () => {
  [rig, revenueModel, conversionsModel] = await Promise.all([
    startServiceForTest(attributionService),
    fittedModel('revenue'),
    fittedModel('conversions'),
  ]);
  nc = await connectNats({ NATS_URL: rig.nats.url, name: 'test-listener' });
  subscription = await subscribeEvents(
    (await openStorage(nc)).js,
    ['attribution.completed'],
    async (d) => {
      events.push(d.message as EventMessage<'attribution.completed'>);
    },
    { deliver: 'all' },
  );
  for (const ws of ['acme', 'other']) {
    await storeJourneys(rig.service.storage, ws, DATASET, CSV);
    await storeJourneys(rig.service.storage, ws, LATE_DATASET, LATER);
  }
  await storeModel(rig.service.storage, 'acme', 'm_revenue', revenueModel);
  await storeModel(rig.service.storage, 'acme', 'm_conversions', conversionsModel);
});

afterAll(async () => {
  await subscription?.stop();
  await nc?.close();
  await rig?.stop();
});

const RUN = `mutation R($input: RunAttributionInput!) { runAttribution(input: $input) {
  id datasetId modelId methods createdAt
  settings { windowDays halfLifeDays firstWeight lastWeight nonConverting markovOrder shapleyWorth }
  totals { journeys touchpoints conversions value }
  channels
  columns { method source unit conversions value }
  rows { channel cells { method conversions value share } }
  mmm { modelId kpiName kpiType unit from to periods { date days overlapDays }
        matches { model journey by contribution } }
  markov { order states conversionProbability }
  shapley { worth exact players samples }
} }`;

const run = (input: Record<string, unknown>, ws = 'acme') =>
  rig.query(RUN, ws, { input: { datasetId: DATASET, ...input } });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = { channel: string; cells: any[] };
const cell = (rows: Row[], channel: string, method: string) =>
  rows.find((r) => r.channel === channel)?.cells.find((c) => c.method === method);

/** The contribution of a channel over the two model weeks the journeys fall in: 5 and 2 days. */
function expectedContribution(model: MediaMixModel, channel: string): number {
  const media = decompose(model).media[channel];
  const week = model.periods.dates!.indexOf('2024-03-04');
  return (5 / 7) * media[week] + (2 / 7) * media[week + 1];
}

describe('runAttribution', () => {
  it('puts the journey methods and the model side by side in one table', async () => {
    const reply = await run({
      methods: ['LAST_TOUCH', 'LINEAR', 'MARKOV', 'SHAPLEY'],
      modelId: 'm_revenue',
      channelMapping: [{ model: 'radio', journey: 'social' }],
    });
    expect(reply.errors).toBeUndefined();
    const a = reply.data!.runAttribution;
    expect(a.id).toMatch(/^at_[0-9a-f]{20}$/);
    expect(a).toMatchObject({
      datasetId: DATASET,
      modelId: 'm_revenue',
      methods: ['LAST_TOUCH', 'LINEAR', 'MARKOV', 'SHAPLEY', 'MMM'],
      settings: { windowDays: null, halfLifeDays: 7, nonConverting: 'INCLUDE', markovOrder: 1 },
      totals: { journeys: 3, touchpoints: 5, conversions: 2, value: 150 },
      // The journeys' channels, then the model's channel no journey touched.
      channels: ['search', 'social', 'tv', 'ooh'],
      shapley: { worth: 'CONVERSION_RATE', exact: true, players: 3, samples: null },
      markov: { order: 1, states: 4 },
    });
    const rows = a.rows as Row[];
    // Last touch: a -> tv (100), c -> search (50).
    expect(cell(rows, 'tv', 'LAST_TOUCH')).toEqual({
      method: 'LAST_TOUCH',
      conversions: 1,
      value: 100,
      share: 0.5,
    });
    expect(cell(rows, 'search', 'LAST_TOUCH')).toMatchObject({ conversions: 1, value: 50 });
    // Linear: a splits search/tv, c splits social/search.
    expect(cell(rows, 'search', 'LINEAR')).toMatchObject({ conversions: 1, value: 75 });
    expect(cell(rows, 'social', 'LINEAR')).toMatchObject({ conversions: 0.5, value: 25 });
    expect(cell(rows, 'ooh', 'LINEAR')).toMatchObject({ conversions: 0, value: 0 });
    for (const method of ['LAST_TOUCH', 'LINEAR', 'MARKOV', 'SHAPLEY']) {
      const column = a.columns.find((c: { method: string }) => c.method === method);
      expect(column).toMatchObject({ source: 'JOURNEYS', unit: 'BOTH' });
      expect(column.conversions).toBeCloseTo(2, 9);
      expect(column.value).toBeCloseTo(150, 9);
    }

    // The MMM column: revenue KPI, so value; tv by name, radio as social, ooh on its own.
    expect(a.mmm).toMatchObject({
      modelId: 'm_revenue',
      kpiType: 'REVENUE',
      unit: 'VALUE',
      from: '2024-03-06',
      to: '2024-03-12',
      periods: [
        { date: '2024-03-04', days: 7, overlapDays: 5 },
        { date: '2024-03-11', days: 7, overlapDays: 2 },
      ],
    });
    expect(a.mmm.matches.map((m: Record<string, unknown>) => [m.model, m.journey, m.by])).toEqual([
      ['tv', 'tv', 'NAME'],
      ['radio', 'social', 'MAPPING'],
      ['ooh', null, 'NONE'],
    ]);
    const tv = expectedContribution(revenueModel, 'tv');
    const radio = expectedContribution(revenueModel, 'radio');
    const ooh = expectedContribution(revenueModel, 'ooh');
    expect(tv).toBeGreaterThan(0);
    expect(cell(rows, 'tv', 'MMM').value).toBeCloseTo(tv, 6);
    expect(cell(rows, 'tv', 'MMM').conversions).toBeNull();
    expect(cell(rows, 'tv', 'MMM').share).toBeCloseTo(tv / (tv + radio + ooh), 9);
    expect(cell(rows, 'social', 'MMM').value).toBeCloseTo(radio, 6);
    expect(cell(rows, 'ooh', 'MMM').value).toBeCloseTo(ooh, 6);
    expect(cell(rows, 'search', 'MMM')).toEqual({
      method: 'MMM',
      conversions: null,
      value: null,
      share: null,
    });
    expect(a.columns.at(-1)).toMatchObject({ method: 'MMM', source: 'MODEL', unit: 'VALUE' });

    // Stored: read back by id and by dataset, in this workspace only.
    const read = await rig.query(
      `query ($id: ID!, $ds: ID!) { attribution(id: $id) { id rows { channel } }
        attributions(datasetId: $ds) { id } }`,
      'acme',
      { id: a.id, ds: DATASET },
    );
    expect(read.data).toEqual({
      attribution: { id: a.id, rows: rows.map((r) => ({ channel: r.channel })) },
      attributions: expect.arrayContaining([{ id: a.id }]),
    });
    const elsewhere = await rig.query(
      `query ($id: ID!, $ds: ID!) { attribution(id: $id) { id } attributions(datasetId: $ds) { id } }`,
      'other',
      { id: a.id, ds: DATASET },
    );
    expect(elsewhere.data).toEqual({ attribution: null, attributions: [] });

    // Announced with the table.
    const event = await eventually(() => events.find((e) => e.attributionId === a.id));
    expect(event).toMatchObject({ workspaceId: 'acme', datasetId: DATASET, modelId: 'm_revenue' });
    expect(event.totalConversions).toBe(2);
    expect(event.columns.map((c) => [c.method, c.unit])).toEqual([
      ['last_touch', 'both'],
      ['linear', 'both'],
      ['markov', 'both'],
      ['shapley', 'both'],
      ['mmm', 'value'],
    ]);
    const mmmTv = event.columns[4].credits.find((c) => c.channel === 'tv');
    expect(mmmTv?.value).toBeCloseTo(tv, 6);
  });

  it('gives a conversions model a conversions column', async () => {
    const reply = await run({ methods: ['FIRST_TOUCH'], modelId: 'm_conversions' });
    expect(reply.errors).toBeUndefined();
    const a = reply.data!.runAttribution;
    expect(a.mmm).toMatchObject({ kpiType: 'CONVERSIONS', unit: 'CONVERSIONS' });
    // Without a mapping radio keeps its name; the journeys' social has no model figure.
    expect(a.channels).toEqual(['search', 'social', 'tv', 'radio', 'ooh']);
    const tv = cell(a.rows, 'tv', 'MMM');
    expect(tv.conversions).toBeCloseTo(expectedContribution(conversionsModel, 'tv'), 6);
    expect(tv.value).toBeNull();
    expect(cell(a.rows, 'social', 'MMM').conversions).toBeNull();
    expect(cell(a.rows, 'search', 'FIRST_TOUCH')).toMatchObject({ conversions: 1, value: 100 });
  });

  it('returns the stored run for the same request, announcing it once', async () => {
    const input = { methods: ['TIME_DECAY', 'POSITION_BASED'], halfLifeDays: 2, windowDays: 2 };
    const first = await run(input);
    const again = await run({ ...input, methods: ['TIME_DECAY', 'POSITION_BASED', 'TIME_DECAY'] });
    const id = first.data!.runAttribution.id;
    expect(again.data!.runAttribution).toEqual(first.data!.runAttribution);
    // Within a 2-day window c keeps only search (social was 2.8 days before): position-based
    // gives search half of a and all of c.
    expect(cell(first.data!.runAttribution.rows, 'search', 'POSITION_BASED')).toMatchObject({
      conversions: 1.5,
      value: 100,
    });
    const other = await run({ ...input, halfLifeDays: 3 });
    expect(other.data!.runAttribution.id).not.toBe(id);
    await eventually(() => events.some((e) => e.attributionId === other.data!.runAttribution.id));
    expect(events.filter((e) => e.attributionId === id)).toHaveLength(1);
  });

  it('lists the runs of a journey dataset on the entity', async () => {
    const reply = await rig.query(
      `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on JourneyDataset { id attributions { datasetId } } } }`,
      'acme',
      { r: [{ __typename: 'JourneyDataset', id: DATASET }] },
    );
    const [entity] = reply.data!._entities;
    expect(entity.attributions.length).toBeGreaterThan(0);
    for (const a of entity.attributions) expect(a.datasetId).toBe(DATASET);
  });
});

describe('runAttribution refuses what the data cannot serve, naming the field', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'an unknown dataset',
      { datasetId: 'jd_ffffffffffffffffffff' },
      'datasetId',
      /no journey dataset jd_f+ in this workspace/,
    ],
    ['an unknown model', { modelId: 'm_none' }, 'modelId', /no model m_none/],
    [
      'a window longer than the data',
      { windowDays: 30 },
      'windowDays',
      /30 days is longer than the data \(the touchpoints span 5\.9\d* days/,
    ],
    [
      'a mapping naming a model channel that does not exist',
      { modelId: 'm_revenue', channelMapping: [{ model: 'billboards', journey: 'social' }] },
      'channelMapping[0].model',
      /the model has no channel 'billboards' \(its channels: tv, radio, ooh\)/,
    ],
    [
      'a mapping naming a journey channel that does not exist',
      { modelId: 'm_revenue', channelMapping: [{ model: 'radio', journey: 'podcast' }] },
      'channelMapping[0].journey',
      /no journey touched a channel 'podcast'/,
    ],
    [
      'a model whose periods miss the journeys',
      { datasetId: LATE_DATASET, modelId: 'm_revenue' },
      'modelId',
      /the model's periods \(2024-01-01 \.\. 2025-02-23\) do not overlap the journeys' dates \(2026-05-01 \.\. 2026-05-01\)/,
    ],
    ['MMM without a model', { methods: ['LINEAR', 'MMM'] }, 'modelId', /needs a model/],
    ['no journey method', { methods: ['MMM'], modelId: 'm_revenue' }, 'methods', /beside MMM/],
    ['a half-life of 0', { halfLifeDays: 0 }, 'halfLifeDays', /must be above 0/],
  ];

  it.each(cases)('%s', async (_rule, input, field, message) => {
    const before = events.length;
    const reply = await run(input);
    expect(reply.data).toBeNull();
    const error = reply.errors![0];
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [{ field }] });
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(events.length).toBe(before);
  });

  it('refuses an unknown method name before running anything', async () => {
    const reply = await run({ methods: ['LAST_CLICK'] });
    expect(reply.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(reply.errors![0].message).toContain(
      '"LAST_CLICK" does not exist in "AttributionMethod"',
    );
  });

  it('refuses an id that could not name a stored run', async () => {
    const reply = await rig.query('{ attribution(id: "a.b") { id } }');
    expect(reply.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('the MMM column alone', () => {
  it('counts a period by its days inside the journeys and splits a synergy term', () => {
    const model: MediaMixModel = {
      ...revenueModel,
      interactions: [{ a: 'tv', b: 'radio', coefficient: 1000 }],
    };
    const column = mmmColumn({
      model,
      from: '2024-03-10',
      to: '2024-03-10',
      journeyChannels: ['tv', 'radio'],
      mapping: [],
    });
    expect(column.periods).toEqual([{ date: '2024-03-04', days: 7, overlapDays: 1 }]);
    const parts = decompose(model);
    const week = model.periods.dates!.indexOf('2024-03-04');
    const synergy = parts.interactions['tv:radio'][week];
    expect(synergy).toBeGreaterThan(0);
    expect(column.credit.tv).toBeCloseTo((parts.media.tv[week] + synergy / 2) / 7, 9);
    expect(column.credit.radio).toBeCloseTo((parts.media.radio[week] + synergy / 2) / 7, 9);
  });

  it('sums the model channels mapped to one journey channel', () => {
    const column = mmmColumn({
      model: revenueModel,
      from: '2024-03-04',
      to: '2024-03-17',
      journeyChannels: ['offline'],
      mapping: [
        { model: 'tv', journey: 'offline' },
        { model: 'ooh', journey: 'offline' },
      ],
    });
    expect(column.periods.map((p) => p.overlapDays)).toEqual([7, 7]);
    const whole = (name: string) => column.matches.find((m) => m.model === name)!.contribution;
    expect(column.credit).toEqual({ offline: whole('tv') + whole('ooh'), radio: whole('radio') });
  });

  it('names a model channel mapped twice', () => {
    expect(() =>
      mmmColumn({
        model: revenueModel,
        from: '2024-03-04',
        to: '2024-03-17',
        journeyChannels: ['a', 'b'],
        mapping: [
          { model: 'tv', journey: 'a' },
          { model: 'tv', journey: 'b' },
        ],
      }),
    ).toThrow("channelMapping[1].model: 'tv' is already mapped by channelMapping[0]");
  });
});
