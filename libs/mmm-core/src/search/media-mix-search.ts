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
import { kneeIndex, paretoFrontIndices } from './nsga2';
import {
  runNsga2,
  type GenomeEvaluator,
  type SearchProgress,
  type TrialRange,
} from './nsga2-search';
import {
  defaultPosteriorSteps,
  posteriorChainTasks,
  resolvePosteriorSettings,
  runPosteriorChain,
  summarisePosterior,
  type PosteriorChain,
  type PosteriorChainTask,
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
export interface SearchSettings {
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
 * A search cut into stages that can run apart, in any process, and still give exactly the
 * result of searchMediaMix (which runs them one after the other on one pool):
 *
 * 1. searchTrials: the NSGA-II trials, whole or a range of them (each trial is seeded on its
 *    own, so ranges concatenate into the whole search: mergeTrialCandidates);
 * 2. chooseModel: the Pareto front and the choice; with 'posterior', the sampler's chains to
 *    run (each seeded on its own);
 * 3. runChains: some or all of those chains;
 * 4. completeSearch: the chains' summary, the chosen model's objectives and re-evaluation.
 *
 * Every stage starts from the same plan (planMediaMixSearch of the same input and options).
 */
export interface MediaMixSearchPlan {
  input: CandidateContextInput;
  objectivesContext: MediaMixObjectivesContext;
  context: CandidateContext;
  settings: SearchSettings;
  posterior: PosteriorOptions | undefined;
  objectiveCount: number;
}

export function planMediaMixSearch(
  input: CandidateContextInput,
  options: MediaMixSearchOptions = {},
): MediaMixSearchPlan {
  const context = createCandidateContext(input);
  const objectivesContext: MediaMixObjectivesContext = { input, liftTests: options.liftTests };
  // Fail on bad lift tests here, not inside a worker.
  const objectives = createMediaMixObjectives(objectivesContext);
  return {
    input,
    objectivesContext,
    context,
    settings: resolveSearchSettings(options),
    posterior: options.posterior,
    objectiveCount: objectives.objectiveCount,
  };
}

/** The candidates of trials [from, to) of a search, trial-major (see runNsga2). */
export interface TrialCandidates {
  trialRange: TrialRange;
  /** Trials of the whole search. */
  trials: number;
  iterations: number;
  populationSize: number;
  dimension: number;
  objectiveCount: number;
  /** count x dimension. */
  parameters: Float64Array;
  /** count x objectiveCount. */
  objectives: Float64Array;
  trial: Int32Array;
}

/** The evaluator a plan's stages run on: `workers` threads (0: the calling thread). */
export function planEvaluator(
  plan: MediaMixSearchPlan,
  workers: number = plan.settings.workers,
): Promise<PooledEvaluator | WorkerPool> {
  return createMediaMixEvaluator(plan.objectivesContext, workers);
}

/** Stage 1: the NSGA-II trials of `range` (default: all). */
export async function searchTrials(
  plan: MediaMixSearchPlan,
  evaluator: GenomeEvaluator,
  range?: TrialRange,
  onProgress?: (progress: SearchProgress) => void,
): Promise<TrialCandidates> {
  const { layout } = plan.context;
  const result = await runNsga2(layout.lower, layout.upper, evaluator, {
    iterations: plan.settings.iterations,
    trials: plan.settings.trials,
    seed: plan.settings.seed,
    populationSize: plan.settings.populationSize,
    trialRange: range,
    onProgress,
  });
  return {
    trialRange: result.trialRange,
    trials: result.settings.trials,
    iterations: result.settings.iterations,
    populationSize: result.settings.populationSize,
    dimension: result.dimension,
    objectiveCount: result.objectiveCount,
    parameters: result.genomes,
    objectives: result.objectives,
    trial: result.trial,
  };
}

/**
 * The whole search's candidates from trial ranges run apart: they must cover every trial
 * once, and then the arrays are exactly those of one run over all trials.
 */
export function mergeTrialCandidates(parts: readonly TrialCandidates[]): TrialCandidates {
  if (parts.length === 0) throw new RangeError('no trial candidates to merge');
  const sorted = parts.slice().sort((a, b) => a.trialRange.from - b.trialRange.from);
  const first = sorted[0];
  let next = 0;
  for (const part of sorted) {
    if (
      part.trials !== first.trials ||
      part.iterations !== first.iterations ||
      part.dimension !== first.dimension ||
      part.objectiveCount !== first.objectiveCount
    ) {
      throw new RangeError('trial candidates of different searches cannot be merged');
    }
    if (part.trialRange.from !== next) {
      throw new RangeError(
        `trial candidates do not cover trial ${next} (next range starts at ${part.trialRange.from})`,
      );
    }
    next = part.trialRange.to;
  }
  if (next !== first.trials) {
    throw new RangeError(`trial candidates end at trial ${next} of ${first.trials}`);
  }
  if (sorted.length === 1) return sorted[0];
  const concat = <T extends Float64Array | Int32Array>(pick: (p: TrialCandidates) => T): T => {
    const total = sorted.reduce((sum, p) => sum + pick(p).length, 0);
    const out = new (pick(first).constructor as { new (n: number): T })(total);
    let at = 0;
    for (const part of sorted) {
      out.set(pick(part), at);
      at += pick(part).length;
    }
    return out;
  };
  return {
    ...first,
    trialRange: { from: 0, to: first.trials },
    parameters: concat((p) => p.parameters),
    objectives: concat((p) => p.objectives),
    trial: concat((p) => p.trial),
  };
}

/** Stage 2's answer: the front, the choice, and with 'posterior' the chains to run. */
export interface ModelChoice {
  paretoFront: number[];
  /** The chosen front member, or with 'posterior' the best-fitting candidate (posteriorStart). */
  chosen: number;
  posteriorStart: number | null;
  /** With 'posterior': the sampler's settings and one task per chain; null otherwise. */
  posterior: { settings: PosteriorSettings; tasks: PosteriorChainTask[] } | null;
}

/** Stage 2: the Pareto front over all candidates and the model choice. */
export function chooseModel(plan: MediaMixSearchPlan, candidates: TrialCandidates): ModelChoice {
  const m = candidates.objectiveCount;
  const d = candidates.dimension;
  const count = candidates.parameters.length / d;
  const paretoFront = paretoFrontIndices(candidates.objectives, m, count);
  const { selection } = plan.settings;
  if (selection !== 'posterior') {
    return {
      paretoFront,
      chosen: chooseOnFront(candidates.objectives, m, paretoFront, selection),
      posteriorStart: null,
      posterior: null,
    };
  }
  const starts = bestFitting(candidates.objectives, m, count, 16);
  if (starts.length === 0) throw new RangeError('no candidate could be fitted');
  const settings = resolvePosteriorSettings({
    ...plan.posterior,
    seed: plan.posterior?.seed ?? plan.settings.seed,
    steps: plan.posterior?.steps ?? defaultPosteriorSteps(count, plan.posterior?.chains),
  });
  const tasks = posteriorChainTasks(
    plan.context.layout,
    starts.map((i) => candidates.parameters.slice(i * d, i * d + d)),
    settings,
  );
  return {
    paretoFront,
    chosen: starts[0],
    posteriorStart: starts[0],
    posterior: { settings, tasks },
  };
}

/**
 * Stage 3: posterior chains, on the evaluator's workers when it has them (one chain per free
 * worker), else in this thread. `onSteps(done, total)` counts steps over the given tasks.
 */
export async function runChains(
  plan: MediaMixSearchPlan,
  evaluator: PooledEvaluator | WorkerPool,
  tasks: readonly PosteriorChainTask[],
  onSteps?: (done: number, total: number) => void,
): Promise<PosteriorChain[]> {
  const total = tasks.reduce((sum, task) => sum + task.steps, 0);
  const done = new Float64Array(tasks.length);
  const report = (index: number, steps: number): void => {
    done[index] = steps;
    let sum = 0;
    for (const d of done) sum += d;
    onSteps?.(sum, total);
  };
  if ('runTasks' in evaluator) {
    return evaluator.runTasks<PosteriorChain>(
      { module: compiledSearchModule('posterior'), task: 'runPosteriorChainTask' },
      tasks,
      report,
    );
  }
  return tasks.map((task, i) => runPosteriorChain(plan.context, task, (steps) => report(i, steps)));
}

/**
 * Stage 4: the search's result from its candidates, the choice and (with 'posterior') every
 * chain in chain order. `seconds` is the wall time the caller measured; `workers` the threads
 * the trials ran on (reported, never part of the model).
 */
export function completeSearch(
  plan: MediaMixSearchPlan,
  candidates: TrialCandidates,
  choice: ModelChoice,
  chains: readonly PosteriorChain[] | null,
  timing: { seconds: number; workers: number },
): MediaMixSearchResult {
  const { layout } = plan.context;
  const d = candidates.dimension;
  const m = candidates.objectiveCount;
  const count = candidates.parameters.length / d;
  let chosenParameters: Float64Array;
  let chosenObjectives: number[];
  let posterior: PosteriorSummary | null = null;
  if (choice.posterior) {
    if (!chains || chains.length !== choice.posterior.tasks.length) {
      throw new RangeError(
        `the posterior needs its ${choice.posterior.tasks.length} chains, got ${chains?.length ?? 0}`,
      );
    }
    posterior = summarisePosterior(
      layout,
      choice.posterior.settings,
      choice.posterior.tasks[0].lambda,
      chains,
    );
    chosenParameters = posterior.mean;
    // Score the posterior mean itself (without lift tests: NRMSE and DECOMP.RSSD).
    const scored = new Float64Array(m);
    createMediaMixObjectives(plan.objectivesContext).evaluateInto(chosenParameters, 1, scored);
    chosenObjectives = Array.from(scored);
  } else {
    chosenParameters = candidates.parameters.slice(choice.chosen * d, choice.chosen * d + d);
    chosenObjectives = Array.from(
      candidates.objectives.subarray(choice.chosen * m, choice.chosen * m + m),
    );
  }
  const chosenResult = copyCandidateResult(
    createCandidateEvaluator(plan.context).evaluate(chosenParameters),
  );
  return {
    layout,
    objectiveNames: OBJECTIVE_NAMES.slice(0, m),
    parameters: candidates.parameters,
    objectives: candidates.objectives,
    trial: candidates.trial,
    count,
    paretoFront: choice.paretoFront,
    chosen: choice.chosen,
    posteriorStart: choice.posteriorStart,
    selection: plan.settings.selection,
    chosenParameters,
    chosenObjectives,
    posterior,
    chosenResult,
    settings: {
      iterations: candidates.iterations,
      trials: candidates.trials,
      seed: plan.settings.seed,
      populationSize: candidates.populationSize,
      workers: timing.workers,
    },
    timing: { seconds: timing.seconds, candidatesPerSecond: count / timing.seconds },
  };
}

/** Every stage of a plan, one after the other on one pool. */
export async function runMediaMixSearch(
  plan: MediaMixSearchPlan,
  onProgress?: (progress: SearchProgress) => void,
): Promise<MediaMixSearchResult> {
  const started = performance.now();
  const evaluator = await planEvaluator(plan);
  // The search's last report, carried into the sampler's phase.
  let lastSearch = null as SearchProgress | null;
  try {
    const candidates = await searchTrials(
      plan,
      evaluator,
      undefined,
      onProgress &&
        ((progress) => {
          lastSearch = progress;
          onProgress(progress);
        }),
    );
    const choice = chooseModel(plan, candidates);
    let chains: PosteriorChain[] | null = null;
    if (choice.posterior) {
      const last = lastSearch;
      chains = await runChains(plan, evaluator, choice.posterior.tasks, (step, steps) => {
        if (onProgress && last) {
          onProgress({ ...last, best: last.best.slice(), phase: 'posterior', step, steps });
        }
      });
    }
    return completeSearch(plan, candidates, choice, chains, {
      seconds: (performance.now() - started) / 1000,
      workers: evaluator.workers,
    });
  } finally {
    await evaluator.close();
  }
}

export async function searchMediaMix(
  input: CandidateContextInput,
  options: MediaMixSearchOptions = {},
): Promise<MediaMixSearchResult> {
  return runMediaMixSearch(planMediaMixSearch(input, options), options.onProgress);
}
