import {
  PermanentFailure,
  publishEvent,
  publishJob,
  TrainingTaskKind,
  type Delivery,
  type DeadLetterInfo,
  type FailureCode,
  type JetStreamClient,
  type Logger,
  type TrainingRequested,
  type WorkspaceStorage,
} from '@mmm/platform';
import {
  isFinished,
  jobEventId,
  jobStore,
  modelIdFor,
  queuedJob,
  type JobStore,
  type TrainingJobRecord,
} from './jobs';
import type { TrainingMetrics } from './metrics';
import { modelRegistry, type ModelRecord } from './registry';
import { decodeModelResult } from './task-results';
import { RESULT_KIND, type TrainingDataSource } from './training-data';
import { planTasks, type PlannedTask, type SplitPolicy } from './training-plan';
import {
  engineFit,
  fieldsFromProto,
  resolveTrainingSettings,
  settingsJson,
  TrainingRequestError,
  type TrainingSettings,
} from './training-settings';

export interface CoordinatorDeps {
  js: JetStreamClient;
  storage(workspaceId: string): WorkspaceStorage;
  data: TrainingDataSource;
  policy: SplitPolicy;
  /** How often the coordinator looks at its parts and for a cancel. */
  pollMs: number;
  /** A job that runs longer fails with TIMEOUT. */
  jobTimeoutMs: number;
  metrics: TrainingMetrics;
  logger: Logger;
  now?: () => Date;
}

const TASK_KINDS: Record<PlannedTask['kind'], TrainingTaskKind> = {
  fit: TrainingTaskKind.FIT,
  trials: TrainingTaskKind.TRIALS,
  chains: TrainingTaskKind.CHAINS,
  finish: TrainingTaskKind.FINISH,
};

class JobCancelled extends Error {
  override readonly name = 'JobCancelled';
}

/**
 * Runs training jobs from the work queue: puts the job's parts on the queue (any worker takes
 * them, this one included), follows them, reports progress, and stores the model once the last
 * part is done. Idempotent: a redelivered job (its worker died) picks up the parts already done
 * and stores at most one model.
 */
export function trainingCoordinator(deps: CoordinatorDeps) {
  const now = deps.now ?? (() => new Date());
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function failedEvent(
    job: TrainingJobRecord,
    code: FailureCode,
    reason: string,
    deadLettered: boolean,
  ) {
    await publishEvent(
      deps.js,
      'training.failed',
      {
        workspaceId: job.workspaceId,
        jobId: job.id,
        datasetId: job.datasetId,
        reason,
        attempts: job.attempts,
        deadLettered,
        cancelled: code === 'CANCELLED',
        code,
      },
      {
        msgId: jobEventId('training.failed', job.workspaceId, job.id),
        requestId: job.requestId ?? undefined,
      },
    );
  }

  async function completedEvents(job: TrainingJobRecord, model: ModelRecord, seconds: number) {
    const options = { requestId: job.requestId ?? undefined };
    await publishEvent(
      deps.js,
      'model.trained',
      {
        workspaceId: job.workspaceId,
        modelId: model.id,
        version: model.version,
        datasetId: model.datasetId,
        jobId: job.id,
        metrics: {
          r2: model.metrics.rsq,
          nrmse: model.metrics.nrmse,
          mape: model.metrics.mape,
          decompRssd: model.metrics.decompRssd,
          holdoutR2: model.holdout?.rsq ?? 0,
          holdoutNrmse: model.holdout?.nrmse ?? 0,
        },
        channels: model.channels
          .filter((c) => c.kind === 'paid')
          .map((c) => ({
            channel: c.name,
            spend: c.spend,
            contribution: c.contribution,
            roas: c.roas ?? 0,
            marginalRoas: c.marginalRoas ?? 0,
            cpa: c.cpa ?? 0,
          })),
      },
      { ...options, msgId: jobEventId('model.trained', job.workspaceId, job.id) },
    );
    await publishEvent(
      deps.js,
      'training.completed',
      {
        workspaceId: job.workspaceId,
        jobId: job.id,
        modelId: model.id,
        datasetId: model.datasetId,
        durationSeconds: seconds,
      },
      { ...options, msgId: jobEventId('training.completed', job.workspaceId, job.id) },
    );
  }

  /** The job's record; a job that arrived by NATS alone (a command) gets one now. */
  async function jobRecord(jobs: JobStore, message: TrainingRequested, settings: TrainingSettings) {
    const found = await jobs.get(message.jobId);
    if (found) return found;
    const at = now().toISOString();
    await jobs.create(
      queuedJob({
        id: message.jobId,
        workspaceId: message.workspaceId,
        datasetId: message.datasetId,
        candidates: settings.iterations * settings.trials,
        settings: settingsJson(settings),
        origin: 'command',
        requestId: message.requestId || null,
        at,
      }),
    );
    return (await jobs.get(message.jobId)) as TrainingJobRecord;
  }

  async function cleanUp(storage: WorkspaceStorage, jobs: JobStore, phases: PlannedTask[][]) {
    for (const task of phases.flat()) {
      await storage.files.delete(RESULT_KIND, task.id).catch(() => false);
      await jobs.deleteTask(task.id).catch(() => undefined);
    }
  }

  async function handle(delivery: Delivery<TrainingRequested>): Promise<void> {
    const message = delivery.message;
    const started = Date.now();
    let settings: TrainingSettings;
    try {
      settings = resolveTrainingSettings(fieldsFromProto(message.config), 'config');
    } catch (error) {
      if (error instanceof TrainingRequestError) {
        throw new PermanentFailure('INVALID_REQUEST', error.message, { cause: error });
      }
      throw error;
    }
    const storage = deps.storage(message.workspaceId);
    const jobs = jobStore(storage.kv.jobs, now);
    const registry = modelRegistry({ models: storage.kv.models, files: storage.files }, now);
    let job = await jobRecord(jobs, message, settings);
    const modelId = modelIdFor(job.id);
    const phases = planTasks(job.id, settings, deps.policy);

    if (job.status === 'SUCCEEDED') {
      // Stored by an earlier delivery that died before its ack: its events may be missing
      // (JetStream drops a repeat).
      const model = await registry.get(modelId);
      if (model) await completedEvents(job, model, 0);
      return;
    }
    if (isFinished(job.status)) {
      if (job.status === 'CANCELLED') await failedEvent(job, 'CANCELLED', 'cancelled', false);
      return;
    }
    job =
      (await jobs.update(job.id, (current) =>
        isFinished(current.status)
          ? null
          : {
              ...current,
              status: 'RUNNING',
              phase: 'search',
              attempts: delivery.deliveryCount,
              tasks: phases.flat().length,
              startedAt: current.startedAt ?? now().toISOString(),
            },
      )) ?? job;
    if (job.status === 'CANCELLED') {
      await failedEvent(job, 'CANCELLED', 'cancelled', false);
      return;
    }
    deps.metrics.jobsInFlight.inc();
    const endTimer = deps.metrics.jobDuration.startTimer();
    try {
      let model = await registry.get(modelId);
      if (!model) {
        // Checked again here: the dataset may have gone since the request, and a command
        // arrives with no mutation before it.
        const { dataset, table } = await deps.data(storage, job.datasetId);
        try {
          engineFit(settings, dataset, table, 0, 'config');
        } catch (error) {
          if (error instanceof TrainingRequestError) {
            throw new PermanentFailure('INVALID_REQUEST', error.message, { cause: error });
          }
          throw error;
        }
        await runPhases(delivery, jobs, job, phases);
        const last = phases[phases.length - 1][0];
        const bytes = await storage.files.get(RESULT_KIND, last.id);
        if (!bytes) throw new Error(`result ${last.id} is missing`);
        const result = decodeModelResult(bytes);
        model = (await registry.commit(modelId, job, result, dataset)).record;
      }
      await completedEvents(job, model, (Date.now() - started) / 1000);
      await jobs.update(job.id, (current) => ({
        ...current,
        status: 'SUCCEEDED',
        phase: 'done',
        progress: 1,
        candidates: { done: current.candidates.total, total: current.candidates.total },
        modelId,
        finishedAt: now().toISOString(),
      }));
      endTimer({ outcome: 'succeeded' });
      deps.logger.info('model stored', {
        jobId: job.id,
        modelId,
        workspaceId: job.workspaceId,
        tasks: phases.flat().length,
        seconds: (Date.now() - started) / 1000,
      });
      await cleanUp(storage, jobs, phases);
    } catch (error) {
      if (error instanceof JobCancelled) {
        endTimer({ outcome: 'cancelled' });
        deps.metrics.failures.inc({ code: 'CANCELLED' });
        const cancelled = await jobs.update(job.id, (current) => ({
          ...current,
          finishedAt: current.finishedAt ?? now().toISOString(),
        }));
        await failedEvent(cancelled ?? job, 'CANCELLED', 'cancelled', false);
        await cleanUp(storage, jobs, phases);
        return;
      }
      endTimer({ outcome: 'failed' });
      throw error;
    } finally {
      deps.metrics.jobsInFlight.dec();
    }
  }

  /** Puts each phase's parts on the queue and waits for them, reporting progress. */
  async function runPhases(
    delivery: Delivery<TrainingRequested>,
    jobs: JobStore,
    job: TrainingJobRecord,
    phases: PlannedTask[][],
  ): Promise<void> {
    const all = phases.flat();
    const totalWork = all.reduce((sum, t) => sum + t.work, 0) || 1;
    const deadline = Date.parse(job.startedAt ?? now().toISOString()) + deps.jobTimeoutMs;
    let finishedWork = 0;
    let lastEvent = 0;
    for (const phase of phases) {
      for (const task of phase) {
        const record = await jobs.getTask(task.id);
        if (record?.status === 'DONE') continue;
        // The same id on a redelivered job: JetStream drops the repeat.
        await publishJob(
          deps.js,
          'trainingTask',
          {
            workspaceId: job.workspaceId,
            jobId: job.id,
            requestId: job.requestId ?? '',
            taskId: task.id,
            kind: TASK_KINDS[task.kind],
            from: task.from,
            to: task.to,
          },
          { msgId: `training-task:${job.workspaceId}:${task.id}` },
        );
      }
      for (;;) {
        if (delivery.signal.aborted)
          throw new Error('worker stopping; the job goes back to the queue');
        const current = await jobs.get(job.id);
        if (!current || current.status === 'CANCELLED') throw new JobCancelled();
        if (Date.now() > deadline) {
          throw new PermanentFailure('TIMEOUT', `the job ran longer than ${deps.jobTimeoutMs} ms`);
        }
        const records = await Promise.all(phase.map((t) => jobs.getTask(t.id)));
        const failed = records.find((r) => r?.status === 'FAILED');
        if (failed?.error) {
          const code: FailureCode =
            failed.error.code === 'HANDLER_FAILED' ? 'TASK_FAILED' : failed.error.code;
          throw new PermanentFailure(code, failed.error.message);
        }
        let done = finishedWork;
        let best: TrainingJobRecord['best'] = current.best;
        let candidates = 0;
        let phaseName = current.phase;
        phase.forEach((t, i) => {
          const r = records[i];
          if (!r) return;
          const share = r.status === 'DONE' ? 1 : r.total > 0 ? r.done / r.total : 0;
          done += share * t.work;
          if (t.kind === 'trials' || t.kind === 'fit') {
            // A whole-fit part counts its posterior steps after its candidates.
            const searched = t.kind === 'fit' ? job.candidates.total : t.work;
            candidates += r.status === 'DONE' ? searched : Math.min(r.done, searched);
          }
          if (r.best && (!best || r.best.nrmse < best.nrmse)) best = r.best;
          if (r.status === 'RUNNING' && r.phase) phaseName = r.phase;
        });
        if (phase[0].kind === 'finish') phaseName = 'model';
        const allDone = records.every((r) => r?.status === 'DONE');
        const progress = Math.min(0.99, done / totalWork);
        const stamp = Date.now();
        if (allDone || stamp - lastEvent >= 500) {
          lastEvent = stamp;
          const updated = await jobs.update(job.id, (r) =>
            r.status !== 'RUNNING'
              ? null
              : {
                  ...r,
                  progress: Math.max(r.progress, progress),
                  phase: phaseName,
                  best,
                  candidates: {
                    done: Math.max(
                      r.candidates.done,
                      phase[0].kind === 'trials' || phase[0].kind === 'fit'
                        ? candidates
                        : r.candidates.total,
                    ),
                    total: r.candidates.total,
                  },
                },
          );
          await publishEvent(deps.js, 'training.progress', {
            workspaceId: job.workspaceId,
            jobId: job.id,
            requestId: job.requestId ?? '',
            fraction: updated?.progress ?? progress,
            totalIterations: job.candidates.total,
            iteration: updated?.candidates.done ?? 0,
            bestNrmse: best?.nrmse ?? 0,
            bestDecompRssd: best?.decompRssd ?? 0,
            message: phaseName,
          }).catch((error: unknown) =>
            deps.logger.warn('could not publish training.progress', { error: String(error) }),
          );
        }
        if (allDone) break;
        await sleep(deps.pollMs);
      }
      finishedWork += phase.reduce((sum, t) => sum + t.work, 0);
    }
  }

  /** A job that failed for good: its record and training.failed say why, with the code. */
  async function onDeadLetter(info: DeadLetterInfo<TrainingRequested>): Promise<void> {
    const message = info.message;
    const storage = deps.storage(message.workspaceId);
    const jobs = jobStore(storage.kv.jobs, now);
    deps.metrics.failures.inc({ code: info.code });
    const job = await jobs.update(message.jobId, (current) =>
      isFinished(current.status)
        ? null
        : {
            ...current,
            status: 'FAILED',
            error: { code: info.code, message: info.reason },
            attempts: info.attempts,
            finishedAt: now().toISOString(),
          },
    );
    if (job) await failedEvent(job, info.code, info.reason, true);
    let settings: TrainingSettings | null = null;
    try {
      settings = resolveTrainingSettings(fieldsFromProto(message.config), 'config');
    } catch {
      // Nothing was split for an invalid request.
    }
    if (settings) await cleanUp(storage, jobs, planTasks(message.jobId, settings, deps.policy));
  }

  return { handle, onDeadLetter };
}
