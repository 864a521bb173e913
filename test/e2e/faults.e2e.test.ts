// Faults on the whole platform (one stack, tests in order, the most destructive last):
// nats-server killed mid-pipeline and started again on the same port and store; a subgraph
// killed while the gateway keeps serving; the gateway killed under load. Figures (outage and
// recovery times, request counts) are printed and kept in docs/RELIABILITY.md.
import { generateSyntheticDataset } from '@mmm/core';
import { publishEvent } from '@mmm/platform';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { graphql, SERVICES, type Stack, startStack, syntheticIngestInput } from '../support/stack';

jest.setTimeout(240_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const figures: Record<string, unknown> = {};
afterAll(() => console.log(`fault figures: ${JSON.stringify(figures)}`));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

/** A promise's outcome, or `hung` when it has not settled within `ms` (a bounded wait). */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown } | { hung: true };
function bounded<T>(promise: Promise<T>, ms: number): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), ms);
  });
  const settled = promise.then(
    (value): Outcome<T> => ({ ok: true, value }),
    (error: unknown): Outcome<T> => ({ ok: false, error }),
  );
  return Promise.race([settled, hung]).finally(() => clearTimeout(timer));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const gql = (query: string, variables: Record<string, unknown> = {}, ws = 'default') =>
  graphql<Data>(stack.gatewayUrl, query, variables, { 'x-workspace-id': ws });

async function ingest(seed: number, ws: string): Promise<string> {
  const data = generateSyntheticDataset({ seed, periods: 80, channels: 3 });
  const reply = await gql(
    `mutation I($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
    { input: syntheticIngestInput(data) },
    ws,
  );
  expect(reply.errors).toBeUndefined();
  return reply.data.ingestDataset.id;
}

async function train(ws: string, datasetId: string): Promise<string> {
  const reply = await gql(
    `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id } }`,
    { input: { datasetId, iterations: 400, trials: 2, seed: 5 } },
    ws,
  );
  expect(reply.errors).toBeUndefined();
  return reply.data.trainModel.id;
}

async function settled(id: string, ws: string) {
  return eventually(async () => {
    const job = (
      await gql(
        `query J($id: ID!) { trainingJob(id: $id) { id status modelId error } }`,
        { id },
        ws,
      )
    ).data?.trainingJob;
    return job && !['QUEUED', 'RUNNING'].includes(job.status) ? job : null;
  }, 150_000);
}

/** /readyz of every service, the training worker and the gateway. */
function readinessUrls(): string[] {
  return [
    ...SERVICES.map((name) => stack.services[name].url),
    ...stack.workers.map((w) => w.url),
    stack.gateway.url,
  ].map((url) => `${url}/readyz`);
}
async function readiness(): Promise<number[]> {
  return Promise.all(
    readinessUrls().map((url) =>
      fetch(url, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      ),
    ),
  );
}
const serviceCount = () => SERVICES.length + stack.workers.length;

describe('nats-server killed mid-pipeline and started again', () => {
  // Catches: services that do not reconnect by themselves (they would stay 503 or fail every
  // request after the restart); a /readyz that ignores the NATS connection (it would stay
  // 200 in the outage); a job or event lost with the server (the job would never end, or the
  // second pipeline's model would be missing).
  it('shows 503 during the outage and 200 after; every job ends; the pipeline runs again', async () => {
    const ws = 'faults-nats';
    const before = await ingest(41, ws);
    const job = await train(ws, before);

    const killedAt = Date.now();
    stack.nats.process.kill('SIGKILL');
    // Every service and the worker report the lost connection on /readyz.
    const during = await eventually(async () => {
      const codes = await readiness();
      return codes.slice(0, serviceCount()).every((c) => c === 503) ? codes : null;
    }, 30_000);
    expect(during.slice(0, serviceCount()).every((c) => c === 503)).toBe(true);
    figures.notReadyAfterKillMs = Date.now() - killedAt;
    await sleep(2000);

    await stack.nats.restart();
    const restartedAt = Date.now();
    figures.outageMs = restartedAt - killedAt;
    await eventually(async () => (await readiness()).every((c) => c === 200), 60_000);
    figures.allReadyAfterRestartMs = Date.now() - restartedAt;

    // The job queued before the outage ends, with its model.
    const first = await settled(job, ws);
    expect(first).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(first.modelId).toBeTruthy();

    // The whole pipeline works again without restarting any service.
    const after = await ingest(42, ws);
    const second = await settled(await train(ws, after), ws);
    expect(second).toMatchObject({ status: 'SUCCEEDED', error: null });
    figures.pipelineAfterRestartMs = Date.now() - restartedAt;

    // Nothing lost: both datasets listed, one model for each.
    const listed = await gql(`{ datasets { id } models { id datasetId } }`, {}, ws);
    expect(listed.errors).toBeUndefined();
    expect(listed.data.datasets.map((d: { id: string }) => d.id).sort()).toEqual(
      [before, after].sort(),
    );
    expect(listed.data.models.map((m: { datasetId: string }) => m.datasetId).sort()).toEqual(
      [before, after].sort(),
    );
  });
});

describe('the same event delivered twice', () => {
  // Catches: a stream without a duplicate window (the second copy with the same message id
  // would be stored, ack.duplicate false), and a consumer that acts twice on one job (the late
  // copy, past any window, would run the job again: a second model).
  it('within the dedup window is dropped; after it, is recognised: one job, one model', async () => {
    const ws = 'faults-dup';
    const datasetId = await ingest(45, ws);
    const nc = await connect({ servers: stack.nats.url });
    try {
      const js = jetstream(nc);
      const jobId = 'job_dup_0001';
      const command = {
        workspaceId: ws,
        jobId,
        datasetId,
        config: { iterations: 200, trials: 1, seed: 2 },
      };
      const first = await publishEvent(js, 'training.requested', command, { msgId: 'dup-1' });
      const again = await publishEvent(js, 'training.requested', command, { msgId: 'dup-1' });
      expect(first.duplicate).toBe(false);
      expect(again.duplicate).toBe(true);
      expect(again.seq).toBe(first.seq);
      const done = await settled(jobId, ws);
      expect(done.status).toBe('SUCCEEDED');

      // The same command once more as a new message, as after the window or a replay.
      const late = await publishEvent(js, 'training.requested', command, { msgId: 'dup-1-late' });
      expect(late.duplicate).toBe(false);
      await sleep(3000);
      const models = await gql(`{ models { id datasetId } }`, {}, ws);
      expect(models.errors).toBeUndefined();
      expect(models.data.models).toEqual([{ id: done.modelId, datasetId }]);
      expect((await settled(jobId, ws)).status).toBe('SUCCEEDED');
      figures.duplicates = { published: 3, storedInStream: 2, jobs: 1, models: 1 };
    } finally {
      await nc.close();
    }
  });
});

describe('a subgraph down', () => {
  // Catches: a gateway that fails the whole request (or hangs) when one subgraph is down,
  // or an error that does not say which subgraph failed.
  it('answers the other fields, with an error naming the failing subgraph', async () => {
    const ws = 'faults-subgraph';
    const id = await ingest(43, ws);
    const attribution = stack.services.attribution;
    attribution.process.kill('SIGKILL');
    await attribution.exited;

    const outcome = await bounded(
      gql(`{ datasets { id } attribution(id: "att_missing") { id } }`, {}, ws),
      30_000,
    );
    if (!('ok' in outcome) || !outcome.ok) throw new Error(`no answer: ${JSON.stringify(outcome)}`);
    const reply = outcome.value;
    expect(reply.data?.datasets).toEqual([{ id }]);
    expect(reply.data?.attribution).toBeNull();
    expect(reply.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(reply.errors)).toContain('attribution');
    figures.subgraphDownError = reply.errors?.[0]?.message;
  });
});

describe('the gateway killed under load', () => {
  // Catches: in-flight requests left hanging when the gateway dies (a client would wait
  // forever); answers cut short being read as success.
  it('fails every in-flight request cleanly, none hang', async () => {
    const ws = 'faults-gateway';
    await ingest(44, ws);
    const QUERY = `{ datasets { id name periodCount startDate endDate } }`;
    let answered = 0;
    let stop = false;
    const outcomes: Array<Outcome<Data>> = [];
    // 16 clients, each sending one request after another until one fails.
    const clients = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const outcome = await bounded(gql(QUERY, {}, ws), 20_000);
        outcomes.push(outcome);
        if (!('ok' in outcome) || !outcome.ok) return;
        expect(outcome.value.errors).toBeUndefined();
        expect(outcome.value.data.datasets).toHaveLength(1);
        answered += 1;
      }
    });
    await eventually(async () => answered >= 50, 60_000);
    stack.gateway.process.kill('SIGKILL');
    await Promise.all(clients);
    stop = true;

    const hung = outcomes.filter((o) => 'hung' in o);
    const failed = outcomes.filter((o) => 'ok' in o && !o.ok);
    expect(hung).toHaveLength(0);
    expect(failed).toHaveLength(16);
    figures.gatewayKill = { answeredBeforeKill: answered, failedCleanly: failed.length, hung: 0 };

    // A request after the kill is refused at once, not left waiting.
    const after = await bounded(gql(QUERY, {}, ws), 10_000);
    expect('ok' in after && !after.ok).toBe(true);
  });
});
