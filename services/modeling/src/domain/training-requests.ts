import {
  ConflictError,
  DatasetContractError,
  NotFoundError,
  publishEvent,
  publishJob,
  readDataset,
  readDatasetTable,
  ServiceUnavailableError,
  ValidationError,
  type JetStreamClient,
  type Logger,
  type WorkspaceStorage,
} from '@mmm/platform';
import { jobEventId, jobStore, newJobId, queuedJob, type TrainingJobRecord } from './jobs';
import {
  engineFit,
  resolveTrainingSettings,
  settingsJson,
  settingsToProto,
  TrainingRequestError,
  type TrainingRequestFields,
} from './training-settings';

export interface TrainingRequestDeps {
  js: JetStreamClient;
  storage(workspaceId: string): WorkspaceStorage;
  logger: Logger;
  now?: () => Date;
}

export interface RequestScope {
  workspaceId: string;
  requestId?: string;
}

/**
 * Where training starts: the trainModel mutation, a training.requested command, an auto-train
 * dataset. The request is checked against the dataset once, here (a problem is a
 * BAD_USER_INPUT naming its field), stored as a QUEUED job, and put on the work queue.
 */
export function trainingRequests(deps: TrainingRequestDeps) {
  const now = deps.now ?? (() => new Date());

  async function request(
    scope: RequestScope,
    datasetId: string,
    fields: TrainingRequestFields,
    origin: 'api' | 'command' | 'auto-train',
    jobId: string = newJobId(),
  ): Promise<TrainingJobRecord> {
    const storage = deps.storage(scope.workspaceId);
    const jobs = jobStore(storage.kv.jobs, now);
    const known = await jobs.get(jobId);
    if (known) return known;
    let settings;
    try {
      settings = resolveTrainingSettings(fields);
      let dataset;
      let table;
      try {
        dataset = await readDataset(storage, datasetId);
        if (dataset) table = await readDatasetTable(storage, dataset);
      } catch (error) {
        if (!(error instanceof DatasetContractError)) throw error;
        throw new TrainingRequestError([
          {
            field: 'input.datasetId',
            message: `dataset ${datasetId} cannot be read: ${error.message}`,
          },
        ]);
      }
      if (!dataset || !table) {
        throw new TrainingRequestError([
          {
            field: 'input.datasetId',
            message: `dataset ${datasetId} was not found in workspace ${scope.workspaceId}.`,
          },
        ]);
      }
      engineFit(settings, dataset, table, 0);
    } catch (error) {
      if (error instanceof TrainingRequestError) throw new ValidationError(error.issues);
      throw error;
    }
    const at = now().toISOString();
    const record = queuedJob({
      id: jobId,
      workspaceId: scope.workspaceId,
      datasetId,
      candidates: settings.iterations * settings.trials,
      settings: settingsJson(settings),
      origin,
      requestId: scope.requestId ?? null,
      at,
    });
    if (!(await jobs.create(record))) return (await jobs.get(jobId)) ?? record;
    try {
      await publishJob(
        deps.js,
        'training',
        {
          workspaceId: scope.workspaceId,
          jobId,
          requestId: scope.requestId ?? '',
          datasetId,
          config: settingsToProto(settings),
        },
        { msgId: `training:${scope.workspaceId}:${jobId}`, requestId: scope.requestId },
      );
    } catch (error) {
      deps.logger.error('could not queue a training job', { jobId, error: String(error) });
      await jobs
        .update(jobId, (current) => ({
          ...current,
          status: 'FAILED',
          error: { code: 'HANDLER_FAILED', message: 'the job could not be put on the work queue' },
          finishedAt: now().toISOString(),
        }))
        .catch(() => undefined);
      throw new ServiceUnavailableError('the training queue is unavailable; try again');
    }
    deps.logger.info('training job queued', { jobId, datasetId, origin });
    return record;
  }

  /**
   * Cancels a queued or running job: its record says CANCELLED at once; a worker running it
   * stops within its poll interval. Cancelling a cancelled job changes nothing.
   */
  async function cancel(scope: RequestScope, jobId: string): Promise<TrainingJobRecord> {
    const storage = deps.storage(scope.workspaceId);
    const jobs = jobStore(storage.kv.jobs, now);
    let before: TrainingJobRecord | null = null;
    const after = await jobs.update(jobId, (current) => {
      before = current;
      if (current.status !== 'QUEUED' && current.status !== 'RUNNING') return null;
      return {
        ...current,
        status: 'CANCELLED',
        error: { code: 'CANCELLED', message: 'cancelled' },
        // A running job is finished by its worker once it has stopped.
        finishedAt: current.status === 'QUEUED' ? now().toISOString() : null,
      };
    });
    if (!after) throw new NotFoundError('training job', jobId);
    const previous = before as TrainingJobRecord | null;
    if (after.status === 'SUCCEEDED' || after.status === 'FAILED') {
      throw new ConflictError(
        `training job ${jobId} has already ${after.status === 'SUCCEEDED' ? 'succeeded' : 'failed'}`,
        {
          status: after.status,
        },
      );
    }
    if (previous?.status === 'QUEUED') {
      await publishEvent(
        deps.js,
        'training.failed',
        {
          workspaceId: scope.workspaceId,
          jobId,
          datasetId: after.datasetId,
          reason: 'cancelled',
          cancelled: true,
          code: 'CANCELLED',
        },
        { msgId: jobEventId('training.failed', scope.workspaceId, jobId) },
      ).catch((error: unknown) =>
        deps.logger.warn('could not publish training.failed', { jobId, error: String(error) }),
      );
    }
    return after;
  }

  return { request, cancel };
}

export type TrainingRequests = ReturnType<typeof trainingRequests>;
