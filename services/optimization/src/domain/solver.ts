import { Worker } from 'node:worker_threads';
import type { MediaMixModel } from '@mmm/core';
import { ServiceUnavailableError, type Logger } from '@mmm/platform';
import type { ScenarioRequest } from './scenario-input';
import { asValidationError, solveScenario, type Solution } from './solve';
import {
  errorFromData,
  solverThreadFile,
  type SolveJob,
  type SolveReply,
} from './solver-thread-protocol';

// Where scenarios are solved: a few long-lived threads (the default) or, with 0 threads, the
// main thread itself. Most scenarios take milliseconds; S-shaped curves under share rules take
// seconds (a grid program per total), which the main thread must not spend.

export interface Solver {
  /** The solution, or BAD_USER_INPUT naming the caller's fields. */
  solve(model: MediaMixModel, request: ScenarioRequest): Promise<Solution>;
  stop(): Promise<void>;
}

/** Solves on the calling thread. */
export function inlineSolver(): Solver {
  return {
    async solve(model, request) {
      try {
        return solveScenario(model, request.scenario, request.frontier);
      } catch (error) {
        throw asValidationError(error, request);
      }
    },
    async stop() {},
  };
}

interface Pending {
  job: SolveJob;
  resolve: (solution: Solution) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** The thread has loaded the engine. */
  ready: boolean;
  busy: Pending | null;
  timer: NodeJS.Timeout | null;
}

export interface ThreadSolverOptions {
  threads: number;
  /** A solve running longer is stopped (its thread replaced) and fails as unavailable. */
  timeoutMs: number;
  logger: Logger;
}

/** Solves on `threads` worker threads; jobs wait in order for a free one. */
export function threadSolver(options: ThreadSolverOptions): Solver {
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let stopped = false;

  const finish = (slot: Slot) => {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const pending = slot.busy;
    slot.busy = null;
    return pending;
  };

  const replace = (slot: Slot, why: string) => {
    const pending = finish(slot);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    if (pending) pending.reject(new ServiceUnavailableError(why));
    if (stopped) return;
    if (!slot.ready) {
      // A thread that cannot even start (e.g. its build is missing) would fail again at once.
      slots.splice(slots.indexOf(slot), 1);
      options.logger.error('solver thread could not start', { reason: why });
      if (slots.length === 0) {
        for (const waiting of queue.splice(0)) {
          waiting.reject(new ServiceUnavailableError('no solver thread could start'));
        }
      }
      return;
    }
    slots[slots.indexOf(slot)] = spawn();
    pump();
  };

  function spawn(): Slot {
    const slot: Slot = {
      worker: new Worker(solverThreadFile()),
      ready: false,
      busy: null,
      timer: null,
    };
    slot.worker.on('message', (reply: SolveReply) => {
      if ('ready' in reply) {
        slot.ready = true;
        pump();
        return;
      }
      const pending = finish(slot);
      if (pending) {
        if (reply.ok) pending.resolve(reply.solution);
        else pending.reject(errorFromData(reply.error));
      }
      pump();
    });
    slot.worker.on('error', (error) => {
      options.logger.error('solver thread failed', { error });
      replace(slot, 'the solver failed; try again');
    });
    slot.worker.on('exit', (code) => {
      if (!stopped) replace(slot, `the solver thread exited (${code}); try again`);
    });
    // An idle thread does not keep the process alive.
    slot.worker.unref();
    return slot;
  }

  function pump() {
    for (const slot of slots) {
      if (!slot.ready || slot.busy || queue.length === 0) continue;
      const pending = queue.shift() as Pending;
      slot.busy = pending;
      slot.timer = setTimeout(() => {
        options.logger.warn('scenario solve timed out', { timeoutMs: options.timeoutMs });
        replace(slot, `the scenario took longer than ${options.timeoutMs} ms to solve`);
      }, options.timeoutMs);
      slot.worker.postMessage(pending.job);
    }
  }

  for (let i = 0; i < options.threads; i++) slots.push(spawn());

  return {
    solve(model, request) {
      if (stopped) return Promise.reject(new ServiceUnavailableError('the solver is stopped'));
      if (slots.length === 0) {
        return Promise.reject(new ServiceUnavailableError('no solver thread could start'));
      }
      return new Promise<Solution>((resolve, reject) => {
        queue.push({
          job: { id: nextId++, model, scenario: request.scenario, budgets: request.frontier },
          resolve,
          reject: (error) => reject(asValidationError(error, request)),
        });
        pump();
      });
    },
    async stop() {
      stopped = true;
      for (const pending of queue.splice(0)) {
        pending.reject(new ServiceUnavailableError('the service is stopping'));
      }
      await Promise.all(
        slots.map(async (slot) => {
          finish(slot)?.reject(new ServiceUnavailableError('the service is stopping'));
          slot.worker.removeAllListeners();
          await slot.worker.terminate();
        }),
      );
    },
  };
}
