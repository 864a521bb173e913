/**
 * The operators of NSGA-II: K. Deb, A. Pratap, S. Agarwal, T. Meyarivan, "A fast and elitist
 * multiobjective genetic algorithm: NSGA-II", IEEE Trans. Evolutionary Computation 6(2),
 * 182-197, 2002. Names follow the paper (fronts F_i, rank, crowding distance, crowded
 * comparison). Variation is simulated binary crossover (SBX, Deb and Agrawal 1995) and
 * polynomial mutation, in the bounded form of Deb's reference C code (nsga2-v1.1).
 *
 * Objectives are minimised and stored row-major: candidate i, objective k at [i * m + k].
 * NaN counts as +Infinity so that a failed candidate is dominated by every finite one.
 */
import type { SeededRandom } from './random';

function value(objectives: Float64Array, index: number): number {
  const v = objectives[index];
  return v === v ? v : Infinity;
}

/** True when candidate a dominates b: no worse in every objective, better in one. */
export function dominates(objectives: Float64Array, m: number, a: number, b: number): boolean {
  let better = false;
  for (let k = 0; k < m; k++) {
    const va = value(objectives, a * m + k);
    const vb = value(objectives, b * m + k);
    if (va > vb) return false;
    if (va < vb) better = true;
  }
  return better;
}

/**
 * Fast non-dominated sort (Deb et al. 2002, section III-A) over the candidates listed in
 * `members` (indices into `objectives`). Returns the fronts, best first, as lists of those
 * indices; O(m N^2), which is fine for the 2N-sized populations of one generation.
 */
export function fastNonDominatedSort(
  objectives: Float64Array,
  m: number,
  members: ArrayLike<number>,
): number[][] {
  const n = members.length;
  const dominatedBy: number[][] = new Array(n);
  const dominationCount = new Int32Array(n);
  const fronts: number[][] = [[]];
  for (let p = 0; p < n; p++) dominatedBy[p] = [];
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (dominates(objectives, m, members[p], members[q])) {
        dominatedBy[p].push(q);
        dominationCount[q]++;
      } else if (dominates(objectives, m, members[q], members[p])) {
        dominatedBy[q].push(p);
        dominationCount[p]++;
      }
    }
  }
  for (let p = 0; p < n; p++) if (dominationCount[p] === 0) fronts[0].push(p);
  let i = 0;
  while (fronts[i].length > 0) {
    const next: number[] = [];
    for (const p of fronts[i]) {
      for (const q of dominatedBy[p]) {
        if (--dominationCount[q] === 0) next.push(q);
      }
    }
    i++;
    fronts.push(next);
  }
  fronts.pop();
  return fronts.map((front) => front.map((p) => members[p]));
}

/**
 * Crowding distance of each member of one front (Deb et al. 2002, section III-B): the sum
 * over objectives of the normalised gap between its two neighbours; boundary points get
 * Infinity so that the extremes of the front are always kept.
 */
export function crowdingDistance(
  objectives: Float64Array,
  m: number,
  front: readonly number[],
): Float64Array {
  const l = front.length;
  const distance = new Float64Array(l);
  if (l <= 2) {
    distance.fill(Infinity);
    return distance;
  }
  const order = new Array<number>(l);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < l; i++) order[i] = i;
    order.sort(
      (a, b) => value(objectives, front[a] * m + k) - value(objectives, front[b] * m + k) || a - b,
    );
    const fMin = value(objectives, front[order[0]] * m + k);
    const fMax = value(objectives, front[order[l - 1]] * m + k);
    distance[order[0]] = Infinity;
    distance[order[l - 1]] = Infinity;
    const span = fMax - fMin;
    if (!(span > 0) || !Number.isFinite(span)) continue;
    for (let i = 1; i < l - 1; i++) {
      const gap =
        value(objectives, front[order[i + 1]] * m + k) -
        value(objectives, front[order[i - 1]] * m + k);
      if (Number.isFinite(gap)) distance[order[i]] += gap / span;
    }
  }
  return distance;
}

export interface VariationSettings {
  /** Probability that a pair of parents is recombined (paper: 0.9). */
  crossoverProbability: number;
  /** SBX distribution index eta_c (paper: 20); larger keeps children near parents. */
  crossoverEta: number;
  /** Per-gene mutation probability (paper: 1 / number of variables). */
  mutationProbability: number;
  /** Polynomial mutation distribution index eta_m (paper: 20). */
  mutationEta: number;
}

/**
 * Bounded SBX on every gene with probability 0.5 (Deb's nsga2 code, realcross): children are
 * spread around the parents with a density whose spread shrinks as eta_c grows, clipped so
 * that no child leaves [lower, upper].
 */
export function sbxCrossover(
  parent1: Float64Array,
  parent2: Float64Array,
  child1: Float64Array,
  child2: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  settings: VariationSettings,
  random: SeededRandom,
): void {
  const d = parent1.length;
  child1.set(parent1);
  child2.set(parent2);
  if (random.next() > settings.crossoverProbability) return;
  const eta = settings.crossoverEta;
  for (let j = 0; j < d; j++) {
    if (random.next() > 0.5) continue;
    const x1 = parent1[j];
    const x2 = parent2[j];
    if (Math.abs(x1 - x2) <= 1e-14) continue;
    const y1 = Math.min(x1, x2);
    const y2 = Math.max(x1, x2);
    const yl = lower[j];
    const yu = upper[j];
    const rand = random.next();

    let beta = 1 + (2 * (y1 - yl)) / (y2 - y1);
    let alpha = 2 - Math.pow(beta, -(eta + 1));
    let betaq =
      rand <= 1 / alpha
        ? Math.pow(rand * alpha, 1 / (eta + 1))
        : Math.pow(1 / (2 - rand * alpha), 1 / (eta + 1));
    let c1 = 0.5 * (y1 + y2 - betaq * (y2 - y1));

    beta = 1 + (2 * (yu - y2)) / (y2 - y1);
    alpha = 2 - Math.pow(beta, -(eta + 1));
    betaq =
      rand <= 1 / alpha
        ? Math.pow(rand * alpha, 1 / (eta + 1))
        : Math.pow(1 / (2 - rand * alpha), 1 / (eta + 1));
    let c2 = 0.5 * (y1 + y2 + betaq * (y2 - y1));

    c1 = Math.min(Math.max(c1, yl), yu);
    c2 = Math.min(Math.max(c2, yl), yu);
    if (random.next() <= 0.5) {
      child1[j] = c2;
      child2[j] = c1;
    } else {
      child1[j] = c1;
      child2[j] = c2;
    }
  }
}

/** Bounded polynomial mutation (Deb's nsga2 code, real_mutate_ind), in place. */
export function polynomialMutation(
  x: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  settings: VariationSettings,
  random: SeededRandom,
): void {
  const eta = settings.mutationEta;
  const mutPow = 1 / (eta + 1);
  for (let j = 0; j < x.length; j++) {
    if (random.next() > settings.mutationProbability) continue;
    const yl = lower[j];
    const yu = upper[j];
    const span = yu - yl;
    if (!(span > 0)) continue;
    const y = x[j];
    const delta1 = (y - yl) / span;
    const delta2 = (yu - y) / span;
    const rnd = random.next();
    let deltaq: number;
    if (rnd <= 0.5) {
      const xy = 1 - delta1;
      const val = 2 * rnd + (1 - 2 * rnd) * Math.pow(xy, eta + 1);
      deltaq = Math.pow(val, mutPow) - 1;
    } else {
      const xy = 1 - delta2;
      const val = 2 * (1 - rnd) + 2 * (rnd - 0.5) * Math.pow(xy, eta + 1);
      deltaq = 1 - Math.pow(val, mutPow);
    }
    x[j] = Math.min(Math.max(y + deltaq * span, yl), yu);
  }
}

/**
 * Front 1 (the non-dominated set) of many candidates, in O(N log N + N F m) where F is the
 * front size: candidates are visited in lexicographic order of their objectives, so none can
 * be dominated by one visited later, and each is checked only against the front so far.
 * Exact duplicates of a front point are kept (neither dominates the other).
 */
export function paretoFrontIndices(objectives: Float64Array, m: number, count: number): number[] {
  const order = new Array<number>(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => {
    for (let k = 0; k < m; k++) {
      const d = value(objectives, a * m + k) - value(objectives, b * m + k);
      if (d < 0 || d > 0) return d;
    }
    return a - b;
  });
  const front: number[] = [];
  for (const i of order) {
    let dominated = false;
    for (const f of front) {
      if (dominates(objectives, m, f, i)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push(i);
  }
  return front.sort((a, b) => a - b);
}

/**
 * The knee of a front: the member closest (Euclidean) to the utopia point after min-max
 * normalising each objective over the front, the rule Robyn uses to rank its Pareto models
 * (R/R/clusters.R, errors_scores: sqrt of the sum of squared min-max normalised errors).
 * Ties go to the lower index, so the choice is reproducible.
 */
export function kneeIndex(
  objectives: Float64Array,
  m: number,
  front: readonly number[],
  weights?: readonly number[],
): number {
  if (front.length === 0) return -1;
  const lo = new Float64Array(m).fill(Infinity);
  const hi = new Float64Array(m).fill(-Infinity);
  for (const i of front) {
    for (let k = 0; k < m; k++) {
      const v = value(objectives, i * m + k);
      if (!Number.isFinite(v)) continue;
      if (v < lo[k]) lo[k] = v;
      if (v > hi[k]) hi[k] = v;
    }
  }
  let best = -1;
  let bestScore = Infinity;
  for (const i of front) {
    let score = 0;
    for (let k = 0; k < m; k++) {
      const v = value(objectives, i * m + k);
      const span = hi[k] - lo[k];
      const normalised = !Number.isFinite(v) ? 1 : span > 0 ? (v - lo[k]) / span : 0;
      const w = weights ? weights[k] : 1;
      score += w * w * normalised * normalised;
    }
    if (score < bestScore || (score === bestScore && i < best)) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
