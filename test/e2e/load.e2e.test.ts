// Load on the whole platform, bounded in time and count, on loopback: sustained mixed traffic
// through the gateway (reads of models and results, scenario runs) with zero errors, the
// gateway's cost over a direct subgraph call, and a burst of 100 training jobs on two workers,
// all finished, none run twice. Figures are printed for docs/RELIABILITY.md; nothing here is
// timed (the machines are noisy): the assertions are on errors and on counts.
import { generateSyntheticDataset } from '@mmm/core';
import { gatewayHeaders } from '@mmm/platform/testkit';
import {
  eventually,
  graphql,
  logRecords,
  type Stack,
  stackToken,
  startStack,
  syntheticIngestInput,
} from '../support/stack';

// autocannon ships no types; the part used here.
interface Cannon {
  on(
    event: 'response',
    listener: (c: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
  then: Promise<CannonResult>['then'];
}
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Cannon;

jest.setTimeout(300_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const WS = 'load';
let stack: Stack;
let token: string;
let datasetId: string;
let modelId: string;

const gql = (query: string, variables: Record<string, unknown> = {}) =>
  graphql<Data>(stack.gatewayUrl, query, variables, {
    authorization: `Bearer ${token}`,
    'x-workspace-id': WS,
  });

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Runs autocannon; counts GraphQL errors in bodies too; latencies of every response. */
async function load(options: Record<string, unknown>) {
  const latencies: number[] = [];
  let graphqlErrors = 0;
  const requests = (options.requests as Array<Record<string, unknown>>).map((r) => ({
    ...r,
    onResponse: (status: number, body: string) => {
      if (status === 200 && body.includes('"errors"')) graphqlErrors++;
    },
  }));
  const instance = autocannon({ ...options, requests });
  instance.on('response', (_c, _s, _b, ms) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    rps: Math.round(result.requests.average),
    total: result.requests.total,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
  };
}

beforeAll(async () => {
  stack = await startStack();
  token = await stackToken({ subject: 'load-analyst', roles: ['analyst'], workspaces: [WS] });
  const data = generateSyntheticDataset({ seed: 41, periods: 80, channels: 3 });
  const ingested = await gql(
    `mutation I($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
    { input: syntheticIngestInput(data) },
  );
  datasetId = ingested.data.ingestDataset.id;
  const job = await gql(
    `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
    {
      input: { datasetId, iterations: 150, trials: 1 },
    },
  );
  modelId = await eventually(async () => {
    const r = await gql(`query J($id: ID!) { trainingJob(id: $id) { modelId } }`, {
      id: job.data.trainModel.id,
    });
    return r.data?.trainingJob.modelId as string | undefined;
  });
});

afterAll(async () => {
  await stack?.stop();
});

it('serves sustained mixed traffic through the gateway with no error', async () => {
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    'x-workspace-id': WS,
  };
  const body = (query: string, variables: Record<string, unknown> = {}) =>
    JSON.stringify({ query, variables });
  const mixed = await load({
    url: stack.gatewayUrl,
    connections: 8,
    duration: 6,
    requests: [
      {
        method: 'POST',
        headers,
        body: body('{ datasets { id name periodCount models { id stage } } }'),
      },
      {
        method: 'POST',
        headers,
        body: body(
          `query M($id: ID!) { model(id: $id) { metrics { r2 nrmse } channels { channel roas { estimate lower upper } } } }`,
          { id: modelId },
        ),
      },
      {
        method: 'POST',
        headers,
        body: body(
          `query C($id: ID!) { model(id: $id) { responseCurves(points: 20) { channel points { spend response } } } }`,
          { id: modelId },
        ),
      },
      {
        method: 'POST',
        headers,
        body: body(
          `mutation O($m: ID!, $s: ScenarioInput!) { optimizeBudget(modelId: $m, scenario: $s) { id status response { lift { estimate } } } }`,
          {
            m: modelId,
            s: { periods: 8, defaultChannelRule: { minMultiple: 0.5, maxMultiple: 2 } },
          },
        ),
      },
    ],
  });
  // The same read straight to the subgraph (signed as the gateway signs) and through the gateway.
  const list = body('{ datasets { id name } }');
  const direct = await load({
    url: `${stack.services.ingestion.url}/graphql`,
    connections: 4,
    duration: 3,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...gatewayHeaders({ workspace: WS }) },
        body: list,
      },
    ],
  });
  const through = await load({
    url: stack.gatewayUrl,
    connections: 4,
    duration: 3,
    requests: [{ method: 'POST', headers, body: list }],
  });
  console.log(JSON.stringify({ mixed, direct, through }));
  expect(mixed.errors).toBe(0);
  expect(mixed.total).toBeGreaterThan(0);
  expect(direct.errors).toBe(0);
  expect(through.errors).toBe(0);
});

it('finishes a burst of 100 training jobs on two workers, each once', async () => {
  await stack.startWorker();
  const started = Date.now();
  const ids: string[] = [];
  for (let seed = 1; seed <= 100; seed++) {
    const r = await gql(
      `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
      {
        input: { datasetId, iterations: 30, trials: 1, seed },
      },
    );
    expect(r.errors).toBeUndefined();
    ids.push(r.data.trainModel.id);
  }
  const jobs = await eventually(async () => {
    const list = await Promise.all(
      ids.map(
        async (id) =>
          (
            await gql(`query J($id: ID!) { trainingJob(id: $id) { status attempts modelId } }`, {
              id,
            })
          ).data.trainingJob,
      ),
    );
    return list.every((j: Data) => !['QUEUED', 'RUNNING'].includes(j.status)) && list;
  }, 240_000);
  const seconds = (Date.now() - started) / 1000;
  for (const job of jobs) expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  expect(new Set(jobs.map((j: Data) => j.modelId)).size).toBe(100);
  const stored = stack.workers.map((w) =>
    logRecords(w.output)
      .filter((r) => r.msg === 'model stored' && ids.includes(String(r.jobId)))
      .map((r) => String(r.jobId)),
  );
  const all = stored.flat();
  expect(all.length).toBe(100);
  expect(new Set(all).size).toBe(100);
  expect(stored.filter((s) => s.length > 0).length).toBe(2);
  const models = await gql(`query M($d: ID) { models(datasetId: $d) { id } }`, { d: datasetId });
  expect(models.data.models).toHaveLength(101);
  console.log(
    JSON.stringify({ burst: { jobs: 100, seconds, perWorker: stored.map((s) => s.length) } }),
  );
});
