import { randomUUID } from 'node:crypto';
import {
  consumeJobs,
  createMetricsRegistry,
  DatasetKind,
  loadSchema,
  publishEvent,
  readDataset,
  readDatasetTable,
  scopedKv,
  STREAMS,
  subscribeEvents,
  ValidationError,
  watchKvIndex,
  workspaceStorage,
  type ServiceDefinition,
} from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME, WORKER_DEFAULT_PORT, type ModelingConfig } from './config';
import { trainingCoordinator } from './domain/coordinator';
import { scoreNewPeriods } from './domain/drift';
import { jobEventId, jobIdFor, jobStore } from './domain/jobs';
import { driftMetrics, trainingMetrics } from './domain/metrics';
import {
  datasetRoles,
  MODEL_KIND,
  modelRegistry,
  PRODUCTION_KIND,
  sameRoles,
  type ModelArtifact,
  type ModelRecord,
  type ProductionPointer,
} from './domain/registry';
import { taskRunner } from './domain/task-runner';
import { trainingDataSource } from './domain/training-data';
import { trainingRequests } from './domain/training-requests';
import { fieldsFromProto } from './domain/training-settings';
import { API_EVENTS, WORKER_EVENTS } from './events';
import { resolvers, type ModelingContext } from './resolvers';

const newestFirst = (a: ModelRecord, b: ModelRecord) =>
  b.createdAt.localeCompare(a.createdAt) || b.version - a.version;

/**
 * The modeling subgraph (role api): the model registry listed from memory (KV indexes of models
 * and production pointers), training requests, and the consumers of dataset.ingested
 * (auto-train, drift) and training.requested (commands).
 */
export const modelingApi: ServiceDefinition<ModelingContext, ModelingConfig> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: API_EVENTS,
  async onStart({ storage, logger }) {
    const registryMetrics = createMetricsRegistry(SERVICE_NAME);
    const { driftMape } = driftMetrics(registryMetrics);
    const models = await watchKvIndex<ModelRecord>(storage.kv.models, MODEL_KIND, { logger });
    const production = await watchKvIndex<ProductionPointer>(storage.kv.models, PRODUCTION_KIND, {
      logger,
    });
    const scoped = (workspaceId: string) => workspaceStorage(storage, workspaceId);
    const requests = trainingRequests({ js: storage.js, storage: scoped, logger });
    const artifacts = new Map<string, Promise<ModelArtifact | null>>();
    const registryOf = (workspaceId: string) => {
      const s = scoped(workspaceId);
      return modelRegistry({ models: s.kv.models, files: s.files });
    };
    const artifact = (workspaceId: string, id: string) => {
      const key = `${workspaceId}/${id}`;
      let found = artifacts.get(key);
      if (!found) {
        found = registryOf(workspaceId).artifact(id);
        artifacts.set(key, found);
        // Artifacts never change; a missing one may appear, so it is not kept.
        void found.then((a) => a ?? artifacts.delete(key)).catch(() => artifacts.delete(key));
        while (artifacts.size > 32) artifacts.delete(artifacts.keys().next().value as string);
      }
      return found;
    };

    /** Scores each production model whose series the new dataset extends. */
    const measureDrift = async (workspaceId: string, datasetId: string) => {
      const s = scoped(workspaceId);
      const newer = await readDataset(s, datasetId);
      if (!newer) return;
      const pointers = await production.list(workspaceId);
      if (pointers.length === 0) return;
      const table = await readDatasetTable(s, newer);
      const registry = registryOf(workspaceId);
      for (const { value: pointer } of pointers) {
        const model = await registry.get(pointer.modelId);
        if (!model || model.datasetId === datasetId) continue;
        if (!sameRoles(model.datasetRoles, datasetRoles(newer))) continue;
        const stored = await artifact(workspaceId, model.id);
        if (!stored) continue;
        const score = scoreNewPeriods(stored.model, table);
        if (!score) continue;
        const drift = {
          datasetId,
          newPeriods: score.newPeriods,
          mape: score.mape,
          baselineMape: model.metrics.mape,
          measuredAt: new Date().toISOString(),
        };
        await registry.update(model.id, (r) => ({ ...r, drift }));
        driftMape.set(
          { workspace: workspaceId, dataset: model.datasetId, model: model.id },
          score.mape,
        );
        logger.info('drift measured', { modelId: model.id, datasetId, ...score });
      }
    };

    const events = await subscribeEvents(
      storage.js,
      ['dataset.ingested', 'training.requested'],
      async (delivery) => {
        if (delivery.name === 'dataset.ingested') {
          const m = delivery.message as import('@mmm/platform').DatasetIngested;
          // Journeys are not a table of periods: nothing to train on, no series to score.
          if (m.kind === DatasetKind.JOURNEYS) {
            logger.debug('journey dataset ignored', { datasetId: m.datasetId });
            return;
          }
          if (m.autoTrain) {
            const jobId = jobIdFor(m.workspaceId, `auto-train:${delivery.msgId ?? m.datasetId}`);
            try {
              await requests.request(
                { workspaceId: m.workspaceId, requestId: m.requestId || undefined },
                m.datasetId,
                {},
                'auto-train',
                jobId,
              );
            } catch (error) {
              if (!(error instanceof ValidationError)) throw error;
              logger.warn('auto-train refused', { datasetId: m.datasetId, error: error.message });
            }
          }
          await measureDrift(m.workspaceId, m.datasetId);
          return;
        }
        const m = delivery.message as import('@mmm/platform').TrainingRequested;
        const jobId = m.jobId || jobIdFor(m.workspaceId, delivery.msgId ?? randomUUID());
        try {
          await requests.request(
            { workspaceId: m.workspaceId, requestId: m.requestId || delivery.requestId },
            m.datasetId,
            fieldsFromProto(m.config),
            'command',
            jobId,
          );
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          // The sender learns why on the same subjects as for any job.
          await publishEvent(
            storage.js,
            'training.failed',
            {
              workspaceId: m.workspaceId,
              jobId,
              datasetId: m.datasetId,
              reason: error.message,
              code: 'INVALID_REQUEST',
              deadLettered: false,
            },
            { msgId: jobEventId('training.failed', m.workspaceId, jobId) },
          );
        }
      },
      { durable: 'modeling', logger },
    );
    return {
      registry: registryMetrics,
      context: (base) => {
        const s = scoped(base.workspaceId);
        return {
          ...base,
          registry: modelRegistry({ models: s.kv.models, files: s.files }),
          jobs: jobStore(s.kv.jobs),
          requests,
          listModels: async () =>
            (await models.list(base.workspaceId)).map((e) => e.value).sort(newestFirst),
          productionOf: async (datasetId: string) => {
            const known = production.peek(base.workspaceId);
            if (known) return known.find((e) => e.id === datasetId)?.value.modelId ?? null;
            return (
              (
                await scopedKv(storage.kv.models, base.workspaceId).get<ProductionPointer>(
                  PRODUCTION_KIND,
                  datasetId,
                )
              )?.modelId ?? null
            );
          },
          artifact: (id: string) => artifact(base.workspaceId, id),
          async announcePromotion(record: ModelRecord, previous: string | null) {
            await publishEvent(
              storage.js,
              'model.promoted',
              {
                workspaceId: base.workspaceId,
                modelId: record.id,
                requestId: base.requestId,
                datasetId: record.datasetId,
                version: record.version,
                previousModelId: previous ?? '',
              },
              {
                msgId: `model.promoted:${base.workspaceId}:${record.id}:${record.promotedAt ?? ''}`,
                requestId: base.requestId,
              },
            );
          },
        };
      },
      async stop() {
        await events.stop();
        await models.stop();
        await production.stop();
      },
    };
  },
};

/**
 * The training worker (role worker): coordinates training jobs and computes their parts, with
 * /healthz, /readyz and /metrics but no GraphQL. Replicas share the work queue.
 */
export const modelingWorker: ServiceDefinition<ModelingContext, ModelingConfig> = {
  name: `${SERVICE_NAME}-worker`,
  defaultPort: WORKER_DEFAULT_PORT,
  events: WORKER_EVENTS,
  async onStart({ config, storage, logger }) {
    const registry = createMetricsRegistry(`${SERVICE_NAME}-worker`);
    const consumers = { training: 'modeling_training', task: 'modeling_training_tasks' };
    const metrics = trainingMetrics(
      registry,
      async (queue) =>
        (await storage.jsm.consumers.info(STREAMS.jobs, consumers[queue])).num_pending,
    );
    const scoped = (workspaceId: string) => workspaceStorage(storage, workspaceId);
    const data = trainingDataSource();
    const policy = {
      shardCandidates: config.TRAINING_PART_CANDIDATES,
      chainsPerTask: config.TRAINING_CHAINS_PER_TASK,
    };
    const coordinator = trainingCoordinator({
      js: storage.js,
      storage: scoped,
      data,
      policy,
      pollMs: config.TRAINING_POLL_MS,
      jobTimeoutMs: config.TRAINING_JOB_TIMEOUT_MS,
      metrics,
      logger,
    });
    const tasks = taskRunner({
      storage: scoped,
      data,
      threads: config.TRAINING_THREADS,
      pollMs: config.TRAINING_POLL_MS,
      policy,
      metrics,
      logger,
    });
    const common = {
      ackWaitMs: config.TRAINING_ACK_WAIT_MS,
      maxDeliver: config.TRAINING_MAX_ATTEMPTS,
      logger,
    };
    const jobs = await consumeJobs(storage.js, 'training', coordinator.handle, {
      ...common,
      durable: consumers.training,
      concurrency: config.TRAINING_CONCURRENT_JOBS,
      onDeadLetter: coordinator.onDeadLetter,
    });
    const parts = await consumeJobs(storage.js, 'trainingTask', tasks.handle, {
      ...common,
      durable: consumers.task,
      concurrency: 1,
      onDeadLetter: tasks.onDeadLetter,
    });
    return {
      registry,
      context: (base) => base as ModelingContext,
      async stop() {
        await Promise.all([jobs.stop(), parts.stop()]);
      },
    };
  },
};

/** The definition for a role. */
export function modelingService(role: ModelingConfig['MODELING_ROLE']) {
  return role === 'worker' ? modelingWorker : modelingApi;
}
