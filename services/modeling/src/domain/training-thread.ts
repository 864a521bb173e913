/**
 * One part of a training job, in a worker thread of its own: the engine's search spreads over
 * its own pool of threads from here, and the process's main thread stays free for NATS, the
 * in-progress acks and /healthz. Cancelling a part terminates this thread (and its pool).
 *
 * Runs as the compiled JS (dist/src/domain/training-thread.js); see trainingThreadFile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  chooseModel,
  completeMediaMixFit,
  completeSearch,
  mergeTrialCandidates,
  planEvaluator,
  planMediaMixFit,
  runChains,
  runMediaMixSearch,
  searchTrials,
  serializeModel,
  type FitMediaMixResult,
  type PosteriorChain,
  type SearchProgress,
} from '@mmm/core';
import {
  decodeChains,
  decodeTrials,
  encodeChains,
  encodeModelResult,
  encodeTrials,
  type FittedModelResult,
} from './task-results';
import type { ThreadInput, ThreadMessage } from './training-thread-protocol';

const input = workerData as ThreadInput;

function post(message: ThreadMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

let lastReport = 0;
function progress(phase: string, done: number, total: number, best: number[] | null): void {
  const now = Date.now();
  // About 4 reports a second are enough for the job record and the progress events.
  if (done < total && now - lastReport < 250) return;
  lastReport = now;
  post({
    type: 'progress',
    phase,
    done,
    total,
    best: best ? { nrmse: best[0], decompRssd: best[1] } : null,
  });
}

function modelResult(fit: FitMediaMixResult, seconds: number): FittedModelResult {
  const { search } = fit;
  const m = search.objectiveNames.length;
  const d = search.layout.size;
  const named = (values: ArrayLike<number>, names: readonly string[]) =>
    Object.fromEntries(names.map((name, k) => [name, values[k]]));
  return {
    model: serializeModel(fit.model),
    // The curves are drawn from the stored model when asked for.
    channels: fit.channels.map(({ responseCurve: _curve, ...channel }) => channel),
    paretoFront: search.paretoFront.map((i) => ({
      index: i,
      trial: search.trial[i] + 1,
      objectives: named(search.objectives.subarray(i * m, i * m + m), search.objectiveNames),
      hyperparameters: named(search.parameters.subarray(i * d, i * d + d), search.layout.names),
    })),
    candidates: search.count,
    searchSeconds: seconds,
    candidatesCsv: input.keepCandidates ? candidatesCsv(fit) : null,
  };
}

function candidatesCsv(fit: FitMediaMixResult): string {
  const { search } = fit;
  const m = search.objectiveNames.length;
  const d = search.layout.size;
  const front = new Set(search.paretoFront);
  const lines = [
    ['trial', 'index', ...search.layout.names, ...search.objectiveNames, 'front'].join(','),
  ];
  for (let i = 0; i < search.count; i++) {
    lines.push(
      [
        search.trial[i] + 1,
        i,
        ...Array.from(search.parameters.subarray(i * d, i * d + d)),
        ...Array.from(search.objectives.subarray(i * m, i * m + m)),
        front.has(i) ? 1 : 0,
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

async function run(): Promise<Uint8Array> {
  const started = performance.now();
  const plan = planMediaMixFit(input.table, { ...input.options, workers: input.workers });
  const onSearch = (p: SearchProgress) => {
    if ((p.phase ?? 'search') === 'posterior') {
      progress('posterior', p.evaluated + (p.step ?? 0), p.total + (p.steps ?? 0), p.best);
    } else {
      progress('search', p.evaluated, p.total + input.chainSteps, p.best);
    }
  };
  switch (input.kind) {
    case 'fit': {
      const search = await runMediaMixSearch(plan.search, onSearch);
      const fit = completeMediaMixFit(plan, search);
      return encodeModelResult(modelResult(fit, (performance.now() - started) / 1000));
    }
    case 'trials': {
      const evaluator = await planEvaluator(plan.search);
      try {
        const candidates = await searchTrials(
          plan.search,
          evaluator,
          { from: input.from, to: input.to },
          (p) => progress('search', p.evaluated, p.total, p.best),
        );
        return encodeTrials(candidates);
      } finally {
        await evaluator.close();
      }
    }
    case 'chains': {
      const candidates = mergeTrialCandidates(input.trials.map(decodeTrials));
      const choice = chooseModel(plan.search, candidates);
      if (!choice.posterior)
        throw new Error('these settings choose no posterior: nothing to sample');
      const tasks = choice.posterior.tasks.slice(input.from, input.to);
      const evaluator = await planEvaluator(plan.search);
      try {
        const chains = await runChains(plan.search, evaluator, tasks, (done, total) =>
          progress('posterior', done, total, null),
        );
        return encodeChains(input.from, chains);
      } finally {
        await evaluator.close();
      }
    }
    case 'finish': {
      const candidates = mergeTrialCandidates(input.trials.map(decodeTrials));
      const choice = chooseModel(plan.search, candidates);
      let chains: PosteriorChain[] | null = null;
      if (choice.posterior) {
        const parts = input.chains.map(decodeChains).sort((a, b) => a.from - b.from);
        chains = parts.flatMap((p) => p.chains);
      }
      const search = completeSearch(plan.search, candidates, choice, chains, {
        seconds: (performance.now() - started) / 1000,
        workers: input.workers,
      });
      const fit = completeMediaMixFit(plan, search);
      return encodeModelResult(modelResult(fit, (performance.now() - started) / 1000));
    }
  }
}

run().then(
  (bytes) => post({ type: 'result', bytes }, [bytes.buffer as ArrayBuffer]),
  (error: unknown) =>
    post({
      type: 'error',
      // The engine reports what the data or settings cannot give as RangeError.
      engine: error instanceof RangeError,
      message: error instanceof Error ? error.message : String(error),
    }),
);
