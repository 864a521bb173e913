/**
 * The global method for curves that are not concave (Hill alpha > 1: S-shaped): a dynamic
 * program over a budget grid. Every channel's spend above its lower bound is a multiple of
 * the step; a node's best response for every grid amount is the max-plus convolution of its
 * children's (Bellman's allocation process; Ibaraki and Katoh, Resource Allocation Problems,
 * 1988, ch. 3), restricted to the node's bounds. The root's table is the best response at
 * every grid budget at once (the efficient frontier on the grid). The grid answer is then
 * refined off the grid by the exact concave solver on the concave piece of each curve that
 * the grid chose (solve.ts).
 */
import type { ChannelResponseCurve } from './curves';
import type { RuleNode } from './scenario';

export interface GridProblem {
  curves: ChannelResponseCurve[];
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  nodes: RuleNode[];
  nodeLo: ArrayLike<number>;
  nodeHi: ArrayLike<number>;
  /** Grid step (spend per period) and the number of steps above the sum of lower bounds. */
  step: number;
  steps: number;
  /**
   * Per channel, the spend from which its curve is concave up to its upper bound (its lower
   * bound: concave on the whole domain, merged greedily with the other such channels).
   */
  concaveFrom?: ArrayLike<number>;
}

export interface GridTables {
  /** Best response at lowerSum + j step, j = 0..steps (-Infinity where the rules forbid it). */
  root: Float64Array;
  lowerSum: number;
  /** Grid allocation (spend per period) reaching root[j]. */
  allocation(j: number): Float64Array;
}

/**
 * Max-plus convolution of a with b[0..count), truncated at `limit`: out[j] = max over i of
 * a[j - i] + b[i], arg[j] = the i used.
 */
function convolve(a: Float64Array, b: Float64Array, limit: number, count = b.length) {
  const len = Math.min(limit, a.length + count - 2) + 1;
  const out = new Float64Array(len).fill(-Infinity);
  const arg = new Int32Array(len);
  for (let j = 0; j < len; j++) {
    let best = -Infinity;
    let at = 0;
    const from = Math.max(0, j - a.length + 1);
    const to = Math.min(count - 1, j);
    for (let i = from; i <= to; i++) {
      const v = a[j - i] + b[i];
      if (v > best) {
        best = v;
        at = i;
      }
    }
    out[j] = best;
    arg[j] = at;
  }
  return { out, arg };
}

/**
 * Max-plus convolution of any a with b[from..] where b is concave from `from` on: the best
 * index into a is non-decreasing in the total (b concave makes the matrix a[m] + b[j - m]
 * inverse-Monge, also with -Infinity outside b's range), so divide and conquer finds every
 * total's best in O((A + J) log J) instead of O(A B) (Aggarwal et al. 1987; Bussieck et al.
 * 1994 for max-plus convolution). Entries below `from` are left to the caller.
 */
function convolveConcave(a: Float64Array, b: Float64Array, limit: number, from = 0) {
  const len = Math.min(limit, a.length + b.length - 2) + 1;
  const out = new Float64Array(len).fill(-Infinity);
  const arg = new Int32Array(len);
  const K = b.length - 1;
  const solve = (jl: number, jr: number, ml: number, mr: number): void => {
    if (jl > jr) return;
    const j = (jl + jr) >> 1;
    const lo = Math.max(ml, j - K);
    const hi = Math.min(mr, j - from, a.length - 1);
    let best = -Infinity;
    let at = -1;
    for (let m = lo; m <= hi; m++) {
      const v = a[m] + b[j - m];
      if (v >= best && v > -Infinity) {
        best = v;
        at = m;
      }
    }
    if (at < 0) {
      // Nothing finite for this total: no restriction to pass on.
      solve(jl, j - 1, ml, mr);
      solve(j + 1, jr, ml, mr);
      return;
    }
    out[j] = best;
    arg[j] = j - at;
    solve(jl, j - 1, ml, at);
    solve(j + 1, jr, at, mr);
  };
  solve(from, len - 1, 0, a.length - 1);
  return { out, arg };
}

/**
 * Convolution with an S-shaped channel: its head (up to where it turns concave for good) by
 * the direct sum, its concave tail by divide and conquer; the better of the two per total.
 */
function convolveChannel(a: Float64Array, b: Float64Array, limit: number, head: number) {
  if (head >= b.length - 1) return convolve(a, b, limit);
  const tail = convolveConcave(a, b, limit, head);
  const direct = convolve(a, b, limit, head + 1);
  for (let j = 0; j < direct.out.length; j++) {
    if (direct.out[j] > tail.out[j]) {
      tail.out[j] = direct.out[j];
      tail.arg[j] = direct.arg[j];
    }
  }
  return tail;
}

/** Values of each channel on the grid above its lower bound. */
function channelTable(curve: ChannelResponseCurve, lo: number, hi: number, p: GridProblem) {
  const count = Math.min(p.steps, Math.floor((hi - lo) / p.step + 1e-9));
  const t = new Float64Array(Math.max(0, count) + 1);
  for (let i = 0; i < t.length; i++) t[i] = curve.value(lo + i * p.step);
  return t;
}

/**
 * Concave channels merged into one table: for concave sequences the max-plus convolution is
 * the merge of their increments, largest first (the greedy allocation is optimal for concave
 * returns; Ibaraki and Katoh, ch. 4). O(K log K) instead of the O(G K) of a convolution.
 */
function mergeConcave(tables: Float64Array[], limit: number) {
  let count = 0;
  for (const t of tables) count += t.length - 1;
  const owner = new Int32Array(count);
  const gain = new Float64Array(count);
  let base = 0;
  let k = 0;
  tables.forEach((t, i) => {
    base += t[0];
    for (let m = 1; m < t.length; m++, k++) {
      owner[k] = i;
      gain[k] = t[m] - t[m - 1];
    }
  });
  const order = new Int32Array(count);
  for (let m = 0; m < count; m++) order[m] = m;
  order.sort((a, b) => gain[b] - gain[a] || a - b);
  const len = Math.min(limit, count) + 1;
  const out = new Float64Array(len);
  out[0] = base;
  for (let j = 1; j < len; j++) out[j] = out[j - 1] + gain[order[j - 1]];
  /** Steps of each merged channel among the first j increments. */
  const split = (j: number) => {
    const used = new Array<number>(tables.length).fill(0);
    for (let m = 0; m < j; m++) used[owner[order[m]]]++;
    return used;
  };
  return { out, split };
}

export function solveGrid(p: GridProblem): GridTables {
  const { nodes } = p;
  const tables = new Array<Float64Array>(nodes.length);
  // Per node: its children in convolution order (a merged group of concave channels, single
  // channels, child nodes) and the argmax of each convolution.
  type Child =
    | { kind: 'merged'; channels: number[]; split: (j: number) => number[] }
    | { kind: 'channel'; c: number }
    | { kind: 'node'; k: number };
  const children: Child[][] = nodes.map(() => []);
  const args: Int32Array[][] = nodes.map(() => []);
  const lowerOf = new Float64Array(nodes.length);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    let acc = Float64Array.of(0);
    let lowerSum = 0;
    const add = (child: Child, table: Float64Array, head: number) => {
      const { out, arg } = convolveChannel(acc, table, p.steps, head);
      acc = out;
      args[k].push(arg);
      children[k].push(child);
    };
    const concaveFrom = (c: number) => p.concaveFrom?.[c] ?? p.hi[c];
    const merged = node.leaves.filter((c) => concaveFrom(c) <= p.lo[c]);
    for (const c of node.leaves) {
      lowerSum += p.lo[c];
      if (merged.includes(c)) continue;
      const head = Math.max(0, Math.ceil((concaveFrom(c) - p.lo[c]) / p.step - 1e-9));
      add({ kind: 'channel', c }, channelTable(p.curves[c], p.lo[c], p.hi[c], p), head);
    }
    for (const j of node.children) {
      lowerSum += lowerOf[j];
      add({ kind: 'node', k: j }, tables[j], Infinity);
    }
    // The concave channels last, merged into one concave table.
    if (merged.length > 0) {
      const own = merged.map((c) => channelTable(p.curves[c], p.lo[c], p.hi[c], p));
      const { out, split } = mergeConcave(own, p.steps);
      add({ kind: 'merged', channels: merged, split }, out, 0);
    }
    lowerOf[k] = lowerSum;
    // The node's bounds in grid units; a range narrower than a step keeps its nearest point
    // (the refinement puts the spend back on the exact bound).
    let from = Math.ceil((p.nodeLo[k] - lowerSum) / p.step - 1e-9);
    let to = Math.floor((p.nodeHi[k] - lowerSum) / p.step + 1e-9);
    if (from > to) from = to = Math.round(((p.nodeLo[k] + p.nodeHi[k]) / 2 - lowerSum) / p.step);
    for (let j = 0; j < acc.length; j++) if (j < from || j > to) acc[j] = -Infinity;
    tables[k] = acc;
  }
  const allocation = (j: number): Float64Array => {
    const x = Float64Array.from(p.lo);
    const walk = (k: number, at: number) => {
      const list = children[k];
      for (let i = list.length - 1; i >= 0; i--) {
        const used = i === 0 ? at : args[k][i][at];
        const child = list[i];
        if (child.kind === 'channel') x[child.c] = p.lo[child.c] + used * p.step;
        else if (child.kind === 'node') walk(child.k, used);
        else {
          const steps = child.split(used);
          child.channels.forEach((c, m) => (x[c] = p.lo[c] + steps[m] * p.step));
        }
        at -= used;
      }
    };
    walk(0, j);
    return x;
  };
  return { root: tables[0], lowerSum: lowerOf[0], allocation };
}
