import {
  DatasetKind,
  decodeDeadLetter,
  fromBinary,
  HEADERS,
  messagingRegistry,
  openStorage,
  publishEvent,
  publishJob,
  TrainingFailedSchema,
  workspaceStorage,
  type Registry,
} from '@mmm/platform';
import { eventually } from '@mmm/platform/testkit';
import { jobIdFor } from '../src';
import { startModelingRig, syntheticDataset, type ModelingRig } from './harness';

jest.setTimeout(120_000);

let rig: ModelingRig;
beforeAll(async () => {
  // One job at a time, so a long job keeps the next one queued.
  rig = await startModelingRig({ TRAINING_CONCURRENT_JOBS: '1' });
});
afterAll(async () => {
  await rig?.stop();
});

const TRAIN = `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id status } }`;
const JOB = `query J($id: ID!) { trainingJob(id: $id) {
  id status progress phase modelId error errorCode candidatesDone attempts finishedAt
} }`;
const CANCEL = `mutation C($id: ID!) { cancelTraining(jobId: $id) { id status errorCode } }`;

async function job(id: string, ws: string) {
  return (await rig.gql(JOB, { id }, ws)).data?.trainingJob;
}

async function settled(id: string, ws: string) {
  return eventually(async () => {
    const j = await job(id, ws);
    return j && !['QUEUED', 'RUNNING'].includes(j.status) ? j : null;
  }, 100_000);
}

async function trained(ws: string, datasetId: string, extra: Record<string, unknown> = {}) {
  const reply = await rig.gql(
    TRAIN,
    { input: { datasetId, iterations: 30, trials: 1, ...extra } },
    ws,
  );
  expect(reply.errors).toBeUndefined();
  const done = await settled(reply.data?.trainModel.id, ws);
  expect(done.status).toBe('SUCCEEDED');
  return done.modelId as string;
}

describe('bad requests', () => {
  const ws = 'ws-bad-requests';
  const dataset = syntheticDataset({ seed: 11 });
  beforeAll(() => rig.store(dataset, ws));

  it.each([
    [{ datasetId: 'ds_00000000000000000000' }, 'input.datasetId', 'was not found'],
    [
      { channels: ['tv', 'radio', 'billboards'] },
      'input.channels[2]',
      "'billboards' is not a paid channel",
    ],
    [
      { bounds: [{ parameter: 'alpha', lower: 2, upper: 1 }] },
      'input.bounds[0].lower',
      'must be a number no greater than upper',
    ],
    [
      { bounds: [{ parameter: 'shape', lower: 0.5, upper: 1 }] },
      'input.bounds[0].parameter',
      'does not belong to geometric adstock',
    ],
    [
      { bounds: [{ channel: 'radio2', parameter: 'theta', lower: 0, upper: 0.5 }] },
      'input.bounds[0].channel',
      "'radio2' is not a modelled channel",
    ],
    [{ holdoutPeriods: 55 }, 'input.holdoutPeriods', 'leaves 5 of the 60 periods'],
    [{ iterations: 5 }, 'input.iterations', 'must be an integer from 10 to 1000000'],
    [
      {
        selection: 'POSTERIOR',
        liftTests: [{ channel: 'tv', startDate: '2023-02-06', endDate: '2023-03-06', lift: 1000 }],
      },
      'input.selection',
      'POSTERIOR does not take lift tests',
    ],
    [
      {
        liftTests: [{ channel: 'tv', startDate: '2023-02-30', endDate: '2023-03-06', lift: 1000 }],
      },
      'input.liftTests[0].startDate',
      "'2023-02-30' is not a date",
    ],
  ])('refuses %j at the mutation, naming %s', async (input, field, message) => {
    const reply = await rig.gql(
      TRAIN,
      { input: { datasetId: dataset.descriptor.id, ...input } },
      ws,
    );
    expect(reply.data).toBeNull();
    const error = reply.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    const issues = error?.extensions?.issues as Array<{ field: string; message: string }>;
    expect(issues.map((i) => i.field)).toContain(field);
    expect(issues.find((i) => i.field === field)?.message).toContain(message);
  });

  it('stores no job for a refused request', async () => {
    const storage = workspaceStorage(rig.api.storage, ws);
    expect(await storage.kv.jobs.ids('training')).toEqual([]);
  });
});

describe('cancel', () => {
  it('stops a running search and a queued job; a finished job is a conflict', async () => {
    const ws = rig.workspace();
    const dataset = syntheticDataset({ seed: 12 });
    await rig.store(dataset, ws);
    const long = await rig.gql(
      TRAIN,
      { input: { datasetId: dataset.descriptor.id, iterations: 1_000_000, trials: 1 } },
      ws,
    );
    const longId = long.data?.trainModel.id as string;
    await eventually(async () => {
      const j = await job(longId, ws);
      return j?.status === 'RUNNING' && j.candidatesDone > 0;
    }, 30_000);
    // The worker coordinates one job at a time: this one waits.
    const queued = await rig.gql(TRAIN, { input: { datasetId: dataset.descriptor.id } }, ws);
    const queuedId = queued.data?.trainModel.id as string;
    const cancelledQueued = await rig.gql(CANCEL, { id: queuedId }, ws);
    expect(cancelledQueued.data?.cancelTraining).toMatchObject({
      status: 'CANCELLED',
      errorCode: 'CANCELLED',
    });

    const asked = Date.now();
    const cancelled = await rig.gql(CANCEL, { id: longId }, ws);
    expect(cancelled.data?.cancelTraining.status).toBe('CANCELLED');
    const stopped = await eventually(async () => {
      const j = await job(longId, ws);
      return j?.finishedAt ? j : null;
    }, 10_000);
    const took = Date.now() - asked;
    expect(stopped).toMatchObject({ status: 'CANCELLED', modelId: null, errorCode: 'CANCELLED' });
    expect(stopped.candidatesDone).toBeLessThan(1_000_000);
    // Printed, not asserted (machines vary): how long the stop took.
    console.log(`cancel of a running search took ${took} ms`);

    for (const id of [longId, queuedId]) {
      await eventually(() =>
        rig.events.some(
          (e) => e.name === 'training.failed' && 'jobId' in e.message && e.message.jobId === id,
        ),
      );
      const failed = rig.events.find(
        (e) => e.name === 'training.failed' && 'jobId' in e.message && e.message.jobId === id,
      );
      expect(failed?.message).toMatchObject({ cancelled: true, code: 'CANCELLED' });
    }
    expect((await job(queuedId, ws)).status).toBe('CANCELLED');

    const modelId = await trained(ws, dataset.descriptor.id);
    const done = await rig.gql(`{ models { id } }`, {}, ws);
    expect(done.data?.models).toEqual([{ id: modelId }]);
    const jobId = (await rig.gql(`query { model(id: "${modelId}") { lineage { jobId } } }`, {}, ws))
      .data?.model.lineage.jobId;
    const conflict = await rig.gql(CANCEL, { id: jobId }, ws);
    expect(conflict.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const missing = await rig.gql(CANCEL, { id: 'job_00000000000000000000' }, ws);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('the registry', () => {
  it('keeps versions per dataset and one production model, archiving the one it replaces', async () => {
    const ws = rig.workspace();
    const dataset = syntheticDataset({ seed: 13 });
    await rig.store(dataset, ws);
    const first = await trained(ws, dataset.descriptor.id, { seed: 1 });
    const second = await trained(ws, dataset.descriptor.id, { seed: 2 });
    const list = `query L($d: ID, $s: ModelStage) { models(datasetId: $d, stage: $s) { id version stage promoted } }`;
    const all = (await rig.gql(list, { d: dataset.descriptor.id }, ws)).data?.models;
    expect(all).toEqual([
      { id: second, version: 2, stage: 'CANDIDATE', promoted: false },
      { id: first, version: 1, stage: 'CANDIDATE', promoted: false },
    ]);
    const promote = `mutation P($id: ID!) { promoteModel(id: $id) { id stage } }`;
    expect((await rig.gql(promote, { id: first }, ws)).data?.promoteModel).toEqual({
      id: first,
      stage: 'PRODUCTION',
    });
    expect((await rig.gql(promote, { id: second }, ws)).data?.promoteModel).toEqual({
      id: second,
      stage: 'PRODUCTION',
    });
    const byStage = async (s: string) =>
      (await rig.gql(list, { d: dataset.descriptor.id, s }, ws)).data?.models;
    await eventually(async () => (await byStage('ARCHIVED'))?.length === 1);
    expect(await byStage('PRODUCTION')).toEqual([
      { id: second, version: 2, stage: 'PRODUCTION', promoted: true },
    ]);
    expect(await byStage('ARCHIVED')).toEqual([
      { id: first, version: 1, stage: 'ARCHIVED', promoted: false },
    ]);
    expect(await byStage('CANDIDATE')).toEqual([]);
    // Another workspace sees none of it.
    expect(
      (await rig.gql(list, { d: dataset.descriptor.id }, rig.workspace())).data?.models,
    ).toEqual([]);
    const promotions = () =>
      rig.events.filter((e) => e.name === 'model.promoted' && e.message.workspaceId === ws);
    await eventually(() => promotions().length === 2);
    expect(promotions().map((e) => e.message)).toEqual([
      expect.objectContaining({ modelId: first, previousModelId: '', version: 1 }),
      expect.objectContaining({ modelId: second, previousModelId: first, version: 2 }),
    ]);
    const unknown = await rig.gql(promote, { id: 'mdl_00000000000000000000' }, ws);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('failures', () => {
  it('parks a job whose dataset is gone on the dead-letter subject with its code, once', async () => {
    const ws = rig.workspace();
    const jobId = 'job_deadbeef0000000000aa';
    const storage = await openStorage(rig.nc);
    const parked = rig.nc.subscribe('mmm.v1.dlq.jobs.training', { max: 1 });
    await publishJob(
      storage.js,
      'training',
      { workspaceId: ws, jobId, datasetId: 'ds_00000000000000000000' },
      { msgId: `poison:${jobId}` },
    );
    for await (const m of parked) {
      expect(m.headers?.get(HEADERS.errorCode)).toBe('DATASET_NOT_FOUND');
      const letter = decodeDeadLetter(m.data);
      expect(letter.code).toBe('DATASET_NOT_FOUND');
      expect(letter.attempts).toBe(1);
      expect(letter.reason).toContain('dataset ds_00000000000000000000 was not found');
    }
    const failed = await eventually(async () => {
      const j = await job(jobId, ws);
      return j?.status === 'FAILED' ? j : null;
    });
    expect(failed).toMatchObject({ errorCode: 'DATASET_NOT_FOUND', modelId: null });
    expect(failed.error).toContain('was not found');
    await eventually(() =>
      rig.events.some(
        (e) => e.name === 'training.failed' && 'jobId' in e.message && e.message.jobId === jobId,
      ),
    );
    const event = rig.events.find(
      (e) => e.name === 'training.failed' && 'jobId' in e.message && e.message.jobId === jobId,
    );
    expect(event?.message).toMatchObject({
      code: 'DATASET_NOT_FOUND',
      deadLettered: true,
      cancelled: false,
    });
    const worker = rig.workers[0].subgraph.registry as Registry;
    const failures = await worker.getSingleMetric('modeling_training_failures_total')?.get();
    expect(failures?.values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { code: 'DATASET_NOT_FOUND' }, value: 1 }),
      ]),
    );
  });

  it('runs a repeated job message once: the same job, one model', async () => {
    const ws = rig.workspace();
    const dataset = syntheticDataset({ seed: 14 });
    await rig.store(dataset, ws);
    const reply = await rig.gql(
      TRAIN,
      { input: { datasetId: dataset.descriptor.id, iterations: 30, trials: 1 } },
      ws,
    );
    const id = reply.data?.trainModel.id as string;
    await settled(id, ws);
    // The same job again, as a redelivery or a duplicate publish would bring it.
    const storage = await openStorage(rig.nc);
    await publishJob(
      storage.js,
      'training',
      { workspaceId: ws, jobId: id, datasetId: dataset.descriptor.id },
      { msgId: `again:${id}` },
    );
    await new Promise((r) => setTimeout(r, 1000));
    const models = (await rig.gql(`{ models { id } }`, {}, ws)).data?.models;
    expect(models).toHaveLength(1);
    expect((await job(id, ws)).status).toBe('SUCCEEDED');
  });
});

describe('commands and drift', () => {
  it('trains on a training.requested command and reports a refused one on training.failed', async () => {
    const ws = rig.workspace();
    const dataset = syntheticDataset({ seed: 15 });
    await rig.store(dataset, ws);
    const storage = await openStorage(rig.nc);
    await publishEvent(
      storage.js,
      'training.requested',
      { workspaceId: ws, datasetId: dataset.descriptor.id, config: { iterations: 30, trials: 1 } },
      { msgId: 'weekly-retrain:2026-11-30' },
    );
    const jobId = jobIdFor(ws, 'weekly-retrain:2026-11-30');
    const done = await settled(jobId, ws);
    expect(done.status).toBe('SUCCEEDED');

    const listen = rig.nc.subscribe('mmm.v1.training.failed');
    await publishEvent(
      storage.js,
      'training.requested',
      { workspaceId: ws, datasetId: dataset.descriptor.id, config: { channels: ['billboards'] } },
      { msgId: 'bad-command' },
    );
    for await (const m of listen) {
      const failed = fromBinary(TrainingFailedSchema, m.data);
      if (failed.jobId !== jobIdFor(ws, 'bad-command')) continue;
      expect(failed.code).toBe('INVALID_REQUEST');
      expect(failed.reason).toContain("'billboards' is not a paid channel");
      break;
    }
  });

  it('trains a dataset that arrives with auto-train on, with the default settings, once', async () => {
    const ws = rig.workspace();
    const dataset = syntheticDataset({ seed: 17 }, 40, ws);
    await rig.store(dataset, ws);
    const storage = await openStorage(rig.nc);
    const announce = () =>
      publishEvent(
        storage.js,
        'dataset.ingested',
        { workspaceId: ws, datasetId: dataset.descriptor.id, periodCount: 40, autoTrain: true },
        { msgId: `dataset.ingested:${ws}:${dataset.descriptor.id}:1` },
      );
    await announce();
    const jobId = jobIdFor(ws, `auto-train:dataset.ingested:${ws}:${dataset.descriptor.id}:1`);
    const done = await settled(jobId, ws);
    expect(done.status).toBe('SUCCEEDED');
    const settings = (
      await rig.gql(`{ model(id: "${done.modelId}") { lineage { settings } } }`, {}, ws)
    ).data?.model.lineage.settings;
    expect(JSON.parse(settings)).toMatchObject({ iterations: 2000, trials: 5, seed: 1 });
    // The same announcement again: JetStream drops the repeat, and a redelivery of it would name
    // the same job (the job id comes from the message id): no second model.
    await announce();
    await new Promise((r) => setTimeout(r, 500));
    expect((await rig.gql(`{ models { id } }`, {}, ws)).data?.models).toHaveLength(1);
  });

  it('scores the production model on the new periods of a longer dataset of its series', async () => {
    const ws = rig.workspace();
    const short = syntheticDataset({ seed: 16 }, 52, ws);
    const long = syntheticDataset({ seed: 16 }, 60, ws);
    await rig.store(short, ws);
    await rig.store(long, ws);
    const modelId = await trained(ws, short.descriptor.id);
    await rig.gql(`mutation { promoteModel(id: "${modelId}") { id } }`, {}, ws);
    const storage = await openStorage(rig.nc);
    // What ingestion announces once the longer file is stored.
    await publishEvent(storage.js, 'dataset.ingested', {
      workspaceId: ws,
      datasetId: long.descriptor.id,
      periodCount: 60,
    });
    const drift = await eventually(async () => {
      const reply = await rig.gql(
        `{ model(id: "${modelId}") { drift { datasetId newPeriods mape baselineMape } metrics { mape } } }`,
        {},
        ws,
      );
      return reply.data?.model.drift ? reply.data.model : null;
    }, 20_000);
    expect(drift.drift).toMatchObject({ datasetId: long.descriptor.id, newPeriods: 8 });
    expect(drift.drift.baselineMape).toBe(drift.metrics.mape);
    expect(drift.drift.mape).toBeGreaterThan(0);
    // A model of the same generator is not far off on the weeks after its data.
    expect(drift.drift.mape).toBeLessThan(0.2);
    const gauge = await rig.api.subgraph.registry.getSingleMetric('modeling_drift_mape')?.get();
    expect(gauge?.values.find((v) => v.labels.model === modelId)?.value).toBe(drift.drift.mape);
  });

  it('leaves a journey dataset alone on dataset.ingested: no training, whatever the event asks', async () => {
    const ws = rig.workspace();
    // Even an id the dataset contract reads, with autoTrain set: the kind decides.
    const dataset = syntheticDataset({ seed: 17 }, 40, ws);
    await rig.store(dataset, ws);
    const handled = async () => {
      const metric = await messagingRegistry
        .getSingleMetric('nats_messages_processed_total')
        ?.get();
      return (metric?.values ?? [])
        .filter((v) => v.labels.subject === 'mmm.v1.dataset.ingested' && v.labels.outcome === 'ok')
        .reduce((sum, v) => sum + v.value, 0);
    };
    const before = await handled();
    const storage = await openStorage(rig.nc);
    await publishEvent(
      storage.js,
      'dataset.ingested',
      {
        workspaceId: ws,
        datasetId: dataset.descriptor.id,
        kind: DatasetKind.JOURNEYS,
        autoTrain: true,
        journeyCount: 3,
      },
      { msgId: `journeys:${ws}` },
    );
    await eventually(async () => (await handled()) > before, 10_000);
    expect(await job(jobIdFor(ws, `auto-train:journeys:${ws}`), ws)).toBeNull();
  });
});
