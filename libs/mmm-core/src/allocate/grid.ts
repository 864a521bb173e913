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
}

export interface GridTables {
  /** Best response at lowerSum + j step, j = 0..steps (-Infinity where the rules forbid it). */
  root: Float64Array;
  lowerSum: number;
  /** Grid allocation (spend per period) reaching root[j]. */
  allocation(j: number): Float64Array;
}

/** Max-plus convolution of a with b, truncated at `limit`; arg[j] = b's index used. */
function convolve(a: Float64Array, b: Float64Array, limit: number) {
  const len = Math.min(limit, a.length + b.length - 2) + 1;
  const out = new Float64Array(len).fill(-Infinity);
  const arg = new Int32Array(len);
  for (let i = 0; i < b.length; i++) {
    const bi = b[i];
    if (bi === -Infinity) continue;
    const top = Math.min(a.length, len - i);
    for (let j = 0; j < top; j++) {
      const v = a[j] + bi;
      if (v > out[i + j]) {
        out[i + j] = v;
        arg[i + j] = i;
      }
    }
  }
  return { out, arg };
}

/** Values of each channel on the grid above its lower bound. */
function channelTable(curve: ChannelResponseCurve, lo: number, hi: number, p: GridProblem) {
  const count = Math.min(p.steps, Math.floor((hi - lo) / p.step + 1e-9));
  const t = new Float64Array(Math.max(0, count) + 1);
  for (let i = 0; i < t.length; i++) t[i] = curve.value(lo + i * p.step);
  return t;
}

export function solveGrid(p: GridProblem): GridTables {
  const { nodes } = p;
  const tables = new Array<Float64Array>(nodes.length);
  // Per node, per child (leaves first, then child nodes): the argmax of each convolution.
  const args: Int32Array[][] = nodes.map(() => []);
  const lowerOf = new Float64Array(nodes.length);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    let acc = Float64Array.of(0);
    let lowerSum = 0;
    for (const c of node.leaves) {
      lowerSum += p.lo[c];
      const { out, arg } = convolve(acc, channelTable(p.curves[c], p.lo[c], p.hi[c], p), p.steps);
      acc = out;
      args[k].push(arg);
    }
    for (const j of node.children) {
      lowerSum += lowerOf[j];
      const { out, arg } = convolve(acc, tables[j], p.steps);
      acc = out;
      args[k].push(arg);
    }
    lowerOf[k] = lowerSum;
    // The node's bounds in grid units; a range narrower than a step keeps its nearest point
    // (the refinement puts the spend back on the exact bound).
    let from = Math.ceil((p.nodeLo[k] - lowerSum) / p.step - 1e-9);
    let to = Math.floor((p.nodeHi[k] - lowerSum) / p.step + 1e-9);
    if (from > to)
      from = to = Math.round((p.nodeLo[k] + p.nodeHi[k]) / 2 / p.step - lowerSum / p.step);
    for (let j = 0; j < acc.length; j++) if (j < from || j > to) acc[j] = -Infinity;
    tables[k] = acc;
  }
  const allocation = (j: number): Float64Array => {
    const x = Float64Array.from(p.lo);
    const walk = (k: number, at: number) => {
      const node = nodes[k];
      const children = [...node.leaves.map((c) => ({ c })), ...node.children.map((n) => ({ n }))];
      for (let i = children.length - 1; i >= 0; i--) {
        const used = i === 0 ? at : args[k][i][at];
        const child = children[i];
        if ('c' in child) x[child.c] = p.lo[child.c] + used * p.step;
        else walk(child.n, used);
        at -= used;
      }
    };
    walk(0, j);
    return x;
  };
  return { root: tables[0], lowerSum: lowerOf[0], allocation };
}
