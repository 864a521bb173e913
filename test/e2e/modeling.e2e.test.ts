// Training as a service, end to end: files go in through the gateway, jobs run on training
// worker processes over a real nats-server, models come back through the supergraph. Workers
// are killed with SIGKILL; the `mmm` command runs as a user runs it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSyntheticDataset, toCsv, type SyntheticDataset } from '@mmm/core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { decodeDeadLetter, HEADERS, publishJob } from '@mmm/platform';
import {
  graphql,
  logRecords,
  ROOT,
  type Stack,
  stackToken,
  startStack,
  syntheticIngestInput,
} from '../support/stack';

jest.setTimeout(240_000);

let stack: Stack;
let nc: NatsConnection;

beforeAll(async () => {
  stack = await startStack();
  nc = await connect({ servers: stack.nats.url });
});

afterAll(async () => {
  if (nc && !nc.isClosed()) await nc.drain();
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;
const gql = (query: string, variables: Record<string, unknown> = {}, ws = 'default') =>
  graphql<Data>(stack.gatewayUrl, query, variables, { 'x-workspace-id': ws });

function synthetic(seed: number, periods = 104): SyntheticDataset {
  return generateSyntheticDataset({ seed, periods, channels: 4 });
}

async function ingest(data: SyntheticDataset, ws: string, periods?: number): Promise<string> {
  const csv = toCsv(data).split('\n');
  const content = (periods ? csv.slice(0, periods + 1) : csv).join('\n');
  const reply = await gql(
    `mutation I($input: IngestDatasetInput!) { ingestDataset(input: $input) { id } }`,
    { input: syntheticIngestInput(data, content) },
    ws,
  );
  expect(reply.errors).toBeUndefined();
  return reply.data.ingestDataset.id;
}

const TRAIN = `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id status } }`;
const JOB = `query J($id: ID!) { trainingJob(id: $id) {
  id status progress phase modelId error errorCode attempts candidatesDone startedAt finishedAt
} }`;

async function train(ws: string, input: Record<string, unknown>) {
  const reply = await gql(TRAIN, { input }, ws);
  expect(reply.errors).toBeUndefined();
  return reply.data.trainModel.id as string;
}

async function settled(id: string, ws: string) {
  return eventually(async () => {
    const job = (await gql(JOB, { id }, ws)).data?.trainingJob;
    return job && !['QUEUED', 'RUNNING'].includes(job.status) ? job : null;
  });
}

describe('ingest, train, read the model', () => {
  const ws = 'e2e-train';
  const data = synthetic(21);
  let datasetId: string;
  let model: Data;
  const settings = { iterations: 300, trials: 2, seed: 3 };

  beforeAll(async () => {
    datasetId = await ingest(data, ws);
    const id = await train(ws, { datasetId, ...settings });
    const job = await settled(id, ws);
    expect(job).toMatchObject({ status: 'SUCCEEDED', progress: 1, attempts: 1, error: null });
    const reply = await gql(
      `query M($id: ID!) { model(id: $id) {
        id datasetId version stage kpiName kpiType periodCount
        metrics { r2 nrmse decompRssd mape }
        channels { channel spend contribution spendShare effectShare carryoverShare marginalRoas
          roas { estimate lower upper level method } cpa { estimate }
          hyperparameters { theta alpha gamma } }
        responseCurves(points: 5) { channel currentSpend currentResponse points { spend response marginal } }
        decomposition(from: "2023-03-06", to: "2023-04-03") { dates actual fitted media { name values } }
        paretoFront { trial nrmse decompRssd }
        lineage { datasetId jobId engineVersion seed settings }
      } }`,
      { id: job.modelId },
      ws,
    );
    expect(reply.errors).toBeUndefined();
    model = reply.data.model;
  });

  it('serves the model with its intervals, curves, decomposition and lineage through the gateway', () => {
    expect(model).toMatchObject({
      datasetId,
      version: 1,
      stage: 'CANDIDATE',
      kpiType: 'REVENUE',
      periodCount: 104,
    });
    expect(model.channels.map((c: Data) => c.channel)).toEqual(data.spendColumns);
    for (const c of model.channels) {
      expect(c.cpa).toBeNull();
      expect(c.roas.level).toBe(0.9);
      expect(c.roas.lower).toBeLessThanOrEqual(c.roas.upper);
      expect(c.roas.estimate).toBeCloseTo(c.contribution / c.spend, 10);
    }
    const curve = model.responseCurves[0];
    expect(curve.points).toHaveLength(5);
    expect(curve.points[0]).toMatchObject({ spend: 0, response: 0 });
    expect(curve.points[4].spend).toBeCloseTo(3 * curve.currentSpend, 6);
    expect(model.decomposition.dates).toEqual([
      '2023-03-06',
      '2023-03-13',
      '2023-03-20',
      '2023-03-27',
      '2023-04-03',
    ]);
    expect(model.paretoFront.length).toBeGreaterThan(0);
    expect(model.lineage).toMatchObject({ datasetId, seed: 3, engineVersion: '0.1.0' });
  });

  it('is the model `mmm fit` makes from the same file with the same settings and seed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mmm-e2e-'));
    const file = path.join(dir, 'data.csv');
    writeFileSync(file, toCsv(data));
    const cli = path.join(ROOT, 'libs', 'mmm-cli', 'dist', 'src', 'main.js');
    const out = execFileSync(
      process.execPath,
      [
        cli,
        'fit',
        '--data',
        file,
        '--date',
        data.dateColumn,
        '--kpi',
        data.kpiColumn,
        '--spend',
        data.spendColumns.join(','),
        '--controls',
        data.controlColumns.join(','),
        '--iterations',
        '300',
        '--trials',
        '2',
        '--seed',
        '3',
        '--out',
        path.join(dir, 'model.json'),
        '--json',
      ],
      { encoding: 'utf8' },
    );
    const fit = JSON.parse(out);
    expect(model.metrics.nrmse).toBe(fit.metrics.nrmse);
    expect(model.metrics.decompRssd).toBe(fit.metrics.decompRssd);
    expect(model.metrics.r2).toBe(fit.metrics.rsq);
    for (const c of fit.channels) {
      const served = model.channels.find((m: Data) => m.channel === c.name);
      expect(served.roas.estimate).toBe(c.roas);
      expect(served.contribution).toBe(c.contribution);
      expect(served.marginalRoas).toBe(c.marginalRoas);
      // The same draws behind both intervals.
      expect(served.roas).toMatchObject({
        lower: c.roasInterval.lower,
        upper: c.roasInterval.upper,
        level: 0.9,
        method: 'posterior-bootstrap',
      });
    }
    const saved = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(saved.schemaVersion).toBe(4);
    expect(saved.uncertainty.draws.count).toBe(200);
    for (const c of saved.channels) {
      const served = model.channels.find((m: Data) => m.channel === c.name);
      expect(served.hyperparameters.theta).toBe(c.adstock.theta);
      expect(served.hyperparameters.alpha).toBe(c.saturation.alpha);
    }
  });

  it('recovers the true ROAS as the engine does (figures printed)', () => {
    const errors = data.truth.channels.map((truth) => {
      const served = model.channels.find((c: Data) => c.channel === truth.spendColumn);
      return {
        channel: truth.name,
        truth: truth.roas,
        served: served.roas.estimate,
        error: Math.abs(served.roas.estimate / truth.roas - 1),
      };
    });
    console.log(
      'ROAS through the service vs truth: ' +
        errors
          .map((e) => `${e.channel} ${e.served.toFixed(2)} (true ${e.truth.toFixed(2)})`)
          .join(', '),
    );
    const sorted = errors.map((e) => e.error).sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(0.35);
  });

  it('lists it under its dataset through the Dataset entity, and promotes it', async () => {
    const promoted = await gql(
      `mutation P($id: ID!) { promoteModel(id: $id) { id stage } }`,
      { id: model.id },
      ws,
    );
    expect(promoted.data.promoteModel).toEqual({ id: model.id, stage: 'PRODUCTION' });
    const reply = await gql(
      `query D($id: ID!) { dataset(id: $id) { id name models(stage: PRODUCTION) { id stage version } } }`,
      { id: datasetId },
      ws,
    );
    expect(reply.data.dataset.models).toEqual([{ id: model.id, stage: 'PRODUCTION', version: 1 }]);
  });

  it('measures drift once a longer file of the same series arrives', async () => {
    // The promoted model was fitted on 104 weeks; the same series over 112 weeks arrives.
    const longer = generateSyntheticDataset({ seed: 21, periods: 112, channels: 4 });
    await ingest(longer, ws);
    const drift = await eventually(async () => {
      const reply = await gql(
        `query { model(id: "${model.id}") { drift { newPeriods mape baselineMape } } }`,
        {},
        ws,
      );
      return reply.data?.model.drift;
    }, 30_000);
    expect(drift.newPeriods).toBe(8);
    expect(drift.mape).toBeGreaterThan(0);
  });
});

describe('bad requests', () => {
  it('refuses an unknown channel and impossible bounds at the mutation, naming the fields', async () => {
    const ws = 'e2e-bad';
    const data = synthetic(22);
    const datasetId = await ingest(data, ws);
    const first = data.spendColumns[0];
    const reply = await gql(
      TRAIN,
      {
        input: {
          datasetId,
          channels: [first, 'cinema'],
          bounds: [{ parameter: 'gamma', lower: 0.9, upper: 0.2 }],
        },
      },
      ws,
    );
    expect(reply.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const fields = (reply.errors?.[0].extensions?.issues as Array<{ field: string }>).map(
      (i) => i.field,
    );
    expect(fields).toEqual(['input.bounds[0].lower']);
    const channel = await gql(TRAIN, { input: { datasetId, channels: [first, 'cinema'] } }, ws);
    expect((channel.errors?.[0].extensions?.issues as Array<{ field: string }>)[0].field).toBe(
      'input.channels[1]',
    );
  });
});

describe('workers', () => {
  it('share a batch of jobs between two worker processes, none run twice', async () => {
    const ws = 'e2e-batch';
    const datasetId = await ingest(synthetic(23, 60), ws);
    await stack.startWorker();
    const ids: string[] = [];
    for (let seed = 1; seed <= 6; seed++)
      ids.push(await train(ws, { datasetId, iterations: 150, trials: 1, seed }));
    const jobs = await Promise.all(ids.map((id) => settled(id, ws)));
    for (const job of jobs) expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const stored = (worker: (typeof stack.workers)[number]) =>
      logRecords(worker.output)
        .filter((r) => r.msg === 'model stored' && ids.includes(String(r.jobId)))
        .map((r) => String(r.jobId));
    const [first, second] = stack.workers.slice(0, 2).map(stored);
    expect([...first, ...second].sort()).toEqual([...ids].sort());
    expect(first.filter((id) => second.includes(id))).toEqual([]);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    const models = await gql(`query { models { id } }`, {}, ws);
    expect(models.data.models).toHaveLength(6);
  });

  it('finish a job whose worker was SIGKILLed mid-training, with exactly one model', async () => {
    const ws = 'e2e-kill';
    const datasetId = await ingest(synthetic(24, 60), ws);
    // Only one worker takes jobs, so the kill hits the one running it.
    for (const w of stack.workers) w.process.kill('SIGKILL');
    await Promise.all(stack.workers.map((w) => w.exited));
    const victim = await stack.startWorker();
    const id = await train(ws, { datasetId, iterations: 40_000, trials: 1, seed: 2 });
    await eventually(async () => {
      const job = (await gql(JOB, { id }, ws)).data?.trainingJob;
      return job?.status === 'RUNNING' && job.candidatesDone > 0;
    });
    victim.process.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    await stack.startWorker();
    const job = await settled(id, ws);
    expect(job).toMatchObject({ status: 'SUCCEEDED' });
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    const models = await gql(
      `query M($d: ID) { models(datasetId: $d) { id version } }`,
      { d: datasetId },
      ws,
    );
    expect(models.data.models).toEqual([{ id: job.modelId, version: 1 }]);
  });

  it('split one search over two worker processes, both taking part, into the one-worker model', async () => {
    const ws = 'e2e-split';
    const datasetId = await ingest(synthetic(26, 60), ws);
    const settings = { datasetId, iterations: 150, trials: 4, seed: 8 };
    const MODEL = `query M($id: ID!) { model(id: $id) {
      metrics { nrmse decompRssd r2 } channels { channel roas { estimate lower upper } }
      paretoFront { trial index } search { tasks }
    } }`;
    // Whole, on the worker left running: it splits nothing at this size.
    const whole = await settled(await train(ws, settings), ws);
    const wholeModel = (await gql(MODEL, { id: whole.modelId }, ws)).data.model;
    expect(wholeModel.search.tasks).toBe(1);

    for (const w of stack.workers) w.process.kill('SIGKILL');
    await Promise.all(stack.workers.map((w) => w.exited));
    const env = { TRAINING_PART_CANDIDATES: '150', TRAINING_CHAINS_PER_TASK: '1' };
    const [a, b] = [await stack.startWorker(env), await stack.startWorker(env)];
    const split = await settled(await train(ws, settings), ws);
    expect(split.status).toBe('SUCCEEDED');
    const splitModel = (await gql(MODEL, { id: split.modelId }, ws)).data.model;
    // 4 trial parts, 4 chain parts and the finishing part, on whichever process was free.
    expect(splitModel.search.tasks).toBe(9);
    const parts = (w: typeof a) =>
      logRecords(w.output).filter(
        (r) => r.msg === 'part done' && String(r.taskId).startsWith(split.id),
      ).length;
    expect(parts(a) + parts(b)).toBe(9);
    expect(parts(a)).toBeGreaterThan(0);
    expect(parts(b)).toBeGreaterThan(0);
    expect(splitModel.metrics).toEqual(wholeModel.metrics);
    expect(splitModel.channels).toEqual(wholeModel.channels);
    expect(splitModel.paretoFront).toEqual(wholeModel.paretoFront);
  });

  it('park a poison job on the dead-letter subject with its code', async () => {
    const parked = nc.subscribe('mmm.v1.dlq.jobs.training', { max: 1 });
    await publishJob(jetstream(nc), 'training', {
      workspaceId: 'e2e-poison',
      jobId: 'job_0000000000000000dead',
      datasetId: 'ds_00000000000000000000',
    });
    for await (const m of parked) {
      expect(m.headers?.get(HEADERS.errorCode)).toBe('DATASET_NOT_FOUND');
      expect(decodeDeadLetter(m.data).code).toBe('DATASET_NOT_FOUND');
    }
    const job = await eventually(async () => {
      const j = (await gql(JOB, { id: 'job_0000000000000000dead' }, 'e2e-poison')).data
        ?.trainingJob;
      return j?.status === 'FAILED' ? j : null;
    });
    expect(job.errorCode).toBe('DATASET_NOT_FOUND');
  });

  it('cancel a running job promptly', async () => {
    const ws = 'e2e-cancel';
    const datasetId = await ingest(synthetic(25, 60), ws);
    const id = await train(ws, { datasetId, iterations: 1_000_000, trials: 1 });
    await eventually(async () => {
      const job = (await gql(JOB, { id }, ws)).data?.trainingJob;
      return job?.status === 'RUNNING' && job.candidatesDone > 0;
    });
    const reply = await gql(
      `mutation C($id: ID!) { cancelTraining(jobId: $id) { status } }`,
      { id },
      ws,
    );
    expect(reply.data.cancelTraining.status).toBe('CANCELLED');
    const job = await eventually(async () => {
      const j = (await gql(JOB, { id }, ws)).data?.trainingJob;
      return j?.finishedAt ? j : null;
    }, 30_000);
    expect(job).toMatchObject({ status: 'CANCELLED', errorCode: 'CANCELLED', modelId: null });
  });
});

describe('budget optimization on a model the modeling service trained', () => {
  const ws = 'e2e-optimize';
  let modelId: string;
  let channels: string[];

  beforeAll(async () => {
    const datasetId = await ingest(synthetic(26, 60), ws);
    const job = await settled(await train(ws, { datasetId, iterations: 150, trials: 1 }), ws);
    expect(job.status).toBe('SUCCEEDED');
    modelId = job.modelId;
    const reply = await gql(
      `query M($id: ID!) { model(id: $id) { channels { channel } } }`,
      { id: modelId },
      ws,
    );
    channels = reply.data.model.channels.map((c: Data) => c.channel);
  });

  it('gives a promoted model its default scenario, listed on the model through the gateway', async () => {
    await gql(`mutation P($id: ID!) { promoteModel(id: $id) { id } }`, { id: modelId }, ws);
    const scenarios = await eventually(async () => {
      const reply = await gql(
        `query M($id: ID!) { model(id: $id) { stage optimizations { origin periods budget spend { current recommended } } } }`,
        { id: modelId },
        ws,
      );
      return reply.data?.model.optimizations.length > 0 && reply.data.model;
    }, 30_000);
    expect(scenarios.stage).toBe('PRODUCTION');
    expect(scenarios.optimizations).toEqual([
      expect.objectContaining({ origin: 'PROMOTION', periods: 13 }),
    ]);
    const [s] = scenarios.optimizations;
    expect(s.spend.recommended).toBeCloseTo(s.spend.current, 3);
  });

  it('solves a scenario through the gateway, and names a wrong channel', async () => {
    const reply = await gql(
      `mutation O($m: ID!, $s: ScenarioInput!) { optimizeBudget(modelId: $m, scenario: $s) {
        id status budget model { id stage }
        channels { channel current recommended lower upper }
        response { lift { estimate lower upper } } } }`,
      {
        m: modelId,
        s: {
          periods: 8,
          objective: 'RESPONSE',
          channels: [{ channel: channels[0], maxMultiple: 1.1 }],
          defaultChannelRule: { minMultiple: 0.5, maxMultiple: 3 },
        },
      },
      ws,
    );
    expect(reply.errors).toBeUndefined();
    const s = reply.data.optimizeBudget;
    expect(s.model).toEqual({ id: modelId, stage: 'PRODUCTION' });
    expect(s.channels.map((c: Data) => c.channel)).toEqual(channels);
    const spent = s.channels.reduce((a: number, c: Data) => a + c.recommended, 0);
    expect(8 * spent).toBeCloseTo(s.budget, 3);
    for (const c of s.channels) {
      expect(c.recommended).toBeGreaterThanOrEqual(c.lower * (1 - 1e-9));
      expect(c.recommended).toBeLessThanOrEqual(c.upper * (1 + 1e-9));
    }
    expect(s.channels[0].upper).toBeCloseTo(1.1 * s.channels[0].current, 6);
    expect(s.response.lift.estimate).toBeGreaterThanOrEqual(0);

    const wrong = await gql(
      `mutation O($m: ID!, $s: ScenarioInput!) { optimizeBudget(modelId: $m, scenario: $s) { id } }`,
      { m: modelId, s: { periods: 8, channels: [{ channel: 'cinema', min: 1 }] } },
      ws,
    );
    expect(wrong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrong.errors?.[0].extensions?.issues).toEqual([
      { field: 'scenario.channels[0].channel', message: expect.stringContaining('cinema') },
    ]);
  });

  it("runs the chart's weekly optimization and report commands (mmm request) on the production model", async () => {
    const cli = path.join(ROOT, 'libs', 'mmm-cli', 'dist', 'src', 'main.js');
    // The CronJob's credentials: an analyst's token of the workspace, in MMM_TOKEN.
    const token = await stackToken({ subject: 'scheduler', roles: ['analyst'], workspaces: [ws] });
    const mmm = (...args: string[]) =>
      execFileSync(
        process.execPath,
        [cli, 'request', ...args, '--gateway', stack.gatewayUrl, '--workspace', ws],
        { encoding: 'utf8', env: { PATH: process.env.PATH, MMM_TOKEN: token } },
      ).trim();
    const optimized = mmm('optimization', '--production', '--periods', '4');
    const scenarioId = /^scenario (\S+) (?:GRID_)?OPTIMAL .* on model (\S+) /.exec(optimized);
    expect(scenarioId?.[2]).toBe(modelId);
    const model = await gql(
      `query M($id: ID!) { model(id: $id) { optimizations { id name periods } } }`,
      { id: modelId },
      ws,
    );
    expect(model.data.model.optimizations[0]).toEqual({
      id: scenarioId?.[1],
      name: 'scheduled 4-period plan',
      periods: 4,
    });

    const reported = mmm('report', '--production', '--with-latest-scenario', '--format', 'HTML');
    const reportId = /^report (\S+) PENDING \(HTML\) on model \S+ .*with scenario (\S+)$/.exec(
      reported,
    );
    expect(reportId?.[2]).toBe(scenarioId?.[1]);
    const ready = await eventually(async () => {
      const r = await gql(
        `query R($id: ID!) { report(id: $id) { status scenarioId url } }`,
        { id: reportId?.[1] },
        ws,
      );
      return r.data?.report?.status === 'READY' && r.data.report;
    }, 60_000);
    expect(ready.scenarioId).toBe(scenarioId?.[1]);
    expect(ready.url).toContain('sig=');
  });
});
