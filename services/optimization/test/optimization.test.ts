// The optimization subgraph on a real nats-server: a model stored as the modeling service
// stores it (the platform's artifact contract), scenarios solved through GraphQL, checked
// against the engine called directly, stored in the contract's shape, announced on NATS; the
// default scenario of a promoted model; the errors a caller can make; workspaces apart.
import {
  allocateBudget,
  efficientFrontier,
  fitMediaMix,
  generateSyntheticDataset,
  modelDraws,
  parseModel,
  serializeModel,
  type AllocationScenario,
  type MediaMixModel,
} from '@mmm/core';
import {
  connectNats,
  createLogger,
  decodeDeadLetter,
  HEADERS,
  MODEL_KINDS,
  openStorage,
  publishEvent,
  readScenario,
  STREAMS,
  subscribeEvents,
  workspaceStorage,
  type EventMessage,
  type NatsConnection,
  type Provisioned,
  type StoredModelArtifact,
  type Subscription,
} from '@mmm/platform';
import { eventually, startServiceForTest, type ServiceUnderTest } from '@mmm/platform/testkit';
import {
  defaultScenarioId,
  optimizationService,
  parseOptimizationConfig,
  scenarioRequest,
  threadSolver,
} from '../src';

jest.setTimeout(30_000);

let rig: ServiceUnderTest;
let nc: NatsConnection;
let storage: Provisioned;
let model: MediaMixModel;
let channels: string[];
let events: Subscription;
const completed: Array<{ message: EventMessage<'optimization.completed'>; msgId?: string }> = [];

const WS = 'acme';
const MODEL_ID = 'mdl_0001';
const DATASET_ID = 'ds_0001';

/** The model's artifact as modeling's registry stores it (kind 'model' in mmm_files). */
async function storeModel(workspaceId: string, id: string, m: MediaMixModel) {
  const artifact: StoredModelArtifact = {
    schemaVersion: 1,
    model: JSON.parse(serializeModel(m)),
    paretoFront: [],
  };
  await workspaceStorage(storage, workspaceId).files.put(
    MODEL_KINDS.model,
    id,
    new TextEncoder().encode(JSON.stringify(artifact)),
  );
}

beforeAll(async () => {
  const data = generateSyntheticDataset({ seed: 5, periods: 80, channels: 4 });
  const fitted = await fitMediaMix(
    {
      dates: data.dates,
      kpi: data.columns[data.kpiColumn],
      controls: data.controlColumns.map((name) => ({ name, values: data.columns[name] })),
      paid: data.spendColumns.map((name) => ({ name, values: data.columns[name] })),
    },
    {
      iterations: 200,
      trials: 1,
      seed: 3,
      workers: 0,
      // Fewer draws than the default 200 keep the many scenarios below quick.
      draws: 40,
      source: { dataset: { id: DATASET_ID, contentHash: 'f'.repeat(64) } },
    },
  );
  // What the service reads back: the model after its trip through JSON.
  model = parseModel(serializeModel(fitted.model));
  channels = model.channels.filter((c) => c.kind === 'paid').map((c) => c.name);
  rig = await startServiceForTest(optimizationService, { parse: parseOptimizationConfig });
  nc = await connectNats({ NATS_URL: rig.nats.url, name: 'test' });
  storage = await openStorage(nc);
  await storeModel(WS, MODEL_ID, model);
  events = await subscribeEvents(
    storage.js,
    'optimization.completed',
    async (d) => {
      completed.push({ message: d.message, msgId: d.msgId });
    },
    { deliver: 'all' },
  );
});

afterAll(async () => {
  await events?.stop();
  await nc?.close();
  await rig?.stop();
});

const SCENARIO_FIELDS = `
  id name modelId datasetId origin createdAt objective target targetOn carryover periods
  kpiName kpiType method status budget
  spend { current recommended }
  channels { channel current recommended change lower upper
    response { current recommended lift } roas cpa marginalRoas bound beyondHistory }
  response { current { estimate lower upper } recommended { estimate lower upper }
    lift { estimate lower upper } }
  expectedKpi { current { estimate } recommended { estimate } lift { estimate lower upper } }
  currentRoas recommendedRoas marginalRoas
  binding { rule kind channels spend shadowPrice }
  notes frontier { budget response lift roas } input`;

const OPTIMIZE = `mutation O($modelId: ID!, $scenario: ScenarioInput!) {
  optimizeBudget(modelId: $modelId, scenario: $scenario) { ${SCENARIO_FIELDS} } }`;

const optimize = (scenario: Record<string, unknown>, workspace = WS, modelId = MODEL_ID) =>
  rig.query(OPTIMIZE, workspace, { modelId, scenario });

type Issue = { field?: string; message: string };
const issuesOf = (reply: Awaited<ReturnType<typeof optimize>>) => {
  expect(reply.data).toBeNull();
  expect(reply.errors).toHaveLength(1);
  expect(reply.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  return reply.errors?.[0].extensions?.issues as Issue[];
};

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('optimizeBudget', () => {
  // Four channels: the first capped at 1.2x, the second at least 0.8x of current, the third
  // locked, the first two together at most 85% of the spend; the budget as today.
  const rules = () => ({
    channels: [
      { channel: channels[0], maxMultiple: 1.2 },
      { channel: channels[1], minMultiple: 0.8 },
      { channel: channels[2], locked: true },
    ],
    defaultChannelRule: { minMultiple: 0.5, maxMultiple: 2 },
    groups: [{ name: 'pair', channels: [channels[0], channels[1]], maxShare: 0.85 }],
  });
  const engineScenario = (): AllocationScenario => ({
    periods: 13,
    channels: {
      [channels[0]]: { maxMultiple: 1.2 },
      [channels[1]]: { minMultiple: 0.8 },
      [channels[2]]: { locked: true },
    },
    defaultChannelRule: { minMultiple: 0.5, maxMultiple: 2 },
    groups: [{ name: 'pair', channels: [channels[0], channels[1]], maxShare: 0.85 }],
  });
  let scenario: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    const reply = await optimize({ name: 'Q3 plan', periods: 13, ...rules() });
    expect(reply.errors).toBeUndefined();
    scenario = reply.data?.optimizeBudget;
  });

  it('meets every rule, spends the budget and is never below the current mix', () => {
    const byName = Object.fromEntries(
      scenario.channels.map((c: { channel: string }) => [c.channel, c]),
    );
    const current = model.channels.filter((c) => c.kind === 'paid').map((c) => c.meanSpend);
    const tol = 1e-9 * sum(current);
    const [a, b, locked, free] = channels.map((name) => byName[name]);
    expect(a.recommended).toBeLessThanOrEqual(1.2 * a.current + tol);
    expect(b.recommended).toBeGreaterThanOrEqual(0.8 * b.current - tol);
    expect(locked).toMatchObject({ recommended: locked.current, bound: 'LOCKED' });
    expect(free.recommended).toBeGreaterThanOrEqual(0.5 * free.current - tol);
    expect(free.recommended).toBeLessThanOrEqual(2 * free.current + tol);
    const total = sum(scenario.channels.map((c: { recommended: number }) => c.recommended));
    expect(a.recommended + b.recommended).toBeLessThanOrEqual(0.85 * total + tol);
    // The budget defaults to today's spend over the horizon, and all of it is spent.
    expect(scenario.budget).toBeCloseTo(13 * sum(current), 6);
    expect(scenario.spend.recommended).toBeCloseTo(scenario.budget, 6);
    expect(scenario.response.recommended.estimate).toBeGreaterThanOrEqual(
      scenario.response.current.estimate,
    );
    expect(scenario.response.lift.estimate).toBeCloseTo(
      scenario.response.recommended.estimate - scenario.response.current.estimate,
      6,
    );
    for (const c of scenario.channels) {
      expect(c.response.lift).toBeCloseTo(c.response.recommended - c.response.current, 6);
    }
  });

  it('is what the engine answers for the same scenario', () => {
    const direct = allocateBudget(model, engineScenario());
    expect(scenario).toMatchObject({
      objective: 'RESPONSE',
      targetOn: 'TOTAL',
      carryover: 'HORIZON',
      periods: 13,
      method: direct.method,
      status: direct.status.toUpperCase().replace('-', '_'),
      budget: direct.budget,
      marginalRoas: direct.marginalRoas,
    });
    expect(scenario.channels.map((c: { recommended: number }) => c.recommended)).toEqual(
      direct.channels.map((c) => c.recommended),
    );
    expect(scenario.response.recommended.estimate).toBe(direct.response.recommended.estimate);
    expect(scenario.expectedKpi.recommended.estimate).toBe(direct.expectedKpi.recommended.estimate);
    expect(scenario.binding.map((b: { rule: string }) => b.rule)).toEqual(
      direct.binding.map((b) => b.rule),
    );
    expect(scenario.binding.map((b: { rule: string }) => b.rule)).toContain(
      `channels.${channels[2]}.locked`,
    );
  });

  it("gives intervals over the model's draws, as the engine does, and no frontier unless asked", () => {
    const direct = allocateBudget(model, engineScenario(), { draws: modelDraws(model) });
    expect(direct.draws).toBe(40);
    for (const figure of [scenario.response.lift, scenario.response.recommended]) {
      expect(figure.lower).toBeLessThanOrEqual(figure.estimate);
      expect(figure.upper).toBeGreaterThanOrEqual(figure.estimate);
      expect(figure.upper).toBeGreaterThan(figure.lower);
    }
    expect(scenario.response.lift).toEqual({
      estimate: direct.response.lift.estimate,
      lower: direct.response.lift.lower,
      upper: direct.response.lift.upper,
    });
    expect(scenario.expectedKpi.lift.lower).toBe(direct.expectedKpi.lift.lower);
    expect(scenario.frontier).toBeNull();
    expect(scenario).toMatchObject({
      name: 'Q3 plan',
      modelId: MODEL_ID,
      datasetId: DATASET_ID,
      origin: 'API',
      kpiType: 'REVENUE',
    });
    // The revenue KPI's measure only.
    expect(scenario.channels.every((c: { cpa: unknown }) => c.cpa === null)).toBe(true);
    expect(scenario.channels[0].roas).toBeGreaterThan(0);
  });

  it('has no intervals for a model saved without draws (schema 3 and before)', async () => {
    const withoutDraws: MediaMixModel = {
      ...model,
      uncertainty: { ...model.uncertainty!, draws: undefined, combined: undefined },
    };
    await storeModel(WS, 'mdl_nodraws', withoutDraws);
    const reply = await optimize({ name: 'no draws', periods: 13 }, WS, 'mdl_nodraws');
    expect(reply.errors).toBeUndefined();
    const s = reply.data?.optimizeBudget;
    expect(s.response.lift).toMatchObject({ lower: null, upper: null });
    expect(s.expectedKpi.lift).toMatchObject({ lower: null, upper: null });
  });

  it('is stored in the contract shape other services read, and announced once', async () => {
    const stored = await readScenario(workspaceStorage(storage, WS), scenario.id);
    expect(stored).toMatchObject({
      schemaVersion: 1,
      id: scenario.id,
      workspaceId: WS,
      modelId: MODEL_ID,
      datasetId: DATASET_ID,
      name: 'Q3 plan',
      origin: 'api',
      frontier: null,
    });
    expect(stored?.allocation.channels.map((c) => c.recommended)).toEqual(
      scenario.channels.map((c: { recommended: number }) => c.recommended),
    );
    expect(JSON.parse(scenario.input)).toEqual(JSON.parse(JSON.stringify(engineScenario())));
    const event = await eventually(() =>
      completed.find((e) => e.message.scenarioId === scenario.id),
    );
    expect(event.msgId).toBe(`optimization.completed:${WS}:${scenario.id}`);
    expect(event.message).toMatchObject({
      workspaceId: WS,
      modelId: MODEL_ID,
      datasetId: DATASET_ID,
      objective: 'maximize_response',
      origin: 'api',
      scenarioName: 'Q3 plan',
      periods: 13,
      totalBudget: scenario.budget,
      expectedResponse: scenario.response.recommended.estimate,
      expectedLift: scenario.response.lift.estimate,
    });
    expect(event.message.allocations.map((c) => c.optimalSpend)).toEqual(
      scenario.channels.map((c: { recommended: number }) => c.recommended),
    );
  });

  it('is read back by id, listed under its model and on the Model entity', async () => {
    const byId = await rig.query(
      `query S($id: ID!) { scenario(id: $id) { id channels { recommended } } }`,
      WS,
      {
        id: scenario.id,
      },
    );
    expect(byId.data?.scenario).toEqual({
      id: scenario.id,
      channels: scenario.channels.map((c: { recommended: number }) => ({
        recommended: c.recommended,
      })),
    });
    const listed = await rig.query(`{ scenarios(modelId: "${MODEL_ID}") { id } }`, WS);
    expect(listed.data?.scenarios.map((s: { id: string }) => s.id)).toContain(scenario.id);
    const entity = await rig.query(
      `query E($r: [_Any!]!) { _entities(representations: $r) {
        ... on Model { id optimizations { id origin } } } }`,
      WS,
      { r: [{ __typename: 'Model', id: MODEL_ID }] },
    );
    expect(entity.data?._entities[0].optimizations).toContainEqual({
      id: scenario.id,
      origin: 'API',
    });
  });

  it('keeps the efficient frontier when asked, as the engine draws it', async () => {
    const budget = scenario.budget;
    // Without the group: share rules on S-shaped curves cost a grid program per total.
    const withoutGroup = { ...rules(), groups: undefined };
    const reply = await optimize({
      periods: 13,
      objective: 'ROI',
      budget: 1.5 * budget,
      ...withoutGroup,
      frontier: { from: 0.8 * budget, to: 1.2 * budget, steps: 5 },
    });
    expect(reply.errors).toBeUndefined();
    const roi = reply.data?.optimizeBudget;
    const direct = efficientFrontier(
      model,
      { ...engineScenario(), groups: undefined },
      [0.8, 0.9, 1, 1.1, 1.2].map((k) => k * budget),
    );
    expect(roi.objective).toBe('ROI');
    expect(roi.spend.recommended).toBeLessThanOrEqual(1.5 * budget * (1 + 1e-9));
    expect(roi.frontier).toHaveLength(5);
    roi.frontier.forEach((p: { budget: number; response: number; lift: number }, i: number) => {
      expect(p.budget).toBeCloseTo(direct[i].budget, 6);
      expect(p.response).toBeCloseTo(direct[i].response, 6);
      expect(p.lift).toBeCloseTo(p.response - roi.response.current.estimate, 6);
    });
    const stored = await readScenario(workspaceStorage(storage, WS), roi.id);
    expect(stored?.frontier).toHaveLength(5);
  });
});

describe('a request the model cannot serve', () => {
  const cases: Array<[string, () => Record<string, unknown>, string[]]> = [
    [
      'an unknown channel',
      () => ({ periods: 13, channels: [{ channel: channels[0] }, { channel: 'cinema' }] }),
      ['scenario.channels[1].channel'],
    ],
    [
      'an unknown channel in a group',
      () => ({ periods: 13, groups: [{ name: 'digital', channels: [channels[0], 'cinema'] }] }),
      ['scenario.groups[0].channels[1]'],
    ],
    ['a negative budget', () => ({ periods: 13, budget: -5 }), ['scenario.budget']],
    [
      'a channel given two rules',
      () => ({ periods: 13, channels: [{ channel: channels[0] }, { channel: channels[0] }] }),
      ['scenario.channels[1].channel'],
    ],
    ['a horizon of no periods', () => ({ periods: 0 }), ['scenario.periods']],
    [
      'a CPA target on a revenue model',
      () => ({ periods: 13, objective: 'TARGET_CPA', target: 20 }),
      ['scenario.objective'],
    ],
    [
      'a frontier that ends before it starts',
      () => ({ periods: 13, frontier: { from: 10, to: 5, steps: 4 } }),
      ['scenario.frontier.to'],
    ],
    [
      'a frontier of too many budgets',
      () => ({ periods: 13, frontier: { from: 1, to: 2, steps: 2_000_000_000 } }),
      ['scenario.frontier.steps'],
    ],
    [
      'a channel whose bounds cross',
      () => ({ periods: 13, channels: [{ channel: channels[1], min: 1000, max: 10 }] }),
      ['scenario.channels[0].min', 'scenario.channels[0].max'],
    ],
    [
      'a lock outside the channel bounds',
      () => ({ periods: 13, channels: [{ channel: channels[1], lockedAt: 5e9, max: 1e6 }] }),
      ['scenario.channels[0].lockedAt', 'scenario.channels[0].max'],
    ],
    [
      'floors above the budget',
      () => ({
        periods: 13,
        budget: 1000,
        channels: [{ channel: channels[0], min: 1e6 }],
      }),
      ['scenario.budget', 'scenario.channels[0].min'],
    ],
    [
      'a group share its channels cannot reach',
      () => ({
        periods: 13,
        channels: [{ channel: channels[3], maxMultiple: 1 }],
        groups: [{ name: 'solo', channels: [channels[3]], minShare: 0.9 }],
      }),
      ['scenario.groups[0].minShare', 'scenario.channels[0].maxMultiple'],
    ],
  ];

  it.each(cases)('%s is BAD_USER_INPUT naming the fields', async (_, scenario, fields) => {
    const issues = issuesOf(await optimize(scenario()));
    expect(issues.map((i) => i.field).sort()).toEqual([...fields].sort());
  });

  it('names a budget that is not a finite number', async () => {
    // 1e400 is valid GraphQL and parses to Infinity.
    const reply = await rig.query(
      `mutation { optimizeBudget(modelId: "${MODEL_ID}", scenario: { periods: 13, budget: 1e400 }) { id } }`,
      WS,
    );
    const issues = issuesOf(reply);
    expect(issues).toEqual([
      { field: 'scenario.budget', message: expect.stringContaining('finite') },
    ]);
  });

  it('names an unknown model, and stores nothing for any of these', async () => {
    const issues = issuesOf(await optimize({ periods: 13 }, WS, 'mdl_missing'));
    expect(issues).toEqual([{ field: 'modelId', message: expect.stringContaining('mdl_missing') }]);
    const listed = await rig.query(`{ scenarios(modelId: "mdl_missing") { id } }`, WS);
    expect(listed.data?.scenarios).toEqual([]);
    const own = await readScenario(workspaceStorage(storage, WS), 'sc_none');
    expect(own).toBeNull();
  });
});

describe('workspaces', () => {
  it('keep a model and its scenarios from every other workspace', async () => {
    const mine = await optimize({ periods: 4 });
    const id = mine.data?.optimizeBudget.id;
    expect(id).toEqual(expect.any(String));
    const issues = issuesOf(await optimize({ periods: 4 }, 'rival'));
    expect(issues[0].field).toBe('modelId');
    const read = await rig.query(`query S($id: ID!) { scenario(id: $id) { id } }`, 'rival', { id });
    expect(read.data?.scenario).toBeNull();
    const listed = await rig.query(`{ scenarios(modelId: "${MODEL_ID}") { id } }`, 'rival');
    expect(listed.data?.scenarios).toEqual([]);
    const stored = await readScenario(workspaceStorage(storage, 'rival'), id);
    expect(stored).toBeNull();
  });
});

describe('the default scenario of a promoted model', () => {
  const ws = 'promo';
  const modelId = 'mdl_promoted';

  async function consumerSettled(delivered: number) {
    await eventually(async () => {
      const info = await storage.jsm.consumers.info(STREAMS.events, 'optimization_model_promoted');
      return info.delivered.consumer_seq >= delivered && info.num_ack_pending === 0;
    }, 15_000);
  }

  const completedCount = async () => {
    const info = await storage.jsm.streams.info(STREAMS.events, {
      subjects_filter: 'mmm.v1.optimization.completed',
    });
    return info.state.subjects?.['mmm.v1.optimization.completed'] ?? 0;
  };

  it('is solved once, however often the promotion arrives: budget as today, 13 weeks, 0.5x-2x', async () => {
    await storeModel(ws, modelId, model);
    const before = await storage.jsm.consumers.info(STREAMS.events, 'optimization_model_promoted');
    const eventsBefore = await completedCount();
    // The same promotion twice (a redelivery, or the promotion repeated after the window in
    // which JetStream drops a duplicate message id).
    for (const msgId of ['model.promoted:promo:a', 'model.promoted:promo:b']) {
      await publishEvent(
        storage.js,
        'model.promoted',
        { workspaceId: ws, modelId, datasetId: DATASET_ID, version: 1 },
        { msgId },
      );
    }
    await consumerSettled(before.delivered.consumer_seq + 2);

    const listed = await rig.query(
      `{ scenarios(modelId: "${modelId}") { id name origin periods budget objective
        channels { current recommended lower upper } response { lift { estimate } } } }`,
      ws,
    );
    expect(listed.data?.scenarios).toHaveLength(1);
    const [s] = listed.data?.scenarios ?? [];
    expect(s).toMatchObject({
      id: defaultScenarioId(ws, modelId),
      origin: 'PROMOTION',
      periods: 13,
      objective: 'RESPONSE',
    });
    const current = sum(s.channels.map((c: { current: number }) => c.current));
    expect(s.budget).toBeCloseTo(13 * current, 6);
    for (const c of s.channels) {
      expect(c.lower).toBeCloseTo(0.5 * c.current, 9);
      expect(c.upper).toBeCloseTo(2 * c.current, 9);
      expect(c.recommended).toBeGreaterThanOrEqual(c.lower * (1 - 1e-9));
      expect(c.recommended).toBeLessThanOrEqual(c.upper * (1 + 1e-9));
    }
    expect(s.response.lift.estimate).toBeGreaterThanOrEqual(0);
    const direct = allocateBudget(model, {
      periods: 13,
      defaultChannelRule: { minMultiple: 0.5, maxMultiple: 2 },
    });
    expect(s.channels.map((c: { recommended: number }) => c.recommended)).toEqual(
      direct.channels.map((c) => c.recommended),
    );
    // Announced once: the second delivery republishes under the same message id.
    expect((await completedCount()) - eventsBefore).toBe(1);
  });

  it('parks the promotion of a model that is not stored, with MODEL_NOT_FOUND', async () => {
    const parked = nc.subscribe('mmm.v1.dlq.model.promoted', { max: 1 });
    await publishEvent(storage.js, 'model.promoted', {
      workspaceId: ws,
      modelId: 'mdl_ghost',
      datasetId: DATASET_ID,
      version: 2,
    });
    for await (const m of parked) {
      expect(m.headers?.get(HEADERS.errorCode)).toBe('MODEL_NOT_FOUND');
      expect(decodeDeadLetter(m.data).reason).toContain('mdl_ghost');
    }
  });
});

describe('the solver threads', () => {
  it('stop a solve that runs past its time limit and go on with the next one', async () => {
    const logger = createLogger('solver-test', { level: 'silent' });
    const solver = threadSolver({ threads: 1, timeoutMs: 500, logger });
    try {
      // ROI on S-shaped curves under a share rule: a grid program per total, seconds here.
      const slow = scenarioRequest({
        periods: 13,
        objective: 'ROI',
        groups: [{ name: 'pair', channels: [channels[0], channels[1]], maxShare: 0.85 }],
      });
      const quick = scenarioRequest({ periods: 4 });
      const [late, next] = await Promise.allSettled([
        solver.solve(model, slow),
        solver.solve(model, quick),
      ]);
      expect(late).toMatchObject({
        status: 'rejected',
        reason: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('500 ms') },
      });
      expect(next.status).toBe('fulfilled');
      const solved = (next as PromiseFulfilledResult<Awaited<ReturnType<typeof solver.solve>>>)
        .value;
      expect(solved.allocation.channels.map((c) => c.recommended)).toEqual(
        allocateBudget(model, { periods: 4 }).channels.map((c) => c.recommended),
      );
    } finally {
      await solver.stop();
    }
  });
});

it('is ready while NATS is connected, and counts its scenarios on /metrics', async () => {
  expect((await rig.get('/readyz')).status).toBe(200);
  const metrics = await (await rig.get('/metrics')).text();
  expect(metrics).toMatch(/optimization_scenarios_total\{[^}]*origin="api"[^}]*outcome="stored"/);
  expect(metrics).toMatch(/optimization_solve_duration_seconds_count\{/);
});
