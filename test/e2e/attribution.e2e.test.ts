// Attribution end to end, through the gateway only: journeys ingested, a model trained on a media
// mix dataset over the same weeks, attribution run with the model's column beside the journey
// methods, the comparison read back, with the journey dataset and the model resolved by the
// services that own them.
import { generateSyntheticDataset, toCsv } from '@mmm/core';
import { graphql, startStack, type Stack } from '../support/stack';

jest.setTimeout(180_000);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const WS = 'e2e-attribution';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const reply = await graphql<Data>(stack.gatewayUrl, query, variables, { 'x-workspace-id': WS });
  expect(reply.errors).toBeUndefined();
  return reply.data;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 400 journeys over the four whole weeks from Monday 2024-03-04 to Sunday 2024-03-31, on the
 * channels TV and Radio (the model's tv and radio under other names) and search (no model
 * channel): paths of one to three touches, a third of them converting.
 */
function journeyCsv(): string {
  const channels = ['TV', 'Radio', 'search'];
  const start = Date.parse('2024-03-04T00:00:00Z');
  const lines = ['journey_id,timestamp,channel,converted,conversion_value'];
  for (let j = 0; j < 400; j++) {
    const converted = j % 3 === 0 ? 1 : 0;
    const value = converted ? 40 + (j % 7) : 0;
    const touches = 1 + (j % 3);
    for (let k = 0; k < touches; k++) {
      const at = start + ((j * 97 + k * 13) % (28 * 24)) * 3_600_000;
      const channel = channels[(j + k * (1 + (j % 2))) % 3];
      lines.push(`u${j},${new Date(at).toISOString()},${channel},${converted},${value}`);
    }
  }
  return lines.join('\n');
}

it('ingests journeys, trains a model over the same weeks and compares their credit', async () => {
  // A media mix dataset over 2024: channels tv, radio, ooh, weekly from Monday 2024-01-01.
  const data = generateSyntheticDataset({
    seed: 11,
    periods: 52,
    channels: 3,
    startDate: '2024-01-01',
  });
  const [ingested, journeys] = await Promise.all([
    gql(`mutation I($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`, {
      input: {
        content: toCsv(data),
        frequency: 'WEEKLY',
        roles: {
          date: data.dateColumn,
          kpi: data.kpiColumn,
          kpiType: 'REVENUE',
          paidMedia: data.truth.channels.map((c) => ({ spend: c.spendColumn, channel: c.name })),
          controls: data.controlColumns,
        },
      },
    }),
    gql(
      `mutation J($input: IngestJourneysInput!) { ingestJourneys(input: $input) {
        id journeys touchpoints conversions value startDate endDate channels { name } } }`,
      { input: { content: journeyCsv(), name: 'March journeys' } },
    ),
  ]);
  const journeyDataset = journeys.ingestJourneys;
  expect(journeyDataset).toMatchObject({
    journeys: 400,
    touchpoints: 799,
    conversions: 134,
    startDate: '2024-03-04',
    endDate: '2024-03-31',
    channels: [{ name: 'Radio' }, { name: 'TV' }, { name: 'search' }],
  });

  const job = (
    await gql(`mutation T($input: TrainModelInput!) { trainModel(input: $input) { id } }`, {
      input: { datasetId: ingested.ingestDataset.id, iterations: 60, trials: 1, seed: 5 },
    })
  ).trainModel.id;
  let modelId: string | null = null;
  for (const deadline = Date.now() + 120_000; modelId === null && Date.now() < deadline; ) {
    const state = (
      await gql(`query J($id: ID!) { trainingJob(id: $id) { status modelId error } }`, { id: job })
    ).trainingJob;
    expect(['QUEUED', 'RUNNING', 'SUCCEEDED']).toContain(state.status);
    if (state.status === 'SUCCEEDED') modelId = state.modelId;
    else await sleep(200);
  }
  expect(modelId).not.toBeNull();

  const run = (
    await gql(`mutation R($input: RunAttributionInput!) { runAttribution(input: $input) { id } }`, {
      input: {
        datasetId: journeyDataset.id,
        modelId,
        channelMapping: [
          { model: 'tv', journey: 'TV' },
          { model: 'radio', journey: 'Radio' },
        ],
      },
    })
  ).runAttribution;

  const read = await gql(
    `query A($id: ID!, $model: ID!, $ds: ID!) {
      attribution(id: $id) {
        methods channels totals { conversions value }
        columns { method source unit conversions value }
        rows { channel cells { method conversions value share } }
        mmm { kpiType unit periods { date overlapDays } matches { model journey by contribution } }
        journeyDataset { name journeys }
        model { id kpiType }
      }
      model(id: $model) { decomposition(from: "2024-03-04", to: "2024-03-25") { dates media { name values } } }
      journeyDataset(id: $ds) { attributions { id } }
    }`,
    { id: run.id, model: modelId, ds: journeyDataset.id },
  );
  const a = read.attribution;
  expect(a.methods).toEqual([
    'LAST_TOUCH',
    'FIRST_TOUCH',
    'LINEAR',
    'TIME_DECAY',
    'POSITION_BASED',
    'MARKOV',
    'SHAPLEY',
    'MMM',
  ]);
  expect(a.channels).toEqual(['Radio', 'TV', 'search', 'ooh']);
  // Every journey method credits exactly the observed conversions and value.
  expect(a.totals).toEqual({ conversions: 134, value: journeyDataset.value });
  for (const column of a.columns.slice(0, 7)) {
    expect(column.source).toBe('JOURNEYS');
    expect(column.conversions).toBeCloseTo(134, 6);
    expect(column.value).toBeCloseTo(journeyDataset.value, 6);
  }
  // The federation: the journey dataset from ingestion, the model from modeling.
  expect(a.journeyDataset).toEqual({ name: 'March journeys', journeys: 400 });
  expect(a.model).toEqual({ id: modelId, kpiType: 'REVENUE' });
  expect(read.journeyDataset.attributions).toEqual([{ id: run.id }]);

  // The MMM column is the model's decomposition over the four weeks the journeys cover.
  expect(a.mmm).toMatchObject({ kpiType: 'REVENUE', unit: 'VALUE' });
  expect(a.mmm.periods).toEqual(
    ['2024-03-04', '2024-03-11', '2024-03-18', '2024-03-25'].map((date) => ({
      date,
      overlapDays: 7,
    })),
  );
  const decomposition = read.model.decomposition;
  expect(decomposition.dates).toHaveLength(4);
  const served = (name: string) =>
    decomposition.media
      .find((m: Data) => m.name === name)
      .values.reduce((s: number, v: number) => s + v, 0);
  const mmm = (channel: string) =>
    a.rows.find((r: Data) => r.channel === channel).cells.find((c: Data) => c.method === 'MMM');
  expect(mmm('TV').value).toBeCloseTo(served('tv'), 6);
  expect(mmm('Radio').value).toBeCloseTo(served('radio'), 6);
  expect(mmm('ooh').value).toBeCloseTo(served('ooh'), 6);
  expect(mmm('search')).toEqual({ method: 'MMM', conversions: null, value: null, share: null });
  expect(mmm('TV').share + mmm('Radio').share + mmm('ooh').share).toBeCloseTo(1, 9);

  // Modeling heard both datasets announced and left the journeys alone.
  const handled = async () => {
    const text = await (await fetch(`${stack.services.modeling.url}/metrics`)).text();
    const found = text.match(
      /nats_messages_processed_total\{subject="mmm\.v1\.dataset\.ingested",outcome="ok"\} (\d+)/,
    );
    return { text, count: Number(found?.[1] ?? 0) };
  };
  let seen = await handled();
  for (const deadline = Date.now() + 10_000; seen.count < 2 && Date.now() < deadline; ) {
    await sleep(100);
    seen = await handled();
  }
  const metrics = seen.text;
  expect(seen.count).toBe(2);
  expect(metrics).not.toMatch(/subject="mmm\.v1\.dataset\.ingested",outcome="(retry|dead_letter)"/);
  const models = await gql(`{ models { id datasetId } }`);
  expect(models.models).toEqual([{ id: modelId, datasetId: ingested.ingestDataset.id }]);
});
