import {
  PermanentFailure,
  type Delivery,
  type DeadLetterInfo,
  type Logger,
  type TrainingTask,
  TrainingTaskKind,
  type WorkspaceStorage,
} from '@mmm/platform';
import { isFinished, jobStore, type TrainingTaskRecord } from './jobs';
import type { TrainingMetrics } from './metrics';
import { RESULT_KIND, type TrainingDataSource } from './training-data';
import { chainStepsOf, planTasks, type SplitPolicy } from './training-plan';
import {
  engineFit,
  resolveTrainingSettings,
  TrainingRequestError,
  type TrainingRequestFields,
} from './training-settings';
import { EngineRefusal, startTrainingThread, type ThreadInput } from './training-thread-protocol';

export interface TaskRunnerDeps {
  storage(workspaceId: string): WorkspaceStorage;
  data: TrainingDataSource;
  /** Engine threads per part. */
  threads: number;
  /** How often a running part looks for a cancel. */
  pollMs: number;
  policy: SplitPolicy;
  metrics: TrainingMetrics;
  logger: Logger;
}

const KIND_NAMES: Partial<Record<TrainingTaskKind, 'fit' | 'trials' | 'chains' | 'finish'>> = {
  [TrainingTaskKind.FIT]: 'fit',
  [TrainingTaskKind.TRIALS]: 'trials',
  [TrainingTaskKind.CHAINS]: 'chains',
  [TrainingTaskKind.FINISH]: 'finish',
};

/**
 * Computes parts of training jobs (any worker replica takes any part): reads the dataset and the
 * job's settings, runs the part in a training thread, stores its result, marks it done. A part
 * of a cancelled or finished job is dropped; a cancel arriving while it runs stops its thread.
 */
export function taskRunner(deps: TaskRunnerDeps) {
  async function handle(delivery: Delivery<TrainingTask>): Promise<void> {
    const task = delivery.message;
    const kind = KIND_NAMES[task.kind];
    if (!kind) throw new PermanentFailure('INVALID_REQUEST', `task ${task.taskId} has no kind`);
    const storage = deps.storage(task.workspaceId);
    const jobs = jobStore(storage.kv.jobs);
    const job = await jobs.get(task.jobId);
    if (!job || isFinished(job.status)) return;
    const existing = await jobs.getTask(task.taskId);
    if (existing?.status === 'DONE') return;

    const record: TrainingTaskRecord = {
      id: task.taskId,
      jobId: task.jobId,
      status: 'RUNNING',
      phase: null,
      done: 0,
      total: 0,
      best: null,
      error: null,
      updatedAt: new Date().toISOString(),
    };
    await jobs.putTask(record);

    let settings;
    try {
      settings = resolveTrainingSettings(job.settings as TrainingRequestFields, 'settings');
    } catch (error) {
      if (error instanceof TrainingRequestError) {
        throw new PermanentFailure('INVALID_REQUEST', error.message, { cause: error });
      }
      throw error;
    }
    const { dataset, table } = await deps.data(storage, job.datasetId);
    let fit;
    try {
      fit = engineFit(settings, dataset, table, deps.threads, 'settings');
    } catch (error) {
      if (error instanceof TrainingRequestError) {
        throw new PermanentFailure('INVALID_REQUEST', error.message, { cause: error });
      }
      throw error;
    }
    const base = {
      table: fit.table,
      options: fit.options,
      workers: deps.threads,
      keepCandidates: settings.keepCandidates,
      chainSteps: chainStepsOf(settings),
    };
    const phases = planTasks(task.jobId, settings, deps.policy);
    const readResults = async (kindOf: 'trials' | 'chains') => {
      const ids = phases
        .flat()
        .filter((t) => t.kind === kindOf)
        .map((t) => t.id);
      return Promise.all(
        ids.map(async (id) => {
          const bytes = await storage.files.get(RESULT_KIND, id);
          if (!bytes) throw new Error(`result ${id} is missing`);
          return bytes;
        }),
      );
    };
    let input: ThreadInput;
    switch (kind) {
      case 'fit':
        input = { ...base, kind };
        break;
      case 'trials':
        input = { ...base, kind, from: task.from, to: task.to };
        break;
      case 'chains':
        input = {
          ...base,
          kind,
          from: task.from,
          to: task.to,
          trials: await readResults('trials'),
        };
        break;
      case 'finish':
        input = {
          ...base,
          kind,
          trials: await readResults('trials'),
          chains: phases.length > 2 ? await readResults('chains') : [],
        };
        break;
    }

    deps.metrics.tasksInFlight.inc();
    const started = performance.now();
    // Writes of the part's record go one after the other: a progress write still on its way
    // must not land after (and so undo) the final DONE.
    let writes = Promise.resolve();
    const write = (next: TrainingTaskRecord) => {
      writes = writes.then(() => jobs.putTask(next)).catch(() => undefined);
      return writes;
    };
    let lastWrite = 0;
    let lastDone = 0;
    let cancelled = false;
    const thread = startTrainingThread(input, (progress) => {
      if (progress.phase === 'search') {
        deps.metrics.candidates.inc(Math.max(0, progress.done - lastDone));
        lastDone = progress.done;
      }
      record.phase = progress.phase;
      record.done = progress.done;
      record.total = progress.total;
      record.best = progress.best ?? record.best;
      const now = Date.now();
      if (now - lastWrite < 250) return;
      lastWrite = now;
      record.updatedAt = new Date(now).toISOString();
      void write({ ...record });
    });
    const watch = setInterval(() => {
      void jobs
        .get(task.jobId)
        .then((current) => {
          if (current && isFinished(current.status)) {
            cancelled = true;
            void thread.cancel();
          }
        })
        .catch(() => undefined);
    }, deps.pollMs);
    const onStop = () => void thread.cancel();
    delivery.signal.addEventListener('abort', onStop);
    let bytes: Uint8Array;
    try {
      bytes = await thread.result;
    } catch (error) {
      if (cancelled) {
        deps.logger.info('task stopped: its job ended', { taskId: task.taskId });
        return;
      }
      if (error instanceof EngineRefusal) {
        throw new PermanentFailure('FIT_FAILED', error.message, { cause: error });
      }
      throw error;
    } finally {
      clearInterval(watch);
      delivery.signal.removeEventListener('abort', onStop);
      deps.metrics.tasksInFlight.dec();
    }
    await storage.files.put(RESULT_KIND, task.taskId, bytes);
    deps.metrics.tasks.inc({ kind });
    deps.logger.info('part done', {
      taskId: task.taskId,
      kind,
      seconds: (performance.now() - started) / 1000,
    });
    await writes;
    await jobs.putTask({
      ...record,
      status: 'DONE',
      done: record.total,
      updatedAt: new Date().toISOString(),
    });
  }

  /** A part that failed for good: its record says so, and the job's coordinator fails the job. */
  async function onDeadLetter(info: DeadLetterInfo<TrainingTask>): Promise<void> {
    const task = info.message;
    const jobs = jobStore(deps.storage(task.workspaceId).kv.jobs);
    await jobs.putTask({
      id: task.taskId,
      jobId: task.jobId,
      status: 'FAILED',
      phase: null,
      done: 0,
      total: 0,
      best: null,
      error: { code: info.code, message: info.reason },
      updatedAt: new Date().toISOString(),
    });
  }

  return { handle, onDeadLetter };
}
