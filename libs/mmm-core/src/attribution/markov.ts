/**
 * Markov chain removal effect (Anderl, Becker, von Wangenheim & Schumann 2016, "Mapping the
 * customer journey: lessons learned from graph-based online attribution modeling", IJRM 33(3);
 * the removal effect as in the R package ChannelAttribution).
 *
 * States: start, one transient state per observed channel history (order 1: the channel;
 * order k: the last k channels, fewer at the start of a path), and the absorbing conversion and
 * null. Transition probabilities are transition counts over the journeys divided by each
 * state's outgoing count. With Q the transient-to-transient block, r the transient-to-conversion
 * column and N = (I - Q)^-1 the fundamental matrix, x = N r is each state's conversion
 * probability and P = x[start]. Removing channel c sends every transition into a state that
 * contains c to null; the conversion probability of that chain is the solution of the reduced
 * system on the other states U, read off N without a refit (see removalProbability). The removal
 * effect is RE_c = 1 - P_{-c} / P; the credit of c is RE_c / sum RE x total conversions (and value).
 *
 * Exact (a linear solve, no simulation, no matrix powers); cost O(s^3) for s transient states:
 * s = 1 + channels at order 1.
 */
import { emptyCredit, type ChannelCredit, type JourneyPaths } from './paths';

export interface MarkovCredit extends ChannelCredit {
  order: number;
  /** Transient states of the chain (start included). */
  states: number;
  /** P: the probability that a path from start converts. */
  conversionProbability: number;
  /** RE_c per channel, in [0, 1]. */
  removalEffects: Float64Array;
}

/** A dense solve of s states needs s^2 doubles and s^3 operations: refuse before it hurts. */
export const MARKOV_MAX_STATES = 3000;

export function markovCredit(
  paths: JourneyPaths,
  order: number,
  nonConverting: 'include' | 'exclude',
): MarkovCredit {
  const { table, start } = paths;
  const { offsets, channelIndex, converted } = table;
  const channels = table.channels.length;
  const journeys = converted.length;
  const used = (j: number): boolean => nonConverting === 'include' || converted[j] === 1;

  // Pass 1: the state of each touchpoint. A history of the last k channels is the number with
  // base-(channels + 1) digits c + 1, so shorter histories (the start of a path) differ too.
  const base = channels + 1;
  const keep = base ** (order - 1);
  if (base ** order > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`markov: order ${order} over ${channels} channels is too large`);
  }
  // Dense key -> state lookup when the key space is small (always at order 1), else a map.
  const dense = base ** order <= 1 << 22 ? new Int32Array(base ** order).fill(-1) : null;
  const sparse = dense === null ? new Map<number, number>() : null;
  const histories: number[] = [0]; // state 0 is start
  const stateOf = new Uint32Array(table.timestamps.length);
  for (let j = 0; j < journeys; j++) {
    if (!used(j)) continue;
    let key = 0;
    for (let k = start[j]; k < offsets[j + 1]; k++) {
      key = (key % keep) * base + channelIndex[k] + 1;
      let s = dense !== null ? dense[key] : (sparse as Map<number, number>).get(key);
      if (s === undefined || s < 0) {
        s = histories.length;
        histories.push(key);
        if (dense !== null) dense[key] = s;
        else (sparse as Map<number, number>).set(key, s);
        if (s >= MARKOV_MAX_STATES) {
          throw new RangeError(
            `markov: order ${order} gives more than ${MARKOV_MAX_STATES} states; use a lower order`,
          );
        }
      }
      stateOf[k] = s;
    }
  }
  const s = histories.length;

  // Pass 2: transition counts (dense, s x s) and the absorbing counts.
  const Q = new Float64Array(s * s);
  const toConversion = new Float64Array(s);
  const out = new Float64Array(s);
  for (let j = 0; j < journeys; j++) {
    if (!used(j)) continue;
    let from = 0;
    for (let k = start[j]; k < offsets[j + 1]; k++) {
      Q[from * s + stateOf[k]] += 1;
      out[from] += 1;
      from = stateOf[k];
    }
    if (converted[j] === 1) toConversion[from] += 1;
    out[from] += 1;
  }
  const r = new Float64Array(s);
  for (let i = 0; i < s; i++) {
    if (out[i] === 0) continue;
    const inv = 1 / out[i];
    for (let q = 0; q < s; q++) Q[i * s + q] *= inv;
    r[i] = toConversion[i] * inv;
  }

  // N = (I - Q)^-1; x = N r.
  const A = Q;
  for (let i = 0; i < s * s; i++) A[i] = -A[i];
  for (let i = 0; i < s; i++) A[i * s + i] += 1;
  const N = invert(A, s);
  const x = new Float64Array(s);
  for (let i = 0; i < s; i++) {
    let sum = 0;
    for (let q = 0; q < s; q++) sum += N[i * s + q] * r[q];
    x[i] = sum;
  }
  const P = x[0];

  // The states that contain each channel.
  const removed: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 1; i < s; i++) {
    let key = histories[i];
    const seen = new Set<number>();
    while (key > 0) {
      const c = (key % base) - 1;
      if (c >= 0 && !seen.has(c)) {
        seen.add(c);
        removed[c].push(i);
      }
      key = Math.floor(key / base);
    }
  }

  const removalEffects = new Float64Array(channels);
  let sumEffects = 0;
  for (let c = 0; c < channels; c++) {
    if (P <= 0 || removed[c].length === 0) continue;
    const without = removalProbability(N, x, r, s, removed[c]);
    // Rounding can leave a hair outside [0, 1].
    const effect = Math.min(1, Math.max(0, 1 - without / P));
    removalEffects[c] = effect;
    sumEffects += effect;
  }

  const credit = emptyCredit(channels);
  if (sumEffects > 0) {
    for (let c = 0; c < channels; c++) {
      const share = removalEffects[c] / sumEffects;
      credit.conversions[c] = share * paths.totals.conversions;
      credit.value[c] = share * paths.totals.value;
    }
  }
  return { ...credit, order, states: s, conversionProbability: P, removalEffects };
}

/**
 * Conversion probability from start when the states in S become null, from the fundamental
 * matrix N of the full chain. The reduced system A_UU y = r_U (U: the other states) is
 * embedded as A z = r~ + [0; w] with z_S = 0, r~ = r with S zeroed and w unknown on S:
 * z = N r~ + N_{:,S} w, so z_S = 0 gives N_SS w = -(N r~)_S, and y_start = (N r~)_start +
 * N_{start,S} w. N_SS is invertible (its inverse is a Schur complement of the regular A).
 * Cost O(s |S| + |S|^3) instead of a new O(s^3) solve per channel.
 */
function removalProbability(
  N: Float64Array,
  x: Float64Array,
  r: Float64Array,
  s: number,
  S: number[],
): number {
  const m = S.length;
  // (N r~)_i = x_i - sum_{q in S} N_iq r_q, at start and on S.
  const reduced = (i: number): number => {
    let v = x[i];
    for (const q of S) v -= N[i * s + q] * r[q];
    return v;
  };
  const NSS = new Float64Array(m * m);
  const rhs = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) NSS[a * m + b] = N[S[a] * s + S[b]];
    rhs[a] = -reduced(S[a]);
  }
  const w = solve(NSS, rhs, m);
  let y = reduced(0);
  for (let a = 0; a < m; a++) y += N[S[a]] * w[a];
  return y;
}

/** Gauss-Jordan inverse with partial pivoting of a dense row-major n x n matrix (overwrites A). */
function invert(A: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let i = col + 1; i < n; i++) {
      if (Math.abs(A[i * n + col]) > Math.abs(A[pivot * n + col])) pivot = i;
    }
    if (A[pivot * n + col] === 0) throw new RangeError('markov: the chain has no absorbing path');
    if (pivot !== col) {
      swapRows(A, n, pivot, col);
      swapRows(inv, n, pivot, col);
    }
    const d = 1 / A[col * n + col];
    for (let q = 0; q < n; q++) {
      A[col * n + q] *= d;
      inv[col * n + q] *= d;
    }
    for (let i = 0; i < n; i++) {
      const f = A[i * n + col];
      if (i === col || f === 0) continue;
      for (let q = 0; q < n; q++) {
        A[i * n + q] -= f * A[col * n + q];
        inv[i * n + q] -= f * inv[col * n + q];
      }
    }
  }
  return inv;
}

/** Solves A w = b (Gaussian elimination with partial pivoting; overwrites A and b). */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let i = col + 1; i < n; i++) {
      if (Math.abs(A[i * n + col]) > Math.abs(A[pivot * n + col])) pivot = i;
    }
    if (pivot !== col) {
      swapRows(A, n, pivot, col);
      const t = b[pivot];
      b[pivot] = b[col];
      b[col] = t;
    }
    const d = A[col * n + col];
    for (let i = col + 1; i < n; i++) {
      const f = A[i * n + col] / d;
      if (f === 0) continue;
      for (let q = col; q < n; q++) A[i * n + q] -= f * A[col * n + q];
      b[i] -= f * b[col];
    }
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let v = b[i];
    for (let q = i + 1; q < n; q++) v -= A[i * n + q] * w[q];
    w[i] = v / A[i * n + i];
  }
  return w;
}

function swapRows(A: Float64Array, n: number, a: number, b: number): void {
  for (let q = 0; q < n; q++) {
    const t = A[a * n + q];
    A[a * n + q] = A[b * n + q];
    A[b * n + q] = t;
  }
}
