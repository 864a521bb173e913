import { createHash, randomBytes } from 'node:crypto';
import { RevisionConflictError, type FailureCode, type ScopedKv } from '@mmm/platform';

// Training jobs as kept in KV (bucket mmm_jobs, kind 'training'; the parts of a split job under
// kind 'training-task'). The record is what `trainingJob(id)` answers; writes go through
// compare-and-set, so a cancel and the worker's progress never overwrite each other.

export const JOB_KIND = 'training';
export const TASK_KIND = 'training-task';

export type TrainingJobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export function isFinished(status: TrainingJobStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
}

export interface TrainingJobRecord {
  id: string;
  workspaceId: string;
  datasetId: string;
  status: TrainingJobStatus;
  /** Share of the work done, 0 to 1. */
  progress: number;
  /** 'queued', 'search', 'posterior', 'model' or 'done'. */
  phase: string;
  /** Best NRMSE and DECOMP.RSSD seen so far. */
  best: { nrmse: number; decompRssd: number } | null;
  /** Candidates evaluated so far and in all. */
  candidates: { done: number; total: number };
  /** Parts the search was split into (1: one worker ran it whole). */
  tasks: number;
  modelId: string | null;
  error: { code: FailureCode; message: string } | null;
  /** Deliveries of the job so far (a redelivered job counts again). */
  attempts: number;
  /** The settings as given (TrainingSettings JSON). */
  settings: Record<string, unknown>;
  /** How it started: 'api', 'command', 'auto-train'. */
  origin: string;
  requestId: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type TaskStatus = 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';

export interface TrainingTaskRecord {
  id: string;
  jobId: string;
  status: TaskStatus;
  /** What the part's thread is at: 'search' or 'posterior'. */
  phase: string | null;
  /** Candidates or chain steps done, and in all. */
  done: number;
  total: number;
  best: { nrmse: number; decompRssd: number } | null;
  error: { code: FailureCode; message: string } | null;
  updatedAt: string;
}

/** A job as queued: nothing done yet. */
export function queuedJob(fields: {
  id: string;
  workspaceId: string;
  datasetId: string;
  candidates: number;
  settings: Record<string, unknown>;
  origin: string;
  requestId: string | null;
  at: string;
}): TrainingJobRecord {
  return {
    id: fields.id,
    workspaceId: fields.workspaceId,
    datasetId: fields.datasetId,
    status: 'QUEUED',
    progress: 0,
    phase: 'queued',
    best: null,
    candidates: { done: 0, total: fields.candidates },
    tasks: 0,
    modelId: null,
    error: null,
    attempts: 0,
    settings: fields.settings,
    origin: fields.origin,
    requestId: fields.requestId,
    createdAt: fields.at,
    updatedAt: fields.at,
    startedAt: null,
    finishedAt: null,
  };
}

/** A new job id: `job_` and 20 hex digits. */
export function newJobId(): string {
  return `job_${randomBytes(10).toString('hex')}`;
}

/** The job id of a command: the same message (id) is the same job. */
export function jobIdFor(workspaceId: string, messageId: string): string {
  return `job_${createHash('sha256').update(`${workspaceId}\n${messageId}`).digest('hex').slice(0, 20)}`;
}

/** The model a job stores: one per job, whatever happens to its workers. */
export function modelIdFor(jobId: string): string {
  return `mdl_${jobId.replace(/^job_/, '')}`;
}

export interface JobStore {
  get(id: string): Promise<TrainingJobRecord | null>;
  /** Writes a new job; false when one with that id exists already. */
  create(record: TrainingJobRecord): Promise<boolean>;
  /**
   * Applies `change` to the current record by compare-and-set, retrying on a concurrent write.
   * `change` returns null to leave the record as it is. Resolves with the record as stored.
   */
  update(
    id: string,
    change: (current: TrainingJobRecord) => TrainingJobRecord | null,
  ): Promise<TrainingJobRecord | null>;
  getTask(id: string): Promise<TrainingTaskRecord | null>;
  putTask(record: TrainingTaskRecord): Promise<void>;
  deleteTask(id: string): Promise<void>;
}

export function jobStore(kv: ScopedKv, now: () => Date = () => new Date()): JobStore {
  return {
    get: (id) => kv.get<TrainingJobRecord>(JOB_KIND, id),
    async create(record) {
      try {
        await kv.put(JOB_KIND, record.id, record, { expectRevision: 0 });
        return true;
      } catch (error) {
        if (error instanceof RevisionConflictError) return false;
        throw error;
      }
    },
    async update(id, change) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const entry = await kv.getEntry<TrainingJobRecord>(JOB_KIND, id);
        if (!entry) return null;
        const next = change(entry.value);
        if (next === null) return entry.value;
        const stored = { ...next, updatedAt: now().toISOString() };
        try {
          await kv.put(JOB_KIND, id, stored, { expectRevision: entry.revision });
          return stored;
        } catch (error) {
          if (!(error instanceof RevisionConflictError)) throw error;
        }
      }
      throw new Error(`job ${id} kept changing while being updated`);
    },
    getTask: (id) => kv.get<TrainingTaskRecord>(TASK_KIND, id),
    async putTask(record) {
      await kv.put(TASK_KIND, record.id, record);
    },
    deleteTask: (id) => kv.delete(TASK_KIND, id),
  };
}

/** Nats-Msg-Id of a job's events: a repeat (a redelivered job) is dropped by JetStream. */
export function jobEventId(event: string, workspaceId: string, jobId: string): string {
  return `${event}:${workspaceId}:${jobId}`;
}
