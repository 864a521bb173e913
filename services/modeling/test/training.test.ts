import { fitMediaMix, mediaMixTableFromDataset, parseModel, predict } from '@mmm/core';
import { workspaceStorage } from '@mmm/platform';
import { eventually } from '@mmm/platform/testkit';
import { startModelingRig, syntheticDataset, type ModelingRig } from './harness';

jest.setTimeout(120_000);

let rig: ModelingRig;
beforeAll(async () => {
  rig = await startModelingRig();
});
afterAll(async () => {
  await rig?.stop();
});

const TRAIN = `mutation Train($input: TrainModelInput!) {
  trainModel(input: $input) { id status datasetId progress candidatesTotal }
}`;

const JOB = `query Job($id: ID!) {
  trainingJob(id: $id) {
    id status progress phase modelId error errorCode startedAt finishedAt candidatesDone tasks
  }
}`;

async function finished(id: string, workspace: string) {
  return eventually(async () => {
    const reply = await rig.gql(JOB, { id }, workspace);
    const job = reply.data?.trainingJob;
    return job && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status) ? job : null;
  }, 90_000);
}

describe('training as a service', () => {
  it('queues a job, trains it on a worker and stores the same model the engine fits', async () => {
    const ws = rig.workspace();
    const dataset = syntheticDataset();
    await rig.store(dataset, ws);
    const settings = { iterations: 60, trials: 2, seed: 5 };
    const queued = await rig.gql(
      TRAIN,
      { input: { datasetId: dataset.descriptor.id, ...settings } },
      ws,
    );
    expect(queued.errors).toBeUndefined();
    expect(queued.data?.trainModel).toMatchObject({
      status: 'QUEUED',
      progress: 0,
      candidatesTotal: 120,
    });

    const job = await finished(queued.data?.trainModel.id, ws);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      progress: 1,
      phase: 'done',
      error: null,
      tasks: 1,
    });
    expect(job.startedAt).not.toBeNull();
    expect(job.finishedAt >= job.startedAt).toBe(true);

    const reply = await rig.gql(
      `query M($id: ID!) { model(id: $id) {
        id datasetId version stage kpiType metrics { r2 nrmse decompRssd mape }
        channels { channel spend roas { estimate lower upper level method } cpa { estimate }
          marginalRoas spendShare effectShare carryoverShare hyperparameters { theta alpha gamma } }
        lineage { datasetId jobId engineVersion seed }
      } }`,
      { id: job.modelId },
      ws,
    );
    expect(reply.errors).toBeUndefined();
    const model = reply.data?.model;
    expect(model).toMatchObject({ version: 1, stage: 'CANDIDATE', kpiType: 'REVENUE' });
    expect(model.lineage).toMatchObject({
      datasetId: dataset.descriptor.id,
      jobId: job.id,
      seed: 5,
    });

    // The engine on the same table and settings, in this process: the same numbers.
    const direct = await fitMediaMix(mediaMixTableFromDataset(dataset.table), {
      ...settings,
      workers: 0,
      kpiName: dataset.descriptor.kpiColumn,
      kpiType: 'revenue',
    });
    expect(model.metrics.nrmse).toBe(direct.train.nrmse);
    expect(model.metrics.decompRssd).toBe(direct.train.decompRssd);
    for (const c of direct.channels) {
      const served = model.channels.find((m: { channel: string }) => m.channel === c.name);
      expect(served.roas.estimate).toBe(c.roas);
      expect(served.cpa).toBeNull();
      expect(served.marginalRoas).toBe(c.marginalRoas);
      // The default choice is the posterior: its 90% ROAS interval comes with the model.
      expect(served.roas).toMatchObject({ level: 0.9, method: 'posterior-bootstrap' });
      expect(served.roas.lower).toBeLessThanOrEqual(served.roas.upper);
    }

    // The stored model predicts exactly what the fit did after a reload.
    const storage = workspaceStorage(rig.api.storage, ws);
    const bytes = await storage.files.get('model', job.modelId);
    const stored = parseModel(JSON.parse(new TextDecoder().decode(bytes!)).model);
    expect(Array.from(predict(stored))).toEqual(Array.from(direct.fitted));
    expect(stored.provenance?.dataset?.id).toBe(dataset.descriptor.id);

    const names = rig.events
      .filter((e) => 'jobId' in e.message && e.message.jobId === job.id)
      .map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining(['training.progress', 'model.trained', 'training.completed']),
    );
  });
});
