/**
 * The NSGA-II search loop (Deb et al. 2002) over a box of real genes, Robyn-style:
 * `trials` independent runs, each of exactly `iterations` candidate evaluations.
 *
 * Definitions (as in Robyn's robyn_run(iterations, trials)):
 * - iterations: candidate evaluations in one trial. A trial starts from a Latin hypercube
 *   sample of `populationSize` genomes, then each generation makes `populationSize`
 *   children (the last one fewer, so that the trial evaluates exactly `iterations`).
 *   Generations per trial = ceil(iterations / populationSize).
 * - trials: independent runs with their own random streams (stream t of `seed`); their
 *   candidates are pooled for the Pareto front.
 *
 * All randomness lives here, in the calling thread; candidates are evaluated in batches
 * (every trial's generation at once) by a GenomeEvaluator, which may spread them over
 * worker threads. Evaluation is deterministic, so results do not depend on the worker count.
 */
import {
  crowdingDistance,
  fastNonDominatedSort,
  kneeIndex,
  paretoFrontIndices,
  polynomialMutation,
  sbxCrossover,
  type VariationSettings,
} from './nsga2';
import { SeededRandom } from './random';

/** Evaluates genomes into objectives (minimised). */
export interface GenomeEvaluator {
  readonly dimension: number;
  readonly objectiveCount: number;
  /**
   * Objectives of `count` genomes laid out row-major in `genomes` (count x dimension),
   * written row-major into `out` (count x objectiveCount). Must be deterministic.
   */
  evaluate(genomes: Float64Array, count: number, out: Float64Array): Promise<void>;
}

/**
 * Progress of a search. `phase` says which part runs: 'search' (the NSGA-II trials, the only
 * phase of runNsga2) or 'posterior' (searchMediaMix's sampler after the trials, selection
 * 'posterior'). In the 'posterior' phase the trial fields keep the finished search's final
 * values (so evaluated === total) and step / steps count the sampler's steps over all chains.
 */
export interface SearchProgress {
  /** Absent from emitters older than the field; read `phase ?? 'search'`. */
  phase?: 'search' | 'posterior';
  /** Phase 'posterior': Metropolis steps done over all chains, and their total. */
  step?: number;
  steps?: number;
  /** Trial index, 0-based. */
  trial: number;
  trials: number;
  /** Candidates evaluated so far in this trial (Robyn's iteration counter). */
  iteration: number;
  iterations: number;
  /** Candidates evaluated so far over the trials run (all, or the trial range). */
  evaluated: number;
  total: number;
  /** Best value of each objective seen so far in this trial (separately per objective). */
  best: number[];
}

export interface Nsga2Options extends Partial<VariationSettings> {
  /** Candidate evaluations per trial. */
  iterations: number;
  /** Independent runs. */
  trials: number;
  seed: number;
  /** Genomes per generation; default clamp(round(iterations / 20), 10, 100). */
  populationSize?: number;
  /**
   * Run only trials [from, to) of the `trials`: each trial has its own random stream, so the
   * candidates of a range are exactly those the whole search makes for those trials, and
   * ranges run apart (on other machines) concatenate into the whole search's arrays.
   * Default: every trial.
   */
  trialRange?: TrialRange;
  onProgress?: (progress: SearchProgress) => void;
}

/** Trials [from, to) of a search. */
export interface TrialRange {
  from: number;
  to: number;
}

export interface Nsga2Settings extends VariationSettings {
  iterations: number;
  trials: number;
  seed: number;
  populationSize: number;
  generations: number;
}

export interface Nsga2Result {
  settings: Nsga2Settings;
  /** The trials run (every trial unless options.trialRange was given). */
  trialRange: TrialRange;
  dimension: number;
  objectiveCount: number;
  /**
   * count x dimension, candidate of trial t at (t - trialRange.from) * iterations +
   * evaluation order.
   */
  genomes: Float64Array;
  /** count x objectiveCount. */
  objectives: Float64Array;
  /** Trial of each candidate. */
  trial: Int32Array;
  /** Generation (0 = initial sample) of each candidate. */
  generation: Int32Array;
  /** Indices of the non-dominated candidates over the trials run, ascending. */
  paretoFront: number[];
  /** The knee of the front: closest to the utopia point on min-max normalised objectives. */
  chosen: number;
}

export function resolveNsga2Settings(options: Nsga2Options, dimension: number): Nsga2Settings {
  const iterations = Math.trunc(options.iterations);
  const trials = Math.trunc(options.trials);
  if (!(iterations >= 2))
    throw new RangeError(`iterations must be >= 2, got ${options.iterations}`);
  if (!(trials >= 1)) throw new RangeError(`trials must be >= 1, got ${options.trials}`);
  if (!Number.isFinite(options.seed)) throw new RangeError(`seed must be a number`);
  const populationSize = Math.min(
    iterations,
    Math.max(2, Math.trunc(options.populationSize ?? clamp(Math.round(iterations / 20), 10, 100))),
  );
  return {
    iterations,
    trials,
    seed: Math.trunc(options.seed),
    populationSize,
    generations: Math.ceil(iterations / populationSize),
    crossoverProbability: options.crossoverProbability ?? 0.9,
    crossoverEta: options.crossoverEta ?? 15,
    mutationProbability: options.mutationProbability ?? 1 / Math.max(1, dimension),
    mutationEta: options.mutationEta ?? 20,
  };
}

interface TrialState {
  random: SeededRandom;
  /** Global indices of the current parent population. */
  population: number[];
  rank: Map<number, number>;
  crowding: Map<number, number>;
  evaluated: number;
  best: number[];
}

export async function runNsga2(
  lower: Float64Array,
  upper: Float64Array,
  evaluator: GenomeEvaluator,
  options: Nsga2Options,
): Promise<Nsga2Result> {
  const d = evaluator.dimension;
  const m = evaluator.objectiveCount;
  if (lower.length !== d || upper.length !== d) {
    throw new RangeError(`bounds have ${lower.length}/${upper.length} genes, evaluator wants ${d}`);
  }
  for (let j = 0; j < d; j++) {
    if (!(lower[j] <= upper[j])) throw new RangeError(`gene ${j}: lower bound above upper bound`);
  }
  const settings = resolveNsga2Settings(options, d);
  const { iterations, populationSize: n } = settings;
  const range = options.trialRange ?? { from: 0, to: settings.trials };
  if (!(Number.isInteger(range.from) && range.from >= 0 && range.to <= settings.trials)) {
    throw new RangeError(
      `trials [${range.from}, ${range.to}) are not within 0..${settings.trials}`,
    );
  }
  if (!(Number.isInteger(range.to) && range.to > range.from)) {
    throw new RangeError(`trial range [${range.from}, ${range.to}) is empty`);
  }
  // Local trial k is the search's trial range.from + k.
  const trials = range.to - range.from;
  const total = iterations * trials;
  const genomes = new Float64Array(total * d);
  const objectives = new Float64Array(total * m);
  const trialOf = new Int32Array(total);
  const generationOf = new Int32Array(total);

  const states: TrialState[] = [];
  for (let t = 0; t < trials; t++) {
    states.push({
      random: new SeededRandom(settings.seed, range.from + t),
      population: [],
      rank: new Map(),
      crowding: new Map(),
      evaluated: 0,
      best: new Array<number>(m).fill(Infinity),
    });
  }

  // Generation 0: a Latin hypercube per trial, which covers each gene's range evenly.
  const batch: number[] = [];
  for (let t = 0; t < trials; t++) {
    const s = states[t];
    const base = t * iterations;
    for (let j = 0; j < d; j++) {
      const strata = permutation(n, s.random);
      for (let i = 0; i < n; i++) {
        const u = (strata[i] + s.random.next()) / n;
        genomes[(base + i) * d + j] = lower[j] + u * (upper[j] - lower[j]);
      }
    }
    for (let i = 0; i < n; i++) {
      trialOf[base + i] = range.from + t;
      batch.push(base + i);
      s.population.push(base + i);
    }
  }
  let evaluatedTotal = 0;
  const evaluateBatch = async (indices: number[]): Promise<void> => {
    const g = new Float64Array(indices.length * d);
    for (let b = 0; b < indices.length; b++) {
      g.set(genomes.subarray(indices[b] * d, indices[b] * d + d), b * d);
    }
    const out = new Float64Array(indices.length * m);
    await evaluator.evaluate(g, indices.length, out);
    for (let b = 0; b < indices.length; b++) {
      objectives.set(out.subarray(b * m, b * m + m), indices[b] * m);
    }
    evaluatedTotal += indices.length;
  };
  const report = (s: TrialState, t: number, indices: number[]): void => {
    for (const i of indices) {
      if (trialOf[i] !== range.from + t) continue;
      s.evaluated++;
      for (let k = 0; k < m; k++) {
        const v = objectives[i * m + k];
        if (v < s.best[k]) s.best[k] = v;
      }
    }
    options.onProgress?.({
      phase: 'search',
      trial: range.from + t,
      trials: settings.trials,
      iteration: s.evaluated,
      iterations,
      evaluated: evaluatedTotal,
      total,
      best: s.best.slice(),
    });
  };

  await evaluateBatch(batch);
  for (let t = 0; t < trials; t++) {
    rankPopulation(states[t], objectives, m);
    report(states[t], t, batch);
  }

  const child1 = new Float64Array(d);
  const child2 = new Float64Array(d);
  for (let gen = 1; gen < settings.generations; gen++) {
    const offspringCount = Math.min(n, iterations - gen * n);
    batch.length = 0;
    for (let t = 0; t < trials; t++) {
      const s = states[t];
      const start = t * iterations + gen * n;
      for (let c = 0; c < offspringCount; c += 2) {
        const p1 = tournament(s);
        const p2 = tournament(s);
        sbxCrossover(
          genomes.subarray(p1 * d, p1 * d + d),
          genomes.subarray(p2 * d, p2 * d + d),
          child1,
          child2,
          lower,
          upper,
          settings,
          s.random,
        );
        polynomialMutation(child1, lower, upper, settings, s.random);
        polynomialMutation(child2, lower, upper, settings, s.random);
        genomes.set(child1, (start + c) * d);
        if (c + 1 < offspringCount) genomes.set(child2, (start + c + 1) * d);
      }
      for (let c = 0; c < offspringCount; c++) {
        trialOf[start + c] = range.from + t;
        generationOf[start + c] = gen;
        batch.push(start + c);
      }
    }
    await evaluateBatch(batch);
    for (let t = 0; t < trials; t++) {
      const s = states[t];
      const start = t * iterations + gen * n;
      const combined = s.population.slice();
      for (let c = 0; c < offspringCount; c++) combined.push(start + c);
      s.population = selectSurvivors(combined, n, objectives, m);
      rankPopulation(s, objectives, m);
      report(s, t, batch);
    }
  }

  const paretoFront = paretoFrontIndices(objectives, m, total);
  return {
    settings,
    trialRange: { from: range.from, to: range.to },
    dimension: d,
    objectiveCount: m,
    genomes,
    objectives,
    trial: trialOf,
    generation: generationOf,
    paretoFront,
    chosen: kneeIndex(objectives, m, paretoFront),
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function permutation(n: number, random: SeededRandom): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

function rankPopulation(s: TrialState, objectives: Float64Array, m: number): void {
  s.rank.clear();
  s.crowding.clear();
  const fronts = fastNonDominatedSort(objectives, m, s.population);
  fronts.forEach((front, r) => {
    const distance = crowdingDistance(objectives, m, front);
    front.forEach((i, k) => {
      s.rank.set(i, r);
      s.crowding.set(i, distance[k]);
    });
  });
}

/** Binary tournament with the crowded-comparison operator (lower rank, then larger distance). */
function tournament(s: TrialState): number {
  const a = s.population[s.random.int(s.population.length)];
  const b = s.population[s.random.int(s.population.length)];
  const ra = s.rank.get(a) ?? 0;
  const rb = s.rank.get(b) ?? 0;
  if (ra !== rb) return ra < rb ? a : b;
  const ca = s.crowding.get(a) ?? 0;
  const cb = s.crowding.get(b) ?? 0;
  if (ca !== cb) return ca > cb ? a : b;
  return a < b ? a : b;
}

/** Elitist replacement: whole fronts of P u Q, then the last front by crowding distance. */
function selectSurvivors(
  combined: number[],
  n: number,
  objectives: Float64Array,
  m: number,
): number[] {
  const next: number[] = [];
  for (const front of fastNonDominatedSort(objectives, m, combined)) {
    if (next.length + front.length <= n) {
      next.push(...front);
      if (next.length === n) break;
      continue;
    }
    const distance = crowdingDistance(objectives, m, front);
    const order = front.map((_, k) => k);
    order.sort((a, b) => distance[b] - distance[a] || front[a] - front[b]);
    for (let k = 0; next.length < n; k++) next.push(front[order[k]]);
    break;
  }
  return next;
}
