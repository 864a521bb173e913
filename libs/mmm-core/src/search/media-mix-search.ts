/**
 * The hyperparameter search of a media mix model: NSGA-II (nsga2-search.ts) over every
 * channel's adstock and saturation hyperparameters and lambda_hp, within the layout's
 * bounds, on a pool of worker threads (one per core by default).
 */
import {
  createCandidateContext,
  createCandidateEvaluator,
  copyCandidateResult,
  type CandidateContextInput,
  type CandidateResult,
  type ParameterLayout,
} from '../candidate';
import {
  availableCores,
  compiledSearchModule,
  createWorkerPool,
  serialEvaluator,
  type PooledEvaluator,
} from './evaluator';
import { runNsga2, type SearchProgress } from './nsga2-search';
import {
  createMediaMixObjectives,
  OBJECTIVE_NAMES,
  type LiftTest,
  type MediaMixObjectivesContext,
} from './objectives';

export interface MediaMixSearchOptions {
  /** Candidate evaluations per trial (Robyn's iterations). Default 2000. */
  iterations?: number;
  /** Independent seeded runs (Robyn's trials). Default 5. */
  trials?: number;
  seed?: number;
  /** NSGA-II population per generation (see nsga2-search.ts for the default). */
  populationSize?: number;
  /** Worker threads; 0 evaluates in the calling thread. Default: every core. */
  workers?: number;
  liftTests?: LiftTest[];
  onProgress?: (progress: SearchProgress) => void;
}

export interface MediaMixSearchResult {
  layout: ParameterLayout;
  /** 'nrmse', 'decompRssd' and, with lift tests, 'mapeLift'. */
  objectiveNames: string[];
  /** Every candidate's hyperparameters, count x layout.size (trial-major). */
  parameters: Float64Array;
  /** Every candidate's objectives, count x objectiveNames.length. */
  objectives: Float64Array;
  trial: Int32Array;
  count: number;
  /** Candidate indices on the Pareto front over all trials. */
  paretoFront: number[];
  /** The knee of the front (see nsga2.ts kneeIndex). */
  chosen: number;
  chosenParameters: Float64Array;
  /** The chosen candidate re-evaluated: coefficients, shares, inflexions. */
  chosenResult: CandidateResult;
  settings: {
    iterations: number;
    trials: number;
    seed: number;
    populationSize: number;
    workers: number;
  };
  /** Seconds spent, and candidates per second. */
  timing: { seconds: number; candidatesPerSecond: number };
}

/** Evaluator over the media mix objectives, on `workers` threads (0: this thread). */
export async function createMediaMixEvaluator(
  context: MediaMixObjectivesContext,
  workers: number = availableCores(),
): Promise<PooledEvaluator> {
  if (workers <= 0) return serialEvaluator(createMediaMixObjectives(context));
  return createWorkerPool(
    { module: compiledSearchModule('objectives'), factory: 'createMediaMixObjectives' },
    cloneableInput(context),
    workers,
  );
}

/** Typed copies of the series, so the context crosses postMessage as plain data. */
function cloneableInput(context: MediaMixObjectivesContext): MediaMixObjectivesContext {
  const f = (v: ArrayLike<number> | undefined): Float64Array | undefined =>
    v === undefined ? undefined : Float64Array.from(v);
  const input = context.input;
  return {
    liftTests: context.liftTests,
    input: {
      ...input,
      kpi: Float64Array.from(input.kpi),
      baseline: input.baseline?.map((b) => ({ ...b, values: Float64Array.from(b.values) })),
      channels: input.channels.map((c) => ({
        ...c,
        values: Float64Array.from(c.values),
        spend: f(c.spend),
      })),
    },
  };
}

export async function searchMediaMix(
  input: CandidateContextInput,
  options: MediaMixSearchOptions = {},
): Promise<MediaMixSearchResult> {
  const started = performance.now();
  const context = createCandidateContext(input);
  const objectivesContext: MediaMixObjectivesContext = { input, liftTests: options.liftTests };
  // Fail on bad lift tests here, not inside a worker.
  createMediaMixObjectives(objectivesContext);
  const workers = options.workers ?? availableCores();
  const evaluator = await createMediaMixEvaluator(objectivesContext, workers);
  try {
    const result = await runNsga2(context.layout.lower, context.layout.upper, evaluator, {
      iterations: options.iterations ?? 2000,
      trials: options.trials ?? 5,
      seed: options.seed ?? 1,
      populationSize: options.populationSize,
      onProgress: options.onProgress,
    });
    const d = context.layout.size;
    const chosenParameters = result.genomes.slice(result.chosen * d, result.chosen * d + d);
    const chosenResult = copyCandidateResult(
      createCandidateEvaluator(context).evaluate(chosenParameters),
    );
    const seconds = (performance.now() - started) / 1000;
    const count = result.genomes.length / d;
    return {
      layout: context.layout,
      objectiveNames: OBJECTIVE_NAMES.slice(0, result.objectiveCount),
      parameters: result.genomes,
      objectives: result.objectives,
      trial: result.trial,
      count,
      paretoFront: result.paretoFront,
      chosen: result.chosen,
      chosenParameters,
      chosenResult,
      settings: {
        iterations: result.settings.iterations,
        trials: result.settings.trials,
        seed: result.settings.seed,
        populationSize: result.settings.populationSize,
        workers: evaluator.workers,
      },
      timing: { seconds, candidatesPerSecond: count / seconds },
    };
  } finally {
    await evaluator.close();
  }
}
