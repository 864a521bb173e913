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
import { kneeIndex } from './nsga2';
import { runNsga2, type SearchProgress } from './nsga2-search';
import {
  defaultPosteriorSteps,
  samplePosterior,
  type PosteriorOptions,
  type PosteriorSummary,
} from './posterior';
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
  /**
   * How the model is chosen: 'posterior' (default without lift tests; see posterior.ts) or a
   * rule on the Pareto front (chooseOnFront; default 'best-fit' with lift tests).
   */
  selection?: ModelSelection;
  /** Sampler settings for selection 'posterior'. */
  posterior?: PosteriorOptions;
  onProgress?: (progress: SearchProgress) => void;
}

/**
 * - 'knee': the front member closest to the utopia point on min-max normalised objectives
 *   (Robyn's errors_scores with equal weights, R/R/clusters.R).
 * - 'best-fit': the fit alone decides: the lowest NRMSE, or with lift tests the knee of NRMSE
 *   and MAPE.LIFT. DECOMP.RSSD, which pulls effect shares towards spend shares (a business
 *   prior that biases recovery when true ROAS differ), is left out.
 * - { nrmseTolerance: t }: the knee among members whose NRMSE is within (1 + t) of the best.
 */
export type FrontSelection = 'knee' | 'best-fit' | { nrmseTolerance: number };

/**
 * 'posterior': the posterior mean of the hyperparameters, sampled from the best-fitting
 * candidates (posterior.ts); the most accurate rule on synthetic data with known truth
 * (docs/BENCHMARKS.md). It does not take lift tests. Otherwise a rule on the front.
 */
export type ModelSelection = FrontSelection | 'posterior';

/** The default rule: 'posterior', or 'best-fit' when lift tests are given. */
export function defaultSelection(liftTests?: readonly LiftTest[]): ModelSelection {
  return liftTests && liftTests.length > 0 ? 'best-fit' : 'posterior';
}

/** The chosen candidate index on a front (objective 0 is NRMSE). */
export function chooseOnFront(
  objectives: Float64Array,
  objectiveCount: number,
  front: readonly number[],
  selection: FrontSelection = 'knee',
): number {
  if (front.length === 0) return -1;
  if (selection === 'knee') return kneeIndex(objectives, objectiveCount, front);
  if (selection === 'best-fit') {
    // The knee of the fit objectives only: NRMSE and, with lift tests, MAPE.LIFT.
    return kneeIndex(objectives, objectiveCount, front, [1, 0, 1]);
  }
  let best = Infinity;
  for (const i of front) best = Math.min(best, objectives[i * objectiveCount]);
  const tolerance = Math.max(0, selection.nrmseTolerance);
  const near = front.filter((i) => objectives[i * objectiveCount] <= best * (1 + tolerance));
  return kneeIndex(objectives, objectiveCount, near);
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
  /**
   * The chosen front member (see MediaMixSearchOptions.selection); with 'posterior', the
   * best-fitting candidate the first chain started from.
   */
  chosen: number;
  selection: ModelSelection;
  /** The chosen model's hyperparameters (with 'posterior': the posterior mean). */
  chosenParameters: Float64Array;
  /** The chosen model's objectives, in objectiveNames order. */
  chosenObjectives: number[];
  /** With selection 'posterior': the sampler's summary, ROAS intervals included. */
  posterior: PosteriorSummary | null;
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

/**
 * Up to `count` candidates with the lowest NRMSE, best first, skipping duplicates of a
 * genome already taken (NSGA-II keeps elite copies).
 */
function bestFitting(objectives: Float64Array, m: number, total: number, count: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < total; i++) if (Number.isFinite(objectives[i * m])) order.push(i);
  order.sort((a, b) => objectives[a * m] - objectives[b * m] || a - b);
  const out: number[] = [];
  let last = NaN;
  for (const i of order) {
    if (objectives[i * m] === last) continue;
    out.push(i);
    last = objectives[i * m];
    if (out.length === count) break;
  }
  return out;
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
  if (options.selection === 'posterior' && options.liftTests && options.liftTests.length > 0) {
    throw new RangeError(
      "selection 'posterior' does not take lift tests; use 'best-fit' or 'knee'",
    );
  }
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
    const m = result.objectiveCount;
    const selection = options.selection ?? defaultSelection(options.liftTests);
    let chosen: number;
    let chosenParameters: Float64Array;
    let posterior: PosteriorSummary | null = null;
    if (selection === 'posterior') {
      const starts = bestFitting(result.objectives, m, result.genomes.length / d, 16);
      if (starts.length === 0) throw new RangeError('no candidate could be fitted');
      chosen = starts[0];
      posterior = samplePosterior(
        context,
        starts.map((i) => result.genomes.slice(i * d, i * d + d)),
        {
          seed: options.seed ?? 1,
          steps: defaultPosteriorSteps(result.genomes.length / d, options.posterior?.chains),
          ...options.posterior,
        },
      );
      chosenParameters = posterior.mean;
    } else {
      chosen = chooseOnFront(result.objectives, m, result.paretoFront, selection);
      chosenParameters = result.genomes.slice(chosen * d, chosen * d + d);
    }
    const chosenObjectives = Array.from(result.objectives.subarray(chosen * m, chosen * m + m));
    if (selection === 'posterior') {
      // Score the posterior mean itself (without lift tests: NRMSE and DECOMP.RSSD).
      const scored = new Float64Array(m);
      createMediaMixObjectives(objectivesContext).evaluateInto(chosenParameters, 1, scored);
      chosenObjectives.splice(0, m, ...scored);
    }
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
      chosen,
      selection,
      chosenParameters,
      chosenObjectives,
      posterior,
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
