/**
 * A solver thread: solves scenarios one at a time, so that a slow one (S-shaped curves under
 * share rules take seconds) never holds the process's main thread, which serves GraphQL, NATS
 * and /healthz. Runs as compiled JS (dist/src/domain/solver-thread.js); see solverThreadFile.
 */
import { parentPort } from 'node:worker_threads';
import { solveScenario } from './solve';
import { errorData, type SolveJob, type SolveReply } from './solver-thread-protocol';

parentPort?.on('message', (job: SolveJob) => {
  let reply: SolveReply;
  try {
    reply = { id: job.id, ok: true, solution: solveScenario(job.model, job.scenario, job.budgets) };
  } catch (error) {
    reply = { id: job.id, ok: false, error: errorData(error) };
  }
  parentPort?.postMessage(reply);
});

// The engine is loaded: jobs may come (their time limit counts from here, not from the start).
parentPort?.postMessage({ ready: true } satisfies SolveReply);
