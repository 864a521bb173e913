/**
 * The 'posterior' model choice: instead of the single best-fitting candidate, the mean of the
 * hyperparameters over their posterior, sampled by random-walk Metropolis (Metropolis et al.
 * 1953; Hastings 1970) from the search's best candidates.
 *
 * Why: with every channel's adstock and Hill parameters free, many candidates fit a noisy
 * KPI about equally well, and the one with the lowest in-sample NRMSE is the one that fits the
 * noise best: on the synthetic sets it sits 7-14% below the true hyperparameters' RSS, and its
 * small channels take effect from the large ones. Averaging over the hyperparameters the data
 * cannot tell apart, under a weak prior that keeps them off the edges of their ranges, is what
 * Bayesian MMMs (Meridian, PyMC-Marketing) do; here the linear coefficients stay the ridge's.
 *
 * Model, per candidate h (the genome, lambda held at the start candidate's):
 *   log p(h | y) = -(n / 2) log RSS(h) + k sum_j log(u_j (1 - u_j)) + const
 * where RSS(h) is the ridge fit's residual sum of squares on the fitted rows (the noise sd
 * profiled out: -(n/2) log RSS = -n log NRMSE + const), u_j the hyperparameter scaled to its
 * bounds, and k the prior strength: a Beta(1 + k, 1 + k) prior on each u_j (k = 0: uniform on
 * the bounds, Robyn's implicit prior).
 */
import {
  createCandidateContext,
  createCandidateEvaluator,
  type CandidateContext,
  type CandidateContextInput,
  type ParameterLayout,
} from '../candidate';
import { SeededRandom } from './random';

export interface PosteriorOptions {
  /** Chains, each started from one of the given start candidates in turn (default 4). */
  chains?: number;
  /**
   * Steps per chain; the first half tunes the step size and is dropped. Default: the search's
   * budget (iterations x trials) shared by the chains, at least 1,000 and at most 10,000 each.
   */
  steps?: number;
  /** k of the Beta(1 + k, 1 + k) prior on each hyperparameter scaled to its bounds (default 1). */
  priorStrength?: number;
  /** Keep every thin-th step of the second half (default 5). */
  thin?: number;
  /** Default 1. */
  seed?: number;
}

export interface PosteriorSummary {
  chains: number;
  steps: number;
  priorStrength: number;
  /** Kept draws over all chains. */
  draws: number;
  /** Share of accepted proposals in the kept half. */
  acceptance: number;
  /** Posterior mean of each hyperparameter (layout order; lambda is the start candidate's). */
  mean: Float64Array;
  /** Per paid channel: the median and 5th/95th percentiles of ROAS over the draws. */
  roas: { median: number; lower: number; upper: number }[];
  /**
   * Every kept draw's hyperparameters (draws x layout size, layout order, lambda the start
   * candidate's), chain after chain: what the model's draws are refitted at.
   */
  genomes: Float64Array;
}

export const POSTERIOR_DEFAULTS = { chains: 4, steps: 10_000, priorStrength: 1, thin: 5 };

/** Steps per chain for a search budget of `candidates` evaluations (see PosteriorOptions). */
export function defaultPosteriorSteps(
  candidates: number,
  chains = POSTERIOR_DEFAULTS.chains,
): number {
  return Math.min(10_000, Math.max(1_000, Math.round(candidates / Math.max(1, chains))));
}

/** PosteriorOptions with every default applied. */
export interface PosteriorSettings {
  chains: number;
  steps: number;
  priorStrength: number;
  thin: number;
  seed: number;
}

export function resolvePosteriorSettings(options: PosteriorOptions = {}): PosteriorSettings {
  return {
    chains: Math.max(1, Math.trunc(options.chains ?? POSTERIOR_DEFAULTS.chains)),
    steps: Math.max(2, Math.trunc(options.steps ?? POSTERIOR_DEFAULTS.steps)),
    priorStrength: Math.max(0, options.priorStrength ?? POSTERIOR_DEFAULTS.priorStrength),
    thin: Math.max(1, Math.trunc(options.thin ?? POSTERIOR_DEFAULTS.thin)),
    seed: options.seed ?? 1,
  };
}

/**
 * One chain's work: independent of the others (its own random stream, stream 1000 + chain of
 * the seed), so chains can run on any thread in any order and give the same draws.
 */
export interface PosteriorChainTask {
  chain: number;
  /** The start genome (layout order). */
  start: Float64Array;
  /** lambda_hp, held fixed (the first start candidate's, for every chain). */
  lambda: number;
  steps: number;
  priorStrength: number;
  thin: number;
  seed: number;
}

/** What a chain keeps: its thinned draws of the second half, as plain typed arrays. */
export interface PosteriorChain {
  /** Kept draws. */
  draws: number;
  /** The kept hyperparameters scaled to their bounds (u in [0, 1]), draws x layout size. */
  u: Float64Array;
  /** ROAS of each paid channel at each kept draw, draws x paid channels. */
  roas: Float64Array;
  /** Accepted and proposed moves in the kept half. */
  accepted: number;
  proposed: number;
}

/** The chain tasks for `starts` (genomes, best first): chain c starts from starts[c % count]. */
export function posteriorChainTasks(
  layout: ParameterLayout,
  starts: readonly Float64Array[],
  settings: PosteriorSettings,
): PosteriorChainTask[] {
  if (starts.length === 0) throw new RangeError('the posterior needs at least one start candidate');
  const lambda = starts[0][layout.lambdaIndex];
  return Array.from({ length: settings.chains }, (_, chain) => ({
    chain,
    start: Float64Array.from(starts[chain % starts.length]),
    lambda,
    steps: settings.steps,
    priorStrength: settings.priorStrength,
    thin: settings.thin,
    seed: settings.seed,
  }));
}

/** Steps between two progress reports of a chain (about 20 reports a chain). */
export function chainReportInterval(steps: number): number {
  return Math.max(1, Math.ceil(steps / 20));
}

/**
 * Runs one Metropolis chain. `onSteps(done)` is called with the steps done so far every
 * chainReportInterval(steps) steps and at the end.
 */
export function runPosteriorChain(
  context: CandidateContext,
  task: PosteriorChainTask,
  onSteps?: (done: number) => void,
): PosteriorChain {
  const { layout, paid, paidSpend } = context;
  const { steps, thin, lambda } = task;
  const k = task.priorStrength;
  const d = layout.size;
  const n = context.end - context.start;
  // Dimensions that move: every hyperparameter with a non-empty range, lambda excepted.
  const free: number[] = [];
  for (let j = 0; j < d; j++) {
    if (j !== layout.lambdaIndex && layout.upper[j] > layout.lower[j]) free.push(j);
  }
  const evaluator = createCandidateEvaluator(context);
  const genome = new Float64Array(d);
  const paidCount = paid.length;
  const roasNow = new Float64Array(paidCount);
  const toGenome = (u: Float64Array): Float64Array => {
    for (let j = 0; j < d; j++) {
      genome[j] = layout.lower[j] + (layout.upper[j] - layout.lower[j]) * u[j];
    }
    genome[layout.lambdaIndex] = lambda;
    return genome;
  };
  // Log posterior of u; fills roasNow when finite.
  const logPosterior = (u: Float64Array): number => {
    const r = evaluator.evaluate(toGenome(u));
    if (!r.ok || !(r.nrmse > 0) || !Number.isFinite(r.nrmse)) return -Infinity;
    let lp = -n * Math.log(r.nrmse);
    if (k > 0) for (const j of free) lp += k * Math.log(u[j] * (1 - u[j]));
    for (let p = 0; p < paidCount; p++) {
      roasNow[p] = paidSpend[p] > 0 ? r.effect[p] / paidSpend[p] : 0;
    }
    return lp;
  };

  const burn = Math.floor(steps / 2);
  const kept = Math.ceil((steps - burn) / thin);
  const keptU = new Float64Array(kept * d);
  const keptRoas = new Float64Array(kept * paidCount);
  const report = chainReportInterval(steps);
  let accepted = 0;
  let proposed = 0;
  let draws = 0;
  const random = new SeededRandom(task.seed, 1000 + task.chain);
  const start = task.start;
  const u = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const span = layout.upper[j] - layout.lower[j];
    // Off the edges, where a prior with k > 0 is zero.
    u[j] = span > 0 ? Math.min(1 - 1e-6, Math.max(1e-6, (start[j] - layout.lower[j]) / span)) : 0;
  }
  let current = logPosterior(u);
  let currentRoas = Float64Array.from(roasNow);
  const proposal = new Float64Array(d);
  let step = 0.05;
  for (let s = 0; s < steps; s++) {
    if (onSteps && s > 0 && s % report === 0) onSteps(s);
    proposal.set(u);
    for (const j of free) {
      let v = u[j] + step * random.normal();
      // Reflect at the bounds so that the proposal stays symmetric.
      v = Math.abs(v) % 2;
      if (v > 1) v = 2 - v;
      proposal[j] = Math.min(1 - 1e-9, Math.max(1e-9, v));
    }
    const next = logPosterior(proposal);
    const accept = next - current >= 0 || Math.log(random.next()) < next - current;
    if (accept) {
      u.set(proposal);
      current = next;
      currentRoas = Float64Array.from(roasNow);
    }
    if (s < burn) {
      // Tune towards an acceptance rate of about 0.2 (Roberts, Gelman, Gilks 1997: 0.234).
      step = Math.min(0.5, Math.max(1e-4, step * (accept ? 1.02 : 0.995)));
      continue;
    }
    proposed++;
    if (accept) accepted++;
    if ((s - burn) % thin === 0) {
      keptU.set(u, draws * d);
      keptRoas.set(currentRoas, draws * paidCount);
      draws++;
    }
  }
  onSteps?.(steps);
  return { draws, u: keptU, roas: keptRoas, accepted, proposed };
}

/**
 * The summary over chains, in chain order (the sums run draw by draw in that order, so the
 * figures do not depend on where the chains ran).
 */
export function summarisePosterior(
  layout: ParameterLayout,
  settings: PosteriorSettings,
  lambda: number,
  chains: readonly PosteriorChain[],
): PosteriorSummary {
  const d = layout.size;
  const sum = new Float64Array(d);
  const total = chains.reduce((n, chain) => n + chain.draws, 0);
  const genomes = new Float64Array(total * d);
  let draws = 0;
  let accepted = 0;
  let proposed = 0;
  const paidCount =
    chains.length > 0 && chains[0].draws > 0 ? chains[0].roas.length / chains[0].draws : 0;
  const roasDraws: number[][] = Array.from({ length: paidCount }, () => []);
  for (const chain of chains) {
    accepted += chain.accepted;
    proposed += chain.proposed;
    for (let i = 0; i < chain.draws; i++) {
      for (let j = 0; j < d; j++) {
        const u = chain.u[i * d + j];
        sum[j] += u;
        genomes[draws * d + j] = layout.lower[j] + (layout.upper[j] - layout.lower[j]) * u;
      }
      genomes[draws * d + layout.lambdaIndex] = lambda;
      for (let p = 0; p < paidCount; p++) roasDraws[p].push(chain.roas[i * paidCount + p]);
      draws++;
    }
  }
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] = layout.lower[j] + (layout.upper[j] - layout.lower[j]) * (sum[j] / draws);
  }
  mean[layout.lambdaIndex] = lambda;
  return {
    chains: settings.chains,
    steps: settings.steps,
    priorStrength: settings.priorStrength,
    draws,
    acceptance: proposed > 0 ? accepted / proposed : 0,
    mean,
    genomes,
    roas: roasDraws.map((values) => {
      const sorted = values.slice().sort((a, b) => a - b);
      return {
        median: quantile(sorted, 0.5),
        lower: quantile(sorted, 0.05),
        upper: quantile(sorted, 0.95),
      };
    }),
  };
}

/**
 * Samples the hyperparameters' posterior from `starts` (genomes, best first), every chain in
 * the calling thread. searchMediaMix runs the same chains on its worker pool instead.
 * `onSteps(done, total)` reports steps over all chains.
 */
export function samplePosterior(
  context: CandidateContext,
  starts: readonly Float64Array[],
  options: PosteriorOptions = {},
  onSteps?: (done: number, total: number) => void,
): PosteriorSummary {
  const settings = resolvePosteriorSettings(options);
  const tasks = posteriorChainTasks(context.layout, starts, settings);
  const total = settings.chains * settings.steps;
  const chains = tasks.map((task) =>
    runPosteriorChain(
      context,
      task,
      onSteps && ((done) => onSteps(task.chain * settings.steps + done, total)),
    ),
  );
  return summarisePosterior(context.layout, settings, tasks[0].lambda, chains);
}

/**
 * Worker entry (see objective-worker.ts): runs one chain on the pool's context, a
 * MediaMixObjectivesContext. The candidate context is built once per worker.
 */
const workerContexts = new WeakMap<object, CandidateContext>();
export function runPosteriorChainTask(
  poolContext: { input: CandidateContextInput },
  task: PosteriorChainTask,
  onSteps: (done: number) => void,
): PosteriorChain {
  let context = workerContexts.get(poolContext);
  if (!context) {
    context = createCandidateContext(poolContext.input);
    workerContexts.set(poolContext, context);
  }
  return runPosteriorChain(context, task, onSteps);
}

/** Linear-interpolation quantile (R's type 7) of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
