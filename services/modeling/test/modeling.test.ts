import {
  connectNats,
  createLogger,
  openStorage,
  scopedKv,
  testkit,
  type NatsConnection,
} from '@mmm/platform';
import { MODEL_KIND, TRAINING_JOB_KIND, type ModelRecord, type TrainingJobRecord } from '../src';
import { startModeling, type ModelingService } from '../src/service';

describe('the modeling subgraph', () => {
  let nats: testkit.NatsServer;
  let service: ModelingService;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await testkit.startNatsServer();
    service = await startModeling({
      NATS_URL: nats.url,
      PORT: 0,
      host: '127.0.0.1',
      DEFAULT_WORKSPACE: 'default',
      NATS_REPLICAS: 1,
      logger: createLogger('modeling', { level: 'silent' }),
      registerShutdown: false,
    });
    nc = await connectNats({ NATS_URL: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await service?.stop();
    await nats?.stop();
  });

  const query = async (q: string, workspace?: string) => {
    const res = await fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(workspace ? { 'x-workspace-id': workspace } : {}),
      },
      body: JSON.stringify({ query: q }),
    });
    return (await res.json()) as {
      data?: Record<string, unknown>;
      errors?: Array<{ extensions?: Record<string, unknown> }>;
    };
  };

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
    const res = await fetch(service.url.replace(/\/graphql$/, '/readyz'));
    expect(res.status).toBe(200);
  });
});
