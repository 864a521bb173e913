/**
 * The exact solver for concave curves: maximize sum_c R_c(x_c) with x_c in [lo_c, hi_c] and
 * every rule node's spend in its bounds (nodes disjoint or nested), by prices. At a price p a
 * channel spends where its marginal return falls to p (R'_c(x) = p, clamped to its domain); a
 * node whose channels together want more (less) than its upper (lower) bound gets its own,
 * higher (lower) price, found so that they spend exactly the bound. The root's price is set so
 * that the total equals the budget. These are the KKT conditions of the problem: free channels
 * under one node share one marginal return; a channel at a bound, or a node at a bound, has the
 * marginal return on the side the bound allows (Bertsekas, Nonlinear Programming, 3rd ed.,
 * 5.5, resource allocation; Ibaraki and Katoh, Resource Allocation Problems, 1988, ch. 2 and
 * 6 for nested bounds).
 */
import type { ChannelResponseCurve } from './curves';
import type { RuleNode } from './scenario';

export interface ConcaveProblem {
  curves: ChannelResponseCurve[];
  /** Each channel's domain; the curve must be concave on it. hi must be finite. */
  lo: Float64Array;
  hi: Float64Array;
  nodes: RuleNode[];
  /** Bounds of each node's spend (node 0, the root: the total, lo = hi). */
  nodeLo: Float64Array;
  nodeHi: Float64Array;
}

export interface NodeRanges {
  /** The spend each node can reach given its bounds and everything under it. */
  lo: Float64Array;
  hi: Float64Array;
  /** The first node (deepest first) whose range is empty, or -1. */
  conflict: number;
  /** min over nodes of hi - lo: >= 0 when feasible; concave in the total (for searches). */
  margin: number;
}

export interface ConcaveSolution {
  x: Float64Array;
  /** The price (marginal return) of each node; channels take their innermost node's. */
  nodePrice: Float64Array;
  channelPrice: Float64Array;
}

/** Feasible spend range of every node, deepest nodes first (children follow their parents). */
export function nodeRanges(
  nodes: RuleNode[],
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  nodeLo: ArrayLike<number>,
  nodeHi: ArrayLike<number>,
): NodeRanges {
  const rlo = new Float64Array(nodes.length);
  const rhi = new Float64Array(nodes.length);
  let conflict = -1;
  let margin = Infinity;
  for (let k = nodes.length - 1; k >= 0; k--) {
    let a = 0;
    let b = 0;
    for (const c of nodes[k].leaves) {
      a += lo[c];
      b += hi[c];
    }
    for (const j of nodes[k].children) {
      a += rlo[j];
      b += rhi[j];
    }
    rlo[k] = Math.max(a, nodeLo[k]);
    rhi[k] = Math.min(b, nodeHi[k]);
    const tol = 1e-9 * Math.max(1, Math.abs(rlo[k]), Math.abs(rhi[k]));
    if (rlo[k] > rhi[k] + tol && conflict < 0) conflict = k;
    margin = Math.min(margin, rhi[k] - rlo[k]);
  }
  return { lo: rlo, hi: rhi, conflict, margin };
}

const clamp = (v: number, a: number, b: number) => (v < a ? a : v > b ? b : v);

/**
 * Move every channel onto the rules: each node's children are clamped to their ranges, and
 * the difference to the node's target is shared in proportion to the room each child has.
 * Used to settle the last rounding of the price search and to project grid points; the
 * moves are of the order of that rounding.
 */
export function settleOnRules(
  x: Float64Array,
  nodes: RuleNode[],
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  ranges: NodeRanges,
  total: number,
): Float64Array {
  const sums = new Float64Array(nodes.length);
  for (let k = nodes.length - 1; k >= 0; k--) {
    let s = 0;
    for (const c of nodes[k].leaves) s += x[c];
    for (const j of nodes[k].children) s += sums[j];
    sums[k] = s;
  }
  const settle = (k: number, target: number) => {
    const node = nodes[k];
    const items = node.leaves.length + node.children.length;
    const t = new Float64Array(items);
    const a = new Float64Array(items);
    const b = new Float64Array(items);
    node.leaves.forEach((c, i) => {
      a[i] = lo[c];
      b[i] = hi[c];
      t[i] = clamp(x[c], a[i], b[i]);
    });
    node.children.forEach((j, i0) => {
      const i = node.leaves.length + i0;
      a[i] = ranges.lo[j];
      b[i] = ranges.hi[j];
      t[i] = clamp(sums[j], a[i], b[i]);
    });
    let sum = 0;
    for (let i = 0; i < items; i++) sum += t[i];
    let delta = target - sum;
    // Twice: the second pass takes what rounding left of the first.
    for (let pass = 0; pass < 2 && delta !== 0; pass++) {
      let room = 0;
      for (let i = 0; i < items; i++) room += delta > 0 ? b[i] - t[i] : t[i] - a[i];
      if (!(room > 0)) break;
      const share = Math.min(1, Math.abs(delta) / room);
      for (let i = 0; i < items; i++) {
        t[i] += delta > 0 ? share * (b[i] - t[i]) : -share * (t[i] - a[i]);
        t[i] = clamp(t[i], a[i], b[i]);
      }
      sum = 0;
      for (let i = 0; i < items; i++) sum += t[i];
      delta = target - sum;
    }
    node.leaves.forEach((c, i) => (x[c] = t[i]));
    node.children.forEach((j, i0) => settle(j, t[node.leaves.length + i0]));
  };
  settle(0, clamp(total, ranges.lo[0], ranges.hi[0]));
  return x;
}

/** dx/dprice at the last demand() (0 when it returned an end of the domain). */
let demandSlope = 0;

/**
 * Where a channel's marginal return falls to `price` on its domain [a, b] (its demand at a
 * price), given its marginal returns at the ends. Newton inside a shrinking bracket.
 */
function demand(
  curve: ChannelResponseCurve,
  a: number,
  b: number,
  ma: number,
  mb: number,
  price: number,
  start: number,
): number {
  demandSlope = 0;
  if (!(b > a) || !(ma > price)) return a;
  if (mb >= price) return b;
  let x = start > a && start < b ? start : 0.5 * (a + b);
  let curvature = 0;
  for (let it = 0; it < 200; it++) {
    const d = curve.derivatives(x);
    const g = d[0] - price;
    curvature = d[1];
    if (g > 0) a = x;
    else b = x;
    if (Math.abs(g) <= 1e-15 * price || b - a <= 4e-16 * Math.max(Math.abs(a), Math.abs(b))) {
      break;
    }
    const next = curvature < 0 ? x - g / curvature : NaN;
    x = next > a && next < b ? next : 0.5 * (a + b);
  }
  demandSlope = curvature < 0 ? 1 / curvature : 0;
  return x;
}

/**
 * Solve the concave problem exactly. Returns null when the domains and node bounds leave no
 * allocation (ranges.conflict >= 0); callers that built the problem from user rules check
 * that first and name the rules. `priceHint`: a root price to start from (e.g. that of a
 * nearby problem).
 */
export function solveConcave(problem: ConcaveProblem, priceHint?: number): ConcaveSolution | null {
  const { curves, lo, hi, nodes } = problem;
  const ranges = nodeRanges(nodes, lo, hi, problem.nodeLo, problem.nodeHi);
  if (ranges.conflict >= 0) return null;
  const n = curves.length;
  const x = new Float64Array(n);
  const warm = Float64Array.from(lo, (v, c) => 0.5 * (v + hi[c]));
  const mLo = Float64Array.from(lo, (v, c) => (hi[c] > v ? curves[c].marginal(v) : 0));
  const mHi = Float64Array.from(hi, (v, c) => (v > lo[c] ? curves[c].marginal(v) : 0));
  const nodePrice = new Float64Array(nodes.length);
  const channelPrice = new Float64Array(n);
  // d(spend)/d(price) of the last free() call.
  let slope = 0;

  const leafDemand = (c: number, p: number) => {
    const v = demand(curves[c], lo[c], hi[c], mLo[c], mHi[c], p, warm[c]);
    warm[c] = v;
    slope += demandSlope;
    return v;
  };
  // A node's spend at a price when its own bounds do not bind (children clamped to theirs).
  const free = (k: number, p: number): number => {
    let s = 0;
    for (const c of nodes[k].leaves) s += leafDemand(c, p);
    for (const j of nodes[k].children) {
      const before = slope;
      const f = free(j, p);
      if (f < ranges.lo[j] || f > ranges.hi[j]) slope = before;
      s += clamp(f, ranges.lo[j], ranges.hi[j]);
    }
    return s;
  };

  const assign = (k: number, p: number): void => {
    nodePrice[k] = p;
    for (const c of nodes[k].leaves) {
      x[c] = leafDemand(c, p);
      channelPrice[c] = p;
    }
    for (const j of nodes[k].children) {
      const f = free(j, p);
      if (f < ranges.lo[j]) solveNode(j, ranges.lo[j]);
      else if (f > ranges.hi[j]) solveNode(j, ranges.hi[j]);
      else assign(j, p);
    }
  };

  const solveNode = (k: number, target: number, hint?: number): void => {
    // The price bracket: at pHi every channel sits at its lower end, at 0 at its upper.
    let pHi = 0;
    for (const c of nodes[k].channels) {
      const m = mLo[c];
      if (Number.isFinite(m)) pHi = Math.max(pHi, m);
      else pHi = Math.max(pHi, curves[c].marginal(lo[c] + 1e-9 * curves[c].scale));
    }
    pHi = pHi * (1 + 1e-12) + 1e-300;
    let fHi = free(k, pHi);
    for (let it = 0; fHi > target && it < 200; it++) {
      pHi *= 4;
      fHi = free(k, pHi);
    }
    if (fHi >= target) {
      // Every channel at its lowest already spends the target (e.g. a node at its floor).
      assign(k, pHi);
      return;
    }
    let pLo = 0;
    if (free(k, 0) <= target) {
      assign(k, 0);
      return;
    }
    // Newton on the price (spend falls with the price; its slope is sum dx/dp of the channels
    // inside their domains), kept inside the bracket; geometric bisection when it leaves it.
    let p = hint !== undefined && hint > 0 && hint < pHi ? hint : pHi * 1e-3;
    for (let it = 0; it < 300; it++) {
      slope = 0;
      const f = free(k, p) - target;
      if (Math.abs(f) <= 1e-13 * Math.max(1, Math.abs(target))) break;
      if (f > 0) pLo = p;
      else pHi = p;
      if (pHi - pLo <= 2e-16 * pHi) break;
      const next = slope < 0 ? p - f / slope : NaN;
      if (next > pLo && next < pHi) p = next;
      else if (pLo === 0) p = pHi * 1e-3;
      else p = pHi > 16 * pLo ? Math.sqrt(pLo * pHi) : 0.5 * (pLo + pHi);
    }
    assign(k, p);
  };

  const total = ranges.lo[0];
  solveNode(0, total, priceHint);
  settleOnRules(x, nodes, lo, hi, ranges, total);
  return { x, nodePrice, channelPrice };
}

/**
 * The largest violation of the KKT conditions, relative to the root price: a channel strictly
 * inside its domain must have marginal = its price; at its lower end marginal <= price; at its
 * upper end marginal >= price. A node whose spend is strictly inside its bounds must have its
 * parent's price.
 */
export function kktViolation(
  problem: ConcaveProblem,
  solution: ConcaveSolution,
  parentOf: Int32Array,
): number {
  const { curves, lo, hi, nodes } = problem;
  const { x, channelPrice, nodePrice } = solution;
  const scale = Math.max(Math.abs(nodePrice[0]), 1e-300);
  let worst = 0;
  for (let c = 0; c < curves.length; c++) {
    const m = curves[c].marginal(x[c]);
    const p = channelPrice[c];
    const span = 1e-9 * Math.max(1, Math.abs(hi[c]));
    let v: number;
    if (hi[c] - lo[c] <= span) v = 0;
    else if (x[c] <= lo[c] + span) v = Math.max(0, m - p);
    else if (x[c] >= hi[c] - span) v = Math.max(0, p - m);
    else v = Math.abs(m - p);
    if (Number.isFinite(m)) worst = Math.max(worst, v / Math.max(scale, Math.abs(p)));
  }
  const sums = new Float64Array(nodes.length);
  for (let k = nodes.length - 1; k >= 0; k--) {
    let s = 0;
    for (const c of nodes[k].leaves) s += x[c];
    for (const j of nodes[k].children) s += sums[j];
    sums[k] = s;
  }
  for (let k = 1; k < nodes.length; k++) {
    const span = 1e-9 * Math.max(1, Math.abs(problem.nodeHi[k]), Math.abs(problem.nodeLo[k]));
    const inside = sums[k] > problem.nodeLo[k] + span && sums[k] < problem.nodeHi[k] - span;
    if (inside) {
      const gap = Math.abs(nodePrice[k] - nodePrice[parentOf[k]]);
      worst = Math.max(worst, gap / Math.max(scale, Math.abs(nodePrice[k])));
    }
  }
  return worst;
}

/** parentOf[k] for the rule tree (-1 for the root). */
export function nodeParents(nodes: RuleNode[]): Int32Array {
  const parent = new Int32Array(nodes.length).fill(-1);
  nodes.forEach((node, k) => node.children.forEach((j) => (parent[j] = k)));
  return parent;
}
