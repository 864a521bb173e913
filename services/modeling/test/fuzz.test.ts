// Property-based proof that a bad training config is refused with the field it concerns and
// queues nothing: thousands of generated configs through the checks (resolveTrainingSettings,
// then engineFit against a dataset), then a few hundred through the modeling API's trainModel,
// with the whole store (every KV key, object and stream subject) compared before and after.
import fc from 'fast-check';
import { workspaceStorage, DATASET_KINDS } from '@mmm/platform';
import {
  fuzzRuns,
  notAudit,
  startServiceForTest,
  storeSnapshot,
  type ServiceUnderTest,
} from '@mmm/platform/testkit';
import {
  engineFit,
  modelingApi,
  parseModelingConfig,
  resolveTrainingSettings,
  TrainingRequestError,
  type TrainingRequestFields,
} from '../src';
import { syntheticDataset } from './harness';

jest.setTimeout(120_000);

const { counted, summary } = fuzzRuns('modeling', Number(process.env.FUZZ_SCALE ?? '1'));
afterAll(() => console.log(summary()));

const dataset = syntheticDataset({ seed: 21 });
const PAID = dataset.descriptor.channels.map((c) => c.name);
const PERIODS = dataset.table.dates.length;

/** A field set right, so that a refusal is the bad field's doing. */
const goodFields: fc.Arbitrary<TrainingRequestFields> = fc.record(
  {
    channels: fc.subarray(PAID, { minLength: 1 }),
    iterations: fc.integer({ min: 10, max: 5000 }),
    trials: fc.integer({ min: 1, max: 10 }),
    holdoutPeriods: fc.integer({ min: 0, max: 8 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    bootstrapSamples: fc.integer({ min: 0, max: 50 }),
    fourierOrder: fc.integer({ min: 0, max: 20 }),
    bounds: fc.constant([{ parameter: 'theta', lower: 0.1, upper: 0.5 }]),
  },
  { requiredKeys: [] },
);

interface Bad {
  fields: TrainingRequestFields;
  /** The field the refusal must name. */
  field: string;
}

const outside = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ max: min - 1, min: -(2 ** 31) }),
    fc.integer({ min: max + 1, max: 2 ** 31 - 1 }),
  );

const badDate = fc.constantFrom('2024-02-30', '2024-13-01', '01/02/2024', 'soon', '', '2024-1-1x');

/** One field wrong in one of the ways a caller can get it wrong. */
const oneBadField: fc.Arbitrary<Bad> = fc.oneof(
  outside(10, 1_000_000).map((v) => ({ fields: { iterations: v }, field: 'input.iterations' })),
  outside(1, 1000).map((v) => ({ fields: { trials: v }, field: 'input.trials' })),
  fc
    .integer({ min: -(2 ** 31), max: -1 })
    .map((v) => ({ fields: { seed: v }, field: 'input.seed' })),
  outside(0, 10_000).map((v) => ({
    fields: { bootstrapSamples: v },
    field: 'input.bootstrapSamples',
  })),
  outside(0, 20).map((v) => ({ fields: { fourierOrder: v }, field: 'input.fourierOrder' })),
  outside(0, 3).map((v) => ({ fields: { weeklyOrder: v }, field: 'input.weeklyOrder' })),
  fc
    .integer({ min: -(2 ** 31), max: -1 })
    .map((v) => ({ fields: { holdoutPeriods: v }, field: 'input.holdoutPeriods' })),
  // A holdout that leaves too few periods to fit.
  fc
    .integer({ min: PERIODS - 7, max: 100_000 })
    .map((v) => ({ fields: { holdoutPeriods: v }, field: 'input.holdoutPeriods' })),
  // lower above upper, or outside the parameter's hard limits.
  fc
    .tuple(
      fc.double({ min: 0, max: 0.99, noNaN: true }),
      fc.double({ min: 0, max: 0.99, noNaN: true }),
    )
    .filter(([a, b]) => a > b)
    .map(([lower, upper]) => ({
      fields: { bounds: [{ parameter: 'theta', lower, upper }] },
      field: 'input.bounds[0].lower',
    })),
  fc.double({ min: 1, max: 1e6, noNaN: true }).map((upper) => ({
    fields: { bounds: [{ parameter: 'theta', lower: 0, upper }] },
    field: 'input.bounds[0].lower',
  })),
  // Parameters of other families, or none at all.
  fc.constantFrom('shape', 'scale', 'lam', 'THETA', 'beta', '', 'theta ').map((parameter) => ({
    fields: { bounds: [{ parameter, lower: 0.1, upper: 0.2 }] },
    field: 'input.bounds[0].parameter',
  })),
  fc
    .string({ minLength: 1, maxLength: 8 })
    .filter((c) => !PAID.includes(c))
    .map((channel) => ({
      fields: { bounds: [{ channel, parameter: 'theta', lower: 0.1, upper: 0.2 }] },
      field: 'input.bounds[0].channel',
    })),
  fc
    .string({ minLength: 1, maxLength: 8 })
    .filter((c) => !PAID.includes(c))
    .map((channel) => ({
      fields: { channels: [PAID[0], channel] },
      field: 'input.channels[1]',
    })),
  fc.constantFrom(...PAID).map((channel) => ({
    fields: { channels: [channel, channel] },
    field: 'input.channels',
  })),
  badDate.map((startDate) => ({
    fields: {
      selection: 'best-fit' as const,
      liftTests: [{ channel: PAID[0], startDate, endDate: dataset.table.dates[10], lift: 5 }],
    },
    field: 'input.liftTests[0].startDate',
  })),
  fc.constantFrom(0, -0).map((lift) => ({
    fields: {
      selection: 'best-fit' as const,
      liftTests: [
        {
          channel: PAID[0],
          startDate: dataset.table.dates[5],
          endDate: dataset.table.dates[10],
          lift,
        },
      ],
    },
    field: 'input.liftTests[0].lift',
  })),
  fc.constant({
    fields: {
      selection: 'posterior' as const,
      liftTests: [
        {
          channel: PAID[0],
          startDate: dataset.table.dates[5],
          endDate: dataset.table.dates[10],
          lift: 5,
        },
      ],
    },
    field: 'input.selection',
  }),
  fc.constantFrom('1st', 'a-b', '', 'x'.repeat(65), 'black friday', 'é').map((name) => ({
    fields: { events: [{ date: '2023-03-06', name }] },
    field: 'input.events[0].name',
  })),
  badDate.map((date) => ({
    fields: { events: [{ date, name: 'promo' }] },
    field: 'input.events[0].date',
  })),
);

/** The checks the API runs before it queues a job, in its order. */
function check(fields: TrainingRequestFields) {
  const settings = resolveTrainingSettings(fields);
  return engineFit(settings, dataset.descriptor, dataset.table, 0);
}

function issuesOf(run: () => unknown): Array<{ field: string; message: string }> {
  try {
    run();
  } catch (error) {
    // Anything but the typed refusal (a TypeError, a RangeError) is a crash.
    expect(error).toBeInstanceOf(TrainingRequestError);
    const issues = (error as TrainingRequestError).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.field ?? '').toMatch(/^input(\.|$)/);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return issues.map((i) => ({ field: i.field ?? '', message: i.message }));
  }
  throw new Error('expected a refusal, the config was accepted');
}

describe('training config checks on generated configs (domain)', () => {
  // Sanity: the good fields alone pass, so each refusal below is the bad field's doing.
  it('accepts every config made of good fields', () => {
    fc.assert(
      fc.property(goodFields, (fields) => {
        expect(() => check(fields)).not.toThrow();
      }),
      counted('config: good fields accepted', 300),
    );
  });

  // Catches: any limit check removed (iterations, trials, seed, orders, holdout, bounds, dates,
  // lift tests, event names, channels), or a refusal that names another field.
  it('refuses one bad field among good ones, naming that field', () => {
    fc.assert(
      fc.property(goodFields, oneBadField, (good, bad) => {
        const fields = { ...good, ...bad.fields };
        if (bad.fields.liftTests || bad.field === 'input.bounds[0].channel') delete fields.channels;
        const issues = issuesOf(() => check(fields));
        expect(issues.map((i) => i.field)).toContain(bad.field);
      }),
      counted('config: one bad field', 2000),
    );
  });

  // Catches: a check that throws something untyped on odd but well-typed values (NaN,
  // infinities, huge lists, empty strings) instead of refusing them.
  it('answers any mix of odd values with settings or a typed refusal, never a crash', () => {
    const odd = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 53),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            channels: fc.array(fc.string({ maxLength: 6 }), { maxLength: 5 }),
            iterations: odd,
            trials: odd,
            holdoutPeriods: odd,
            seed: odd,
            bootstrapSamples: odd,
            fourierOrder: odd,
            weeklyOrder: odd,
            bounds: fc.array(
              fc.record({
                channel: fc.option(fc.string({ maxLength: 6 })),
                parameter: fc.constantFrom('theta', 'alpha', 'gamma', 'lam', 'x'),
                lower: odd,
                upper: odd,
              }),
              { maxLength: 3 },
            ),
            events: fc.array(fc.record({ date: fc.string({ maxLength: 12 }), name: fc.string() }), {
              maxLength: 2,
            }),
          },
          { requiredKeys: [] },
        ),
        (fields) => {
          try {
            check(fields);
          } catch (error) {
            expect(error).toBeInstanceOf(TrainingRequestError);
          }
        },
      ),
      counted('config: odd values', 1500),
    );
  });
});

// --- the real API ---------------------------------------------------------------------------

const TRAIN = `mutation ($input: TrainModelInput!) { trainModel(input: $input) { id status } }`;

/** The GraphQL spelling of a domain config (enums in capitals). */
function graphqlInput(fields: TrainingRequestFields): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  if (fields.selection) out.selection = fields.selection.toUpperCase().replace('-', '_');
  return out;
}

describe('the modeling API under generated bad configs', () => {
  const WS = 'ws-fuzz';
  let sut: ServiceUnderTest;
  let before: Record<string, string>;
  const snapshot = () => storeSnapshot(sut.service.storage, { ignoreSubject: notAudit });

  beforeAll(async () => {
    sut = await startServiceForTest(modelingApi, { parse: parseModelingConfig });
    // The dataset as ingestion stores it, through the platform's dataset contract.
    const scoped = workspaceStorage(sut.service.storage, WS);
    const descriptor = { ...dataset.descriptor, workspaceId: WS };
    await scoped.files.put(
      DATASET_KINDS.table,
      descriptor.tableFile,
      new TextEncoder().encode(JSON.stringify(dataset.table)),
    );
    await scoped.kv.datasets.put(DATASET_KINDS.dataset, descriptor.id, descriptor);
    before = await snapshot();
  });
  afterAll(async () => {
    await sut?.stop();
  });

  // Catches: a job record written or a job published before the config is checked; a check
  // that surfaces as INTERNAL_SERVER_ERROR; a refusal that does not name the field.
  it('refuses each bad config with BAD_USER_INPUT naming the field, queuing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(goodFields, oneBadField, async (good, bad) => {
        const fields = { ...good, ...bad.fields };
        if (bad.fields.liftTests || bad.field === 'input.bounds[0].channel') delete fields.channels;
        const reply = await sut.query(TRAIN, WS, {
          input: { datasetId: dataset.descriptor.id, ...graphqlInput(fields) },
        });
        expect(reply.data ?? null).toBeNull();
        const error = reply.errors?.[0];
        expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
        const issues = (error?.extensions?.issues ?? []) as Array<{ field: string }>;
        expect(issues.map((i) => i.field)).toContain(bad.field);
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: trainModel with one bad field', 200),
    );
  });

  /** A value of the wrong GraphQL type for one field of TrainModelInput. */
  const mistyped = fc.record({
    field: fc.constantFrom(
      'iterations',
      'trials',
      'seed',
      'adstock',
      'saturation',
      'selection',
      'keepCandidates',
      'channels',
      'bounds',
      'datasetId',
      'unknownField',
    ),
    value: fc.oneof(
      fc.constantFrom('ten', 'GEOMETRICAL', 'hill', 1.5, 2 ** 40, true, { a: 1 }, [{ b: 2 }]),
      fc.string({ maxLength: 5 }),
    ),
  });

  // Catches: a resolver reached with a mistyped variable (GraphQL's coercion must refuse first).
  it('refuses mistyped GraphQL variables with BAD_USER_INPUT, queuing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(mistyped, async ({ field, value }) => {
        // Values that happen to be of the right type are not a mismatch.
        fc.pre(!(field === 'channels' && typeof value === 'string'));
        fc.pre(!(field === 'datasetId' && typeof value === 'string'));
        fc.pre(!(field === 'keepCandidates' && typeof value === 'boolean'));
        fc.pre(!(typeof value === 'string' && /^[A-Z_]+$/.test(value) && value !== 'GEOMETRICAL'));
        const reply = await sut.query(TRAIN, WS, {
          input: { datasetId: dataset.descriptor.id, iterations: 20, trials: 1, [field]: value },
        });
        expect(reply.data ?? null).toBeNull();
        expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: mistyped GraphQL variables', 100),
    );
  });
});
