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

/** Where channel c's marginal return falls to `price` on its domain (its demand at a price). */
function demand(
  curve: ChannelResponseCurve,
  a: number,
  b: number,
  price: number,
  start: number,
): number {
  if (!(b > a)) return a;
  if (!(curve.marginal(a) > price)) return a;
  if (curve.marginal(b) >= price) return b;
  // marginal(a) > price > marginal(b), marginal decreasing: Newton inside a shrinking bracket.
  let x = start > a && start < b ? start : 0.5 * (a + b);
  for (let it = 0; it < 200; it++) {
    const g = curve.marginal(x) - price;
    if (g > 0) a = x;
    else b = x;
    if (Math.abs(g) <= 1e-15 * price || b - a <= 4e-16 * Math.max(Math.abs(a), Math.abs(b))) {
      break;
    }
    const c = curve.curvature(x);
    const next = c < 0 ? x - g / c : NaN;
    x = next > a && next < b ? next : 0.5 * (a + b);
  }
  return x;
}

/**
 * Solve the concave problem exactly. Returns null when the domains and node bounds leave no
 * allocation (ranges.conflict >= 0); callers that built the problem from user rules check
 * that first and name the rules.
 */
export function solveConcave(problem: ConcaveProblem): ConcaveSolution | null {
  const { curves, lo, hi, nodes } = problem;
  const ranges = nodeRanges(nodes, lo, hi, problem.nodeLo, problem.nodeHi);
  if (ranges.conflict >= 0) return null;
  const n = curves.length;
  const x = new Float64Array(n);
  const warm = Float64Array.from(lo, (v, c) => 0.5 * (v + hi[c]));
  const nodePrice = new Float64Array(nodes.length);
  const channelPrice = new Float64Array(n);

  const leafDemand = (c: number, p: number) => {
    const v = demand(curves[c], lo[c], hi[c], p, warm[c]);
    warm[c] = v;
    return v;
  };
  // A node's spend at a price when its own bounds do not bind (children clamped to theirs).
  const free = (k: number, p: number): number => {
    let s = 0;
    for (const c of nodes[k].leaves) s += leafDemand(c, p);
    for (const j of nodes[k].children) s += clamp(free(j, p), ranges.lo[j], ranges.hi[j]);
    return s;
  };
  const channelsOf = (k: number) => nodes[k].channels;

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

  const solveNode = (k: number, target: number): void => {
    // The price bracket: at pHi every channel sits at its lower end, at pLo = 0 at its upper.
    let pHi = 0;
    for (const c of channelsOf(k)) {
      const m = curves[c].marginal(lo[c]);
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
    let fLo = free(k, 0);
    if (fLo <= target) {
      assign(k, 0);
      return;
    }
    let p = pHi;
    let side = 0;
    for (let it = 0; it < 300; it++) {
      // Geometric steps while the bracket spans orders of magnitude, then regula falsi with
      // the Illinois rule (fast on the smooth demand curve), bisection when it stalls.
      if (pLo === 0 || pHi > 16 * pLo) p = pLo === 0 ? pHi * 1e-3 : Math.sqrt(pLo * pHi);
      else {
        p = pLo + ((fLo - target) / (fLo - fHi)) * (pHi - pLo);
        if (!(p > pLo && p < pHi)) p = 0.5 * (pLo + pHi);
      }
      const f = free(k, p);
      if (Math.abs(f - target) <= 1e-13 * Math.max(1, Math.abs(target))) break;
      if (f > target) {
        pLo = p;
        fLo = f;
        if (side === 1) fHi = target + 0.5 * (fHi - target);
        side = 1;
      } else {
        pHi = p;
        fHi = f;
        if (side === -1) fLo = target + 0.5 * (fLo - target);
        side = -1;
      }
      if (pHi - pLo <= 2e-16 * pHi) break;
    }
    assign(k, p);
  };

  const total = ranges.lo[0];
  solveNode(0, total);
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
