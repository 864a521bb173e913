// Property-based proof that a bad budget scenario is refused with the field it concerns and
// stores nothing: thousands of generated scenarios through the service's checks and the
// engine's (scenarioRequest, then the allocation, its errors mapped as the service maps them),
// then a few hundred through optimizeBudget on a stored model, with the whole store (every KV
// key, object and stream subject) compared before and after.
import fc from 'fast-check';
import {
  fitMediaMix,
  generateSyntheticDataset,
  parseModel,
  serializeModel,
  type MediaMixModel,
} from '@mmm/core';
import {
  MODEL_KINDS,
  ValidationError,
  workspaceStorage,
  type StoredModelArtifact,
} from '@mmm/platform';
import {
  fuzzRuns,
  notAudit,
  startServiceForTest,
  storeSnapshot,
  type ServiceUnderTest,
} from '@mmm/platform/testkit';
import {
  asValidationError,
  optimizationService,
  parseOptimizationConfig,
  scenarioRequest,
  solveScenario,
  type ScenarioInput,
} from '../src';

jest.setTimeout(120_000);

const { counted, summary } = fuzzRuns('optimization', Number(process.env.FUZZ_SCALE ?? '1'));
afterAll(() => console.log(summary()));

let model: MediaMixModel;
let paid: string[];

beforeAll(async () => {
  const data = generateSyntheticDataset({ seed: 9, periods: 60, channels: 3 });
  const fitted = await fitMediaMix(
    {
      dates: data.dates,
      kpi: data.columns[data.kpiColumn],
      controls: data.controlColumns.map((name) => ({ name, values: data.columns[name] })),
      paid: data.spendColumns.map((name) => ({ name, values: data.columns[name] })),
    },
    {
      iterations: 100,
      trials: 1,
      seed: 3,
      workers: 0,
      source: { dataset: { id: 'ds_fuzz', contentHash: 'e'.repeat(64) } },
    },
  );
  model = parseModel(serializeModel(fitted.model));
  paid = model.channels.filter((c) => c.kind === 'paid').map((c) => c.name);
});

interface Bad {
  scenario: Partial<ScenarioInput>;
  /** The refusal must name a field starting with this path. */
  field: string;
}

const unknownChannel = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter((s) => !['tv', 'radio', 'search', 'social', 'display', 'print'].includes(s));

/** One part of a scenario wrong in one of the ways a caller can get it wrong. */
function oneBadPart(): fc.Arbitrary<Bad> {
  const someChannel = fc.constantFrom(...paid);
  return fc.oneof(
    fc
      .oneof(fc.integer({ max: 0, min: -(2 ** 31) }), fc.integer({ min: 1001, max: 2 ** 31 - 1 }))
      .map((periods) => ({ scenario: { periods }, field: 'scenario.periods' })),
    fc
      .constantFrom('', '   ', 'x'.repeat(201))
      .map((name) => ({ scenario: { name }, field: 'scenario.name' })),
    fc
      .double({ max: -1e-6, min: -1e12, noNaN: true })
      .map((budget) => ({ scenario: { budget }, field: 'scenario.budget' })),
    unknownChannel.map((channel) => ({
      scenario: { channels: [{ channel, max: 10 }] },
      field: 'scenario.channels[0]',
    })),
    someChannel.map((channel) => ({
      scenario: { channels: [{ channel }, { channel, max: 5 }] },
      field: 'scenario.channels[1].channel',
    })),
    fc
      .tuple(someChannel, fc.double({ max: -1e-6, min: -1e6, noNaN: true }))
      .map(([channel, v]) => ({
        scenario: { channels: [{ channel, maxMultiple: v }] },
        field: 'scenario.channels[0]',
      })),
    fc
      .tuple(someChannel, fc.double({ max: -1e-6, min: -1e6, noNaN: true }))
      .map(([channel, v]) => ({
        scenario: { channels: [{ channel, min: v }] },
        field: 'scenario.channels[0]',
      })),
    fc.tuple(someChannel, fc.double({ min: 0, max: 1e6, noNaN: true })).map(([channel, v]) => ({
      scenario: { channels: [{ channel, lockedAt: v, locked: false }] },
      field: 'scenario.channels[0].lockedAt',
    })),
    fc.double({ min: 1.000001, max: 1e6, noNaN: true }).map((minShare) => ({
      scenario: { groups: [{ name: 'g', channels: [paid[0], paid[1]], minShare }] },
      field: 'scenario.groups[0]',
    })),
    unknownChannel.map((channel) => ({
      scenario: { groups: [{ name: 'g', channels: [paid[0], channel], maxShare: 0.5 }] },
      field: 'scenario.groups[0]',
    })),
    fc.double({ min: 1.000001, max: 1e3, noNaN: true }).map((minShare) => ({
      scenario: { shareOfVoice: [{ channels: [paid[0]], competitorSpend: 100, minShare }] },
      field: 'scenario.shareOfVoice[0]',
    })),
    fc.double({ max: -1e-6, min: -1e9, noNaN: true }).map((from) => ({
      scenario: { frontier: { from, to: 100, steps: 5 } },
      field: 'scenario.frontier.from',
    })),
    fc.double({ min: 0, max: 1e6, noNaN: true }).map((from) => ({
      scenario: { frontier: { from, to: from, steps: 5 } },
      field: 'scenario.frontier.to',
    })),
    fc
      .oneof(fc.integer({ max: 1, min: -1000 }), fc.integer({ min: 101, max: 1e6 }))
      .map((steps) => ({
        scenario: { frontier: { from: 0, to: 1000, steps } },
        field: 'scenario.frontier.steps',
      })),
  );
}

/** What optimizeBudget runs before it stores anything, with its error mapping. */
function check(input: ScenarioInput) {
  const request = scenarioRequest(input);
  try {
    return solveScenario(model, request.scenario, request.frontier);
  } catch (error) {
    throw asValidationError(error, request);
  }
}

function issuesOf(run: () => unknown): Array<{ field: string; message: string }> {
  try {
    run();
  } catch (error) {
    // Anything but the typed refusal (a TypeError, an engine error let through) is a crash.
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue.field ?? '').toMatch(/^(scenario|modelId)/);
    return issues.map((i) => ({ field: i.field ?? '', message: i.message }));
  }
  throw new Error('expected a refusal, the scenario was accepted');
}

const goodBase = (): fc.Arbitrary<ScenarioInput> =>
  fc.record({
    periods: fc.integer({ min: 1, max: 52 }),
    objective: fc.constantFrom('RESPONSE' as const, 'ROI' as const),
    carryover: fc.constantFrom('HORIZON' as const, 'STEADY_STATE' as const),
  });

describe('scenario checks on generated scenarios (domain)', () => {
  it('accepts the good base scenarios', () => {
    fc.assert(
      fc.property(goodBase(), (s) => {
        expect(() => check(s)).not.toThrow();
      }),
      counted('scenario: good base accepted', 50),
    );
  });

  // Catches: a removed check of the horizon, name, budget, channel, group, share-of-voice or
  // frontier; an engine error let through untyped (it would be INTERNAL_SERVER_ERROR); a
  // refusal naming the wrong field.
  it('refuses one bad part, naming its field', () => {
    fc.assert(
      fc.property(goodBase(), oneBadPart(), (base, bad) => {
        const issues = issuesOf(() => check({ ...base, ...bad.scenario } as ScenarioInput));
        expect(issues.some((i) => i.field.startsWith(bad.field))).toBe(true);
      }),
      counted('scenario: one bad part', 1500),
    );
  });

  // Catches: a rule check that crashes on odd but well-typed numbers instead of refusing them.
  it('answers any mix of rules with a plan or a typed refusal, never a crash', () => {
    const num = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.constantFrom(0, -0, 1, 1e300, -1e300),
    );
    const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const channelName = fc.oneof(fc.constantFrom(...paid), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(
        fc.record(
          {
            periods: fc.integer({ min: -5, max: 60 }),
            budget: maybe(num),
            target: maybe(num),
            objective: maybe(fc.constantFrom('RESPONSE', 'ROI', 'TARGET_ROAS', 'TARGET_CPA')),
            targetOn: maybe(fc.constantFrom('TOTAL', 'MARGINAL')),
            budgetMode: maybe(fc.constantFrom('EQUAL', 'CEILING')),
            channels: maybe(
              fc.array(
                fc.record({
                  channel: channelName,
                  min: maybe(num),
                  max: maybe(num),
                  minMultiple: maybe(num),
                  maxMultiple: maybe(num),
                  locked: maybe(fc.boolean()),
                }),
                { maxLength: 3 },
              ),
            ),
            groups: maybe(
              fc.array(
                fc.record({
                  name: fc.constantFrom('a', 'b', ''),
                  channels: fc.array(channelName, { maxLength: 3 }),
                  minShare: maybe(num),
                  maxShare: maybe(num),
                }),
                { maxLength: 2 },
              ),
            ),
          },
          { requiredKeys: ['periods'] },
        ),
        (input) => {
          try {
            check(input as ScenarioInput);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
          }
        },
      ),
      counted('scenario: odd rules', 600),
    );
  });
});

// --- the real service -------------------------------------------------------------------------

const OPTIMIZE = `mutation ($modelId: ID!, $scenario: ScenarioInput!) {
  optimizeBudget(modelId: $modelId, scenario: $scenario) { id } }`;

describe('the optimization service under generated bad scenarios', () => {
  const WS = 'ws-fuzz';
  const MODEL_ID = 'mdl_fuzz';
  let sut: ServiceUnderTest;
  let before: Record<string, string>;
  const snapshot = () => storeSnapshot(sut.service.storage, { ignoreSubject: notAudit });

  beforeAll(async () => {
    sut = await startServiceForTest(optimizationService, { parse: parseOptimizationConfig });
    // The model as modeling's registry stores it (the platform's artifact contract).
    const artifact: StoredModelArtifact = {
      schemaVersion: 1,
      model: JSON.parse(serializeModel(model)),
      paretoFront: [],
    };
    await workspaceStorage(sut.service.storage, WS).files.put(
      MODEL_KINDS.model,
      MODEL_ID,
      new TextEncoder().encode(JSON.stringify(artifact)),
    );
    // One good scenario stored first, so "nothing changed" is checked on a non-empty store.
    const good = await sut.query(OPTIMIZE, WS, { modelId: MODEL_ID, scenario: { periods: 4 } });
    expect(good.errors).toBeUndefined();
    before = await snapshot();
  });
  afterAll(async () => {
    await sut?.stop();
  });

  // Catches: a scenario stored or optimization.completed published before the checks pass;
  // an engine error surfacing as INTERNAL_SERVER_ERROR; a refusal naming the wrong field.
  it('refuses each bad scenario with BAD_USER_INPUT naming the field, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(goodBase(), oneBadPart(), async (base, bad) => {
        const reply = await sut.query(OPTIMIZE, WS, {
          modelId: MODEL_ID,
          scenario: { ...base, ...bad.scenario },
        });
        expect(reply.data ?? null).toBeNull();
        const error = reply.errors?.[0];
        expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
        const issues = (error?.extensions?.issues ?? []) as Array<{ field: string }>;
        expect(issues.some((i) => i.field.startsWith(bad.field))).toBe(true);
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: optimizeBudget with one bad part', 150),
    );
  });

  // Catches: a resolver reached with a mistyped variable (GraphQL's coercion must refuse first).
  it('refuses mistyped GraphQL variables with BAD_USER_INPUT, storing nothing', async () => {
    const mistyped = fc.record({
      field: fc.constantFrom(
        'periods',
        'budget',
        'objective',
        'carryover',
        'groups',
        'frontier',
        'bogus',
      ),
      value: fc.constantFrom('many', 'MAXIMUM', 1.5, true, { a: 1 }, [{ b: 2 }], 'response'),
    });
    await fc.assert(
      fc.asyncProperty(mistyped, async ({ field, value }) => {
        // A Float field takes an Int; 1.5 is then a valid budget.
        fc.pre(!(field === 'budget' && typeof value === 'number'));
        const reply = await sut.query(OPTIMIZE, WS, {
          modelId: MODEL_ID,
          scenario: { periods: 4, [field]: value },
        });
        expect(reply.data ?? null).toBeNull();
        expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(await snapshot()).toEqual(before);
      }),
      counted('service: mistyped GraphQL variables', 100),
    );
  });
});
