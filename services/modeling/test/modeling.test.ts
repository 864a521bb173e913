import { connectNats, openStorage, scopedKv, type NatsConnection } from '@mmm/platform';
import { eventually, startServiceForTest, type ServiceUnderTest } from '@mmm/platform/testkit';
import {
  MODEL_KIND,
  TRAINING_JOB_KIND,
  type ModelRecord,
  type TrainingJobRecord,
  modelingService,
} from '../src';

describe('the modeling subgraph', () => {
  let rig: ServiceUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    rig = await startServiceForTest(modelingService);
    nc = await connectNats({ NATS_URL: rig.nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await rig?.stop();
  });

  const query = (q: string, workspace?: string) => rig.query(q, workspace);

  it('answers an empty registry honestly: no models, no model, no training job', async () => {
    const body = await query(
      '{ models { id } model(id: "m1") { id } trainingJob(id: "j1") { id } }',
    );
    expect(body).toEqual({ data: { models: [], model: null, trainingJob: null } });
  });

  it('reads models and training jobs from its KV buckets, within the caller workspace', async () => {
    const { kv } = await openStorage(nc);
    const model: ModelRecord = {
      id: 'm1',
      datasetId: 'd1',
      version: 1,
      promoted: false,
      createdAt: '2026-01-05T10:00:00.000Z',
      metrics: { r2: 0.91, nrmse: 0.08, decompRssd: 0.12, mape: null },
    };
    const job: TrainingJobRecord = {
      id: 'j1',
      datasetId: 'd1',
      status: 'SUCCEEDED',
      progress: 1,
      modelId: 'm1',
      createdAt: '2026-01-05T09:00:00.000Z',
      updatedAt: '2026-01-05T10:00:00.000Z',
    };
    await scopedKv(kv.models, 'acme').put(MODEL_KIND, model.id, model);
    await scopedKv(kv.jobs, 'acme').put(TRAINING_JOB_KIND, job.id, job);
    // Models are listed from memory: the KV watch brings the write within milliseconds.
    await eventually(async () => (await query('{ models { id } }', 'acme')).data?.models.length);

    const q = `{
      models { id datasetId version promoted metrics { r2 nrmse decompRssd mape } }
      model(id: "m1") { id }
      trainingJob(id: "j1") { status progress modelId }
    }`;
    expect((await query(q, 'acme')).data).toEqual({
      models: [
        {
          id: 'm1',
          datasetId: 'd1',
          version: 1,
          promoted: false,
          metrics: { r2: 0.91, nrmse: 0.08, decompRssd: 0.12, mape: null },
        },
      ],
      model: { id: 'm1' },
      trainingJob: { status: 'SUCCEEDED', progress: 1, modelId: 'm1' },
    });
    expect((await query(q)).data).toEqual({ models: [], model: null, trainingJob: null });
  });

  it('resolves Dataset.models for the gateway by dataset id', async () => {
    const body = await query(
      `{ _entities(representations: [{ __typename: "Dataset", id: "d1" }, { __typename: "Dataset", id: "d2" }]) {
          ... on Dataset { id models { id } } } }`,
      'acme',
    );
    expect(body.data).toEqual({
      _entities: [
        { id: 'd1', models: [{ id: 'm1' }] },
        { id: 'd2', models: [] },
      ],
    });
  });

  it('rejects an id that could not name a stored model with BAD_USER_INPUT', async () => {
    const body = await query('{ model(id: "a.b") { id } }');
    expect(body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      issues: [{ field: 'id' }],
    });
  });

  it('is ready while NATS is connected', async () => {
    expect((await rig.get('/readyz')).status).toBe(200);
  });
});
