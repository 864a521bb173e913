import type { Registry } from '@mmm/platform';
import { eventually } from '@mmm/platform/testkit';
import { startModelingRig, syntheticDataset, type ModelingRig } from './harness';

jest.setTimeout(180_000);

// One search over several workers: the parts go to whichever worker is free, and the model is
// the one a single worker makes.
let rig: ModelingRig;
beforeAll(async () => {
  rig = await startModelingRig();
});
afterAll(async () => {
  await rig?.stop();
});

const TRAIN = `mutation T($input: TrainModelInput!) { trainModel(input: $input) { id } }`;
const JOB = `query J($id: ID!) { trainingJob(id: $id) { status modelId tasks error } }`;
const MODEL = `query M($id: ID!) { model(id: $id) {
  metrics { nrmse decompRssd r2 }
  channels { channel roas { estimate lower upper } contribution hyperparameters { theta alpha gamma } }
  paretoFront { trial index nrmse decompRssd }
  search { candidates tasks }
} }`;

async function train(ws: string, datasetId: string, settings: Record<string, unknown>) {
  const queued = await rig.gql(TRAIN, { input: { datasetId, ...settings } }, ws);
  expect(queued.errors).toBeUndefined();
  const id = queued.data?.trainModel.id as string;
  const job = await eventually(async () => {
    const j = (await rig.gql(JOB, { id }, ws)).data?.trainingJob;
    return j && j.status !== 'QUEUED' && j.status !== 'RUNNING' ? j : null;
  }, 150_000);
  expect(job).toMatchObject({ status: 'SUCCEEDED', error: null });
  return { job, model: (await rig.gql(MODEL, { id: job.modelId }, ws)).data?.model };
}

async function tasksDone(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('modeling_training_tasks_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

it('splits one search over two workers and gives the model one worker makes whole', async () => {
  const ws = rig.workspace();
  const dataset = syntheticDataset({ seed: 3 });
  await rig.store(dataset, ws);
  const settings = { iterations: 60, trials: 4, seed: 9 };

  // Whole, on the one worker (it never splits).
  const whole = await train(ws, dataset.descriptor.id, settings);
  expect(whole.job.tasks).toBe(1);

  // Split: two more workers that cut the search into one part per trial; the first one stops
  // taking jobs so the split ones coordinate.
  await rig.workers[0].stop();
  rig.workers.splice(0, 1);
  const env = { TRAINING_PART_CANDIDATES: '60', TRAINING_CHAINS_PER_TASK: '1' };
  const [a, b] = [await rig.startWorker(env), await rig.startWorker(env)];
  const split = await train(ws, dataset.descriptor.id, settings);
  // 4 trial parts, 4 chain parts, 1 finishing part.
  expect(split.job.tasks).toBe(9);
  expect(split.model.search).toEqual({ candidates: 240, tasks: 9 });
  const [byA, byB] = [await tasksDone(a.subgraph.registry), await tasksDone(b.subgraph.registry)];
  expect(byA + byB).toBe(9);
  expect(byA).toBeGreaterThan(0);
  expect(byB).toBeGreaterThan(0);

  expect(split.model.metrics).toEqual(whole.model.metrics);
  expect(split.model.channels).toEqual(whole.model.channels);
  expect(split.model.paretoFront).toEqual(whole.model.paretoFront);
});
