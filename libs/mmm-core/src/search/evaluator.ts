/**
 * Genome evaluators for the search: in the calling thread, or spread over a pool of
 * worker_threads. This and objective-worker.ts are the only modules of @mmm/core that
 * touch node: the rest of the core is pure math.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GenomeEvaluator } from './nsga2-search';

/** Synchronous objectives of a batch of genomes; what each worker runs. */
export interface GenomeObjectives {
  readonly dimension: number;
  readonly objectiveCount: number;
  evaluateInto(genomes: Float64Array, count: number, out: Float64Array): void;
}

/**
 * Where a worker finds its objectives: a compiled CommonJS module (absolute path) and the
 * name of a factory it exports, called once per worker with the structured-cloneable context.
 */
export interface ObjectivesFactoryRef {
  module: string;
  factory: string;
}

/**
 * A task a worker can run on the pool's context: `task` is the name of a function that
 * `module` (compiled CommonJS, absolute path) exports, called as
 * task(context, args, onSteps) and returning a structured-cloneable result.
 */
export interface WorkerTaskRef {
  module: string;
  task: string;
}

export interface PooledEvaluator extends GenomeEvaluator {
  readonly workers: number;
  close(): Promise<void>;
}

/** A pool that also runs independent tasks, one per free worker at a time. */
export interface WorkerPool extends PooledEvaluator {
  /**
   * Runs task(context, args[i]) for every i on the workers and resolves with the results in
   * the order of args. onSteps(i, done) relays the progress task i reports.
   */
  runTasks<R>(
    ref: WorkerTaskRef,
    args: readonly unknown[],
    onSteps?: (index: number, done: number) => void,
  ): Promise<R[]>;
}

/** Runs the objectives in the calling thread. */
export function serialEvaluator(objectives: GenomeObjectives): PooledEvaluator {
  return {
    dimension: objectives.dimension,
    objectiveCount: objectives.objectiveCount,
    workers: 0,
    evaluate(genomes, count, out) {
      objectives.evaluateInto(genomes, count, out);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/**
 * The compiled JS of a module of this folder. Workers cannot run TypeScript, so under
 * ts-jest (this file is src/search/evaluator.ts) they load the `tsc --build` output in
 * dist/src/search/ instead.
 */
export function compiledSearchModule(name: string): string {
  if (__filename.endsWith('.ts')) {
    return path.resolve(__dirname, '..', '..', 'dist', 'src', 'search', `${name}.js`);
  }
  return path.join(__dirname, `${name}.js`);
}

export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

interface Reply {
  id: number;
  out?: Float64Array;
  result?: unknown;
  progress?: number;
  error?: string;
  dimension?: number;
  objectiveCount?: number;
}

/**
 * A pool of worker threads, each building its objectives once from `context`. A batch is
 * cut into one contiguous slice per worker; slices travel as transferred Float64Arrays,
 * so the only copies are the slices themselves.
 */
export async function createWorkerPool(
  ref: ObjectivesFactoryRef,
  context: unknown,
  workerCount: number = availableCores(),
): Promise<WorkerPool> {
  const count = Math.max(1, Math.trunc(workerCount));
  const script = compiledSearchModule('objective-worker');
  const workers: Worker[] = [];
  const pending = new Map<
    number,
    {
      resolve: (r: Reply) => void;
      reject: (e: Error) => void;
      onProgress?: (done: number) => void;
    }
  >();
  let nextId = 1;
  let closed = false;

  const call = (
    worker: Worker,
    message: object,
    transfer: ArrayBuffer[] = [],
    onProgress?: (done: number) => void,
  ): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ ...message, id }, transfer);
    });
  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  for (let w = 0; w < count; w++) {
    const worker = new Worker(script);
    worker.on('message', (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      if (reply.progress !== undefined) {
        p.onProgress?.(reply.progress);
        return;
      }
      pending.delete(reply.id);
      if (reply.error !== undefined) p.reject(new Error(reply.error));
      else p.resolve(reply);
    });
    worker.on('error', (error) => failAll(error));
    worker.on('exit', (code) => {
      if (!closed) failAll(new Error(`search worker exited with code ${code}`));
    });
    workers.push(worker);
  }

  let dimension = 0;
  let objectiveCount = 0;
  try {
    const replies = await Promise.all(
      workers.map((worker) => call(worker, { kind: 'init', ref, context })),
    );
    dimension = replies[0].dimension ?? 0;
    objectiveCount = replies[0].objectiveCount ?? 0;
  } catch (error) {
    closed = true;
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }

  return {
    dimension,
    objectiveCount,
    workers: count,
    async evaluate(genomes, n, out) {
      const slices = Math.min(count, n);
      const tasks: Promise<void>[] = [];
      let start = 0;
      for (let w = 0; w < slices; w++) {
        const size = Math.floor(n / slices) + (w < n % slices ? 1 : 0);
        const from = start;
        const slice = genomes.slice(from * dimension, (from + size) * dimension);
        tasks.push(
          call(workers[w], { kind: 'evaluate', genomes: slice, count: size }, [slice.buffer]).then(
            (reply) => {
              if (reply.out) out.set(reply.out, from * objectiveCount);
            },
          ),
        );
        start += size;
      }
      await Promise.all(tasks);
    },
    async runTasks<R>(
      ref: WorkerTaskRef,
      args: readonly unknown[],
      onSteps?: (index: number, done: number) => void,
    ): Promise<R[]> {
      const results = new Array<R>(args.length);
      let next = 0;
      // Each worker takes the next task as soon as it is free.
      const drain = async (worker: Worker): Promise<void> => {
        while (next < args.length) {
          const i = next++;
          const reply = await call(
            worker,
            { kind: 'task', ref, args: args[i] },
            [],
            onSteps && ((done) => onSteps(i, done)),
          );
          results[i] = reply.result as R;
        }
      };
      await Promise.all(workers.slice(0, Math.min(count, args.length)).map(drain));
      return results;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
