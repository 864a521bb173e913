/**
 * The hyperparameter search of a media mix model: NSGA-II (nsga2-search.ts) over every
 * channel's adstock and saturation hyperparameters and lambda_hp, within the layout's
 * bounds, on a pool of worker threads (one per core by default).
 */
import {
  createCandidateContext,
  createCandidateEvaluator,
  copyCandidateResult,
  type CandidateContext,
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
  type WorkerPool,
} from './evaluator';
import { kneeIndex } from './nsga2';
import { runNsga2, type SearchProgress } from './nsga2-search';
import {
  defaultPosteriorSteps,
  posteriorChainTasks,
  resolvePosteriorSettings,
  runPosteriorChain,
  summarisePosterior,
  type PosteriorChain,
  type PosteriorOptions,
  type PosteriorSettings,
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
  /**
   * Worker threads; 0 evaluates in the calling thread. Default: every core. The posterior's
   * chains run on the same pool, one chain per worker at a time.
   */
  workers?: number;
  liftTests?: LiftTest[];
  /**
   * How the model is chosen: 'posterior' (default without lift tests; see posterior.ts) or a
   * rule on the Pareto front (chooseOnFront; default 'best-fit' with lift tests).
   */
  selection?: ModelSelection;
  /** Sampler settings for selection 'posterior'. */
  posterior?: PosteriorOptions;
  /**
   * Called as the search's trials progress (phase 'search') and then, with selection
   * 'posterior', as the sampler's chains progress (phase 'posterior'; see SearchProgress).
   */
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
   * The chosen front member (see MediaMixSearchOptions.selection). With 'posterior' the chosen
   * model is the posterior mean, which is no candidate: then `chosen` is posteriorStart, kept a
   * valid candidate index for readers that index `objectives` with it; the model itself is
   * chosenParameters and chosenObjectives.
   */
  chosen: number;
  /**
   * With 'posterior': the best-fitting candidate, where the first chain started (and whose
   * lambda every chain holds); null with a rule on the front.
   */
  posteriorStart: number | null;
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
): Promise<PooledEvaluator | WorkerPool> {
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

/** MediaMixSearchOptions with every default applied, once. */
interface SearchSettings {
  iterations: number;
  trials: number;
  seed: number;
  populationSize: number | undefined;
  workers: number;
  selection: ModelSelection;
}

function resolveSearchSettings(options: MediaMixSearchOptions): SearchSettings {
  const selection = options.selection ?? defaultSelection(options.liftTests);
  if (selection === 'posterior' && options.liftTests && options.liftTests.length > 0) {
    throw new RangeError(
      "selection 'posterior' does not take lift tests; use 'best-fit' or 'knee'",
    );
  }
  return {
    iterations: options.iterations ?? 2000,
    trials: options.trials ?? 5,
    seed: options.seed ?? 1,
    populationSize: options.populationSize,
    workers: options.workers ?? availableCores(),
    selection,
  };
}

/**
 * The posterior's chains: on the pool's workers when there is a pool (each chain on its own
 * random stream, so the draws are the same on any number of threads), else in this thread.
 * Progress is relayed as phase 'posterior' over all chains.
 */
async function runPosteriorChains(
  evaluator: PooledEvaluator | WorkerPool,
  context: CandidateContext,
  starts: readonly Float64Array[],
  settings: PosteriorSettings,
  onSteps: (done: number, total: number) => void,
): Promise<PosteriorSummary> {
  const tasks = posteriorChainTasks(context.layout, starts, settings);
  const total = settings.chains * settings.steps;
  const done = new Float64Array(tasks.length);
  const report = (chain: number, steps: number): void => {
    done[chain] = steps;
    let sum = 0;
    for (const d of done) sum += d;
    onSteps(sum, total);
  };
  const chains =
    'runTasks' in evaluator
      ? await evaluator.runTasks<PosteriorChain>(
          { module: compiledSearchModule('posterior'), task: 'runPosteriorChainTask' },
          tasks,
          report,
        )
      : tasks.map((task) => runPosteriorChain(context, task, (steps) => report(task.chain, steps)));
  return summarisePosterior(context.layout, settings, tasks[0].lambda, chains);
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
  const settings = resolveSearchSettings(options);
  const { selection } = settings;
  const evaluator = await createMediaMixEvaluator(objectivesContext, settings.workers);
  const onProgress = options.onProgress;
  // The search's last report, carried into the sampler's phase.
  let lastSearch = null as SearchProgress | null;
  try {
    const result = await runNsga2(context.layout.lower, context.layout.upper, evaluator, {
      iterations: settings.iterations,
      trials: settings.trials,
      seed: settings.seed,
      populationSize: settings.populationSize,
      onProgress:
        onProgress &&
        ((progress) => {
          lastSearch = progress;
          onProgress(progress);
        }),
    });
    const d = context.layout.size;
    const m = result.objectiveCount;
    const count = result.genomes.length / d;
    let chosen: number;
    let posteriorStart: number | null = null;
    let chosenParameters: Float64Array;
    let posterior: PosteriorSummary | null = null;
    if (selection === 'posterior') {
      const starts = bestFitting(result.objectives, m, count, 16);
      if (starts.length === 0) throw new RangeError('no candidate could be fitted');
      posteriorStart = starts[0];
      chosen = posteriorStart;
      const posteriorSettings = resolvePosteriorSettings({
        ...options.posterior,
        seed: options.posterior?.seed ?? settings.seed,
        steps: options.posterior?.steps ?? defaultPosteriorSteps(count, options.posterior?.chains),
      });
      const last = lastSearch;
      posterior = await runPosteriorChains(
        evaluator,
        context,
        starts.map((i) => result.genomes.slice(i * d, i * d + d)),
        posteriorSettings,
        (step, steps) => {
          if (onProgress && last) {
            onProgress({ ...last, best: last.best.slice(), phase: 'posterior', step, steps });
          }
        },
      );
      chosenParameters = posterior.mean;
    } else {
      chosen = chooseOnFront(result.objectives, m, result.paretoFront, selection);
      chosenParameters = result.genomes.slice(chosen * d, chosen * d + d);
    }
    let chosenObjectives: number[];
    if (selection === 'posterior') {
      // Score the posterior mean itself (without lift tests: NRMSE and DECOMP.RSSD).
      const scored = new Float64Array(m);
      createMediaMixObjectives(objectivesContext).evaluateInto(chosenParameters, 1, scored);
      chosenObjectives = Array.from(scored);
    } else {
      chosenObjectives = Array.from(result.objectives.subarray(chosen * m, chosen * m + m));
    }
    const chosenResult = copyCandidateResult(
      createCandidateEvaluator(context).evaluate(chosenParameters),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      layout: context.layout,
      objectiveNames: OBJECTIVE_NAMES.slice(0, result.objectiveCount),
      parameters: result.genomes,
      objectives: result.objectives,
      trial: result.trial,
      count,
      paretoFront: result.paretoFront,
      chosen,
      posteriorStart,
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
