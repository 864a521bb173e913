// Security end to end, on the whole platform: subgraphs answer only the gateway's signature;
// one workspace's caller can neither read, change nor infer another workspace's objects through
// any query, field or entity reference; every mutation lands in the audit trail, which only
// admins read. Each check is paired with the same request from the owner, so that it would fail
// if the protection were removed rather than pass on an empty platform.
import { generateSyntheticDataset } from '@mmm/core';
import { gatewayHeaders } from '@mmm/platform/testkit';
import {
  eventually,
  graphql,
  SERVICES,
  type Stack,
  stackToken,
  startStack,
  syntheticIngestInput,
} from '../support/stack';

jest.setTimeout(240_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;

const A = 'sec-owner';
const B = 'sec-other';
let stack: Stack;
let datasetId: string;
let modelId: string;
let jobId: string;
let scenarioId: string;
let reportId: string;

const as = async (
  query: string,
  variables: Record<string, unknown>,
  who: { ws: string; role?: 'viewer' | 'analyst' | 'admin'; subject?: string },
) => {
  const token = await stackToken({
    workspaces: [who.ws],
    roles: [who.role ?? 'admin'],
    subject: who.subject ?? `${who.role ?? 'admin'}-of-${who.ws}`,
  });
  return graphql<Data>(stack.gatewayUrl, query, variables, {
    authorization: `Bearer ${token}`,
    'x-workspace-id': who.ws,
  });
};

/** A call straight to a subgraph, signed as the gateway would sign it for that workspace. */
const direct = async (service: (typeof SERVICES)[number], query: string, ws: string) => {
  const res = await fetch(`${stack.services[service].url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...gatewayHeaders({ workspace: ws }) },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as Data;
};

beforeAll(async () => {
  stack = await startStack();
  const data = generateSyntheticDataset({ seed: 31, periods: 60, channels: 3 });
  const ingested = await as(
    `mutation I($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
    { input: syntheticIngestInput(data) },
    { ws: A, role: 'analyst' },
  );
  expect(ingested.errors).toBeUndefined();
  datasetId = ingested.data.ingestDataset.id;
  const trained = await as(
    `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
    { input: { datasetId, iterations: 150, trials: 1 } },
    { ws: A, role: 'analyst' },
  );
  jobId = trained.data.trainModel.id;
  modelId = await eventually(async () => {
    const r = await as(
      `query J($id: ID!) { trainingJob(id: $id) { status modelId } }`,
      { id: jobId },
      { ws: A },
    );
    if (r.data?.trainingJob.status === 'FAILED') throw new Error('training failed');
    return r.data?.trainingJob.modelId as string | undefined;
  });
  // Promotion (an admin's) gives the model a default scenario and a report.
  const promoted = await as(
    `mutation P($id: ID!) { promoteModel(id: $id) { id } }`,
    { id: modelId },
    { ws: A },
  );
  expect(promoted.errors).toBeUndefined();
  const model = await eventually(async () => {
    const r = await as(
      `query M($id: ID!) { model(id: $id) { optimizations { id } reports { id status } } }`,
      { id: modelId },
      { ws: A },
    );
    const m = r.data?.model;
    return m?.optimizations.length > 0 && m.reports.some((x: Data) => x.status === 'READY') && m;
  });
  scenarioId = model.optimizations[0].id;
  reportId = model.reports[0].id;
});

afterAll(async () => {
  await stack?.stop();
});

describe('subgraphs trust only the gateway', () => {
  it.each(SERVICES)(
    '%s refuses an unsigned call with 401, and answers the signed one',
    async (service) => {
      const url = `${stack.services[service].url}/graphql`;
      const unsigned = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workspace-id': A },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(unsigned.status).toBe(401);
      expect(((await unsigned.json()) as Data).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(await direct(service, '{ __typename }', A)).toEqual({ data: { __typename: 'Query' } });
    },
  );
});

describe("one workspace's caller and another's objects", () => {
  const reads: Array<[string, string, (d: Data) => unknown]> = [
    ['dataset(id)', 'query Q($id: ID!) { dataset(id: $id) { id name } }', (d) => d.dataset],
    ['model(id)', 'query Q($id: ID!) { model(id: $id) { id stage } }', (d) => d.model],
    ['trainingJob(id)', 'query Q($id: ID!) { trainingJob(id: $id) { id } }', (d) => d.trainingJob],
    [
      'scenario via scenarios(modelId)',
      'query Q($id: ID!) { scenarios(modelId: $id) { id } }',
      (d) => d.scenarios[0] ?? null,
    ],
    ['report(id)', 'query Q($id: ID!) { report(id: $id) { id } }', (d) => d.report],
    [
      'reports(modelId)',
      'query Q($id: ID!) { reports(modelId: $id) { id } }',
      (d) => d.reports[0] ?? null,
    ],
    ['models', '{ models { id } }', (d) => d.models[0] ?? null],
    ['datasets', '{ datasets { id } }', (d) => d.datasets[0] ?? null],
  ];

  it.each(reads)('cannot read it through %s (the owner can)', async (_, query, pick) => {
    const id = query.includes('trainingJob')
      ? jobId
      : query.includes('report(id')
        ? reportId
        : query.includes('dataset(id')
          ? datasetId
          : modelId;
    const owner = await as(query, { id }, { ws: A, role: 'viewer' });
    expect(owner.errors).toBeUndefined();
    expect(pick(owner.data)).not.toBeNull();
    const other = await as(query, { id }, { ws: B });
    expect(other.errors).toBeUndefined();
    expect(pick(other.data)).toBeNull();
  });

  it('cannot reach it through an entity reference (_entities) on any subgraph', async () => {
    const entities: Array<[(typeof SERVICES)[number], string, (d: Data) => unknown]> = [
      [
        'ingestion',
        `{ _entities(representations: [{ __typename: "Dataset", id: "${datasetId}" }]) { ... on Dataset { id name } } }`,
        (d) => d._entities[0],
      ],
      [
        'modeling',
        `{ _entities(representations: [{ __typename: "Model", id: "${modelId}" }]) { ... on Model { id stage } } }`,
        (d) => d._entities[0],
      ],
      [
        'modeling',
        `{ _entities(representations: [{ __typename: "Dataset", id: "${datasetId}" }]) { ... on Dataset { models { id } } } }`,
        (d) => d._entities[0]?.models[0] ?? null,
      ],
      [
        'optimization',
        `{ _entities(representations: [{ __typename: "Scenario", id: "${scenarioId}" }]) { ... on Scenario { id budget } } }`,
        (d) => d._entities[0],
      ],
      [
        'optimization',
        `{ _entities(representations: [{ __typename: "Model", id: "${modelId}" }]) { ... on Model { optimizations { id } } } }`,
        (d) => d._entities[0]?.optimizations[0] ?? null,
      ],
      [
        'reporting',
        `{ _entities(representations: [{ __typename: "Model", id: "${modelId}" }]) { ... on Model { reports { id } } } }`,
        (d) => d._entities[0]?.reports[0] ?? null,
      ],
    ];
    for (const [service, query, pick] of entities) {
      const owner = await direct(service, query, A);
      expect([service, owner.errors]).toEqual([service, undefined]);
      expect([service, pick(owner.data)]).toEqual([service, expect.anything()]);
      const other = await direct(service, query, B);
      expect([service, pick(other.data ?? { _entities: [] }) ?? null]).toEqual([service, null]);
    }
  });

  it('cannot change or remove it, even as an admin of its own workspace', async () => {
    const del = await as(
      `mutation D($id: ID!) { deleteDataset(id: $id) }`,
      { id: datasetId },
      { ws: B },
    );
    expect(del.data?.deleteDataset ?? del.errors?.[0].extensions?.code).not.toBe(true);
    const promote = await as(
      `mutation P($id: ID!) { promoteModel(id: $id) { id } }`,
      { id: modelId },
      { ws: B },
    );
    expect(promote.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const optimize = await as(
      `mutation O($m: ID!, $s: ScenarioInput!) { optimizeBudget(modelId: $m, scenario: $s) { id } }`,
      { m: modelId, s: { periods: 4 } },
      { ws: B },
    );
    expect(optimize.errors?.[0].extensions?.code).toMatch(/NOT_FOUND|BAD_USER_INPUT/);
    const report = await as(
      `mutation R($m: ID!) { generateReport(modelId: $m) { id } }`,
      { m: modelId },
      { ws: B },
    );
    expect(report.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // Still there for its owner, unchanged.
    const owner = await as(
      `query Q($id: ID!) { dataset(id: $id) { id } model(id: "${modelId}") { stage } }`,
      { id: datasetId },
      { ws: A },
    );
    expect(owner.data).toEqual({ dataset: { id: datasetId }, model: { stage: 'PRODUCTION' } });
  });
});

describe('the audit trail', () => {
  it('records every mutation with who, what, outcome and request id; only admins read it, their own workspace only', async () => {
    const refused = await as(
      `mutation D($id: ID!) { deleteDataset(id: $id) }`,
      { id: datasetId },
      { ws: A, role: 'viewer', subject: 'vera' },
    );
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const query = `{ auditEvents(limit: 50) { subject role fields outcome errorCodes requestId occurredAt } }`;
    const events = await eventually(async () => {
      const r = await as(query, {}, { ws: A });
      const list = r.data?.auditEvents as Data[] | undefined;
      return list?.some((e) => e.subject === 'vera') && list;
    }, 10_000);
    expect(events[0]).toMatchObject({
      subject: 'vera',
      role: 'viewer',
      fields: ['deleteDataset'],
      outcome: 'REFUSED',
      errorCodes: ['FORBIDDEN'],
    });
    expect(events[0].requestId).toMatch(/\S+/);
    expect(Date.parse(events[0].occurredAt)).toBeGreaterThan(Date.now() - 600_000);
    const done = events.map((e: Data) => `${e.subject} ${e.fields.join(',')} ${e.outcome}`);
    expect(done).toEqual(
      expect.arrayContaining([
        `analyst-of-${A} ingestDataset OK`,
        `analyst-of-${A} trainModel OK`,
        `admin-of-${A} promoteModel OK`,
      ]),
    );
    // Nothing of B's attempts shows in A's trail, and B's admin sees only B's.
    expect(done.some((d: string) => d.startsWith(`admin-of-${B}`))).toBe(false);
    const other = await as(query, {}, { ws: B });
    expect(other.data.auditEvents.length).toBeGreaterThan(0);
    expect(other.data.auditEvents.every((e: Data) => e.subject === `admin-of-${B}`)).toBe(true);
    const analyst = await as(query, {}, { ws: A, role: 'analyst' });
    expect(analyst.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
