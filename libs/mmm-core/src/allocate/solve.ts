/**
 * The best allocation at a given total spend per period, and the feasible totals. Concave
 * curves on every channel's domain: the exact price solver (kkt.ts). Otherwise: the grid
 * program (grid.ts), global on its grid, then the exact solver on the concave piece of each
 * curve the grid chose (channels the grid left on a convex stretch, e.g. at a lower bound
 * below the S-curve's take-off, stay where it put them); the better of the grid point and its
 * refinement is kept.
 */
import { channelResponseCurve, type ChannelResponseCurve } from './curves';
import { InfeasibleAllocationError } from './errors';
import { solveGrid, type GridTables } from './grid';
import {
  kktViolation,
  nodeParents,
  nodeRanges,
  settleOnRules,
  solveConcave,
  type ConcaveProblem,
  type ConcaveSolution,
} from './kkt';
import { edgeOf, goldenSectionMax } from './line-search';
import { nodeBounds, type ResolvedScenario } from './scenario';

export type AllocationMethod = 'kkt' | 'grid-dp+kkt';

export interface AllocationContext {
  scenario: ResolvedScenario;
  curves: ChannelResponseCurve[];
  lower: Float64Array;
  /** User upper bounds (Infinity when none). */
  upper: Float64Array;
  lowerSum: number;
  parents: Int32Array;
  /** Some node bound is a share of the total (so node bounds move with the total). */
  shareRules: boolean;
  /** Concave and convex stretches of each curve by domain (see channelPieces). */
  pieces: Map<string, Piece[]>;
}

export interface SolvedTotal {
  total: number;
  x: Float64Array;
  value: number;
  method: AllocationMethod;
  /** The concave problem the final answer solves exactly (null: a grid point was kept). */
  problem: ConcaveProblem | null;
  solution: ConcaveSolution | null;
  /** KKT violation on `problem` (0 when none). */
  kkt: number;
  /** Grid step in spend per period (global method only). */
  gridStep: number | null;
}

export function createContext(
  scenario: ResolvedScenario,
  model = scenario.model,
): AllocationContext {
  const curves = scenario.channels.map((c) =>
    channelResponseCurve(
      model,
      model.channels.find((m) => m.name === c.name)!,
      scenario.periods,
      scenario.carryover,
    ),
  );
  const lower = Float64Array.from(scenario.channels, (c) => c.lower);
  const upper = Float64Array.from(scenario.channels, (c) => c.upper);
  return {
    scenario,
    curves,
    lower,
    upper,
    lowerSum: lower.reduce((a, b) => a + b, 0),
    parents: nodeParents(scenario.nodes),
    shareRules: scenario.nodes.some((n, k) => k > 0 && (n.minShare > 0 || n.maxShare < 1)),
    pieces: new Map(),
  };
}

export function totalResponse(ctx: AllocationContext, x: ArrayLike<number>): number {
  let v = 0;
  for (let c = 0; c < ctx.curves.length; c++) v += ctx.curves[c].value(x[c]);
  return v;
}

/** Node bounds and finite channel domains when the allocation spends `total` per period. */
export function boundsAt(ctx: AllocationContext, total: number) {
  const nodes = ctx.scenario.nodes;
  const nodeLo = new Float64Array(nodes.length);
  const nodeHi = new Float64Array(nodes.length);
  nodes.forEach((node, k) => ([nodeLo[k], nodeHi[k]] = nodeBounds(node, total, k === 0)));
  // No channel can take more than the total less every other channel's least.
  const hi = Float64Array.from(ctx.upper, (u, c) =>
    Math.max(ctx.lower[c], Math.min(u, total - (ctx.lowerSum - ctx.lower[c]))),
  );
  return { nodeLo, nodeHi, hi };
}

/** Feasibility margin at a total (>= 0 when feasible); concave in the total. */
function marginAt(ctx: AllocationContext, total: number): number {
  const { nodeLo, nodeHi, hi } = boundsAt(ctx, total);
  return nodeRanges(ctx.scenario.nodes, ctx.lower, hi, nodeLo, nodeHi).margin;
}

const money = (v: number): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : 'unbounded';

/** The rules that make a total infeasible, found at the deepest node whose range is empty. */
export function explainConflict(ctx: AllocationContext, total: number): InfeasibleAllocationError {
  const { scenario, lower, upper } = ctx;
  const nodes = scenario.nodes;
  const { nodeLo, nodeHi } = boundsAt(ctx, total);
  const lo = new Float64Array(nodes.length);
  const hi = new Float64Array(nodes.length);
  const loRules: string[][] = [];
  const hiRules: string[][] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    let a = 0;
    let b = 0;
    const ra: string[] = [];
    const rb: string[] = [];
    for (const c of nodes[k].leaves) {
      a += lower[c];
      b += upper[c];
      if (lower[c] > 0) ra.push(scenario.channels[c].lowerRule);
      if (Number.isFinite(upper[c])) rb.push(scenario.channels[c].upperRule);
    }
    for (const j of nodes[k].children) {
      a += lo[j];
      b += hi[j];
      ra.push(...loRules[j]);
      rb.push(...hiRules[j]);
    }
    const own = k === 0 ? 'budget' : undefined;
    loRules[k] = nodeLo[k] > a ? [own ?? nodes[k].lowerRule] : ra;
    hiRules[k] = nodeHi[k] < b ? [own ?? nodes[k].upperRule] : rb;
    lo[k] = Math.max(a, nodeLo[k]);
    hi[k] = Math.min(b, nodeHi[k]);
    const tol = 1e-9 * Math.max(1, Math.abs(lo[k]), Math.abs(hi[k]));
    if (lo[k] > hi[k] + tol) {
      const rules = [...new Set([...loRules[k], ...hiRules[k]])];
      const what = k === 0 ? 'the total spend' : `the spend of ${nodes[k].rules.join(' and ')}`;
      const low =
        k === 0 && nodeLo[k] > a
          ? `the budget is ${money(total)} per period`
          : `at least ${money(lo[k])} per period is needed`;
      const high =
        k === 0 && nodeHi[k] < b
          ? `the budget is ${money(total)} per period`
          : `at most ${money(hi[k])} per period is allowed`;
      return new InfeasibleAllocationError(
        rules.length ? rules : ['budget'],
        `${what}: ${low} but ${high}`,
      );
    }
  }
  return new InfeasibleAllocationError(
    ['budget'],
    `no allocation of ${money(total)} per period meets every rule`,
  );
}

/**
 * The totals per period that some allocation reaches under the rules, within [0, ceiling]:
 * an interval, since the margin is concave in the total (golden section for its maximum,
 * then bisection for each end). Throws, naming the rules, when there is none.
 */
export function feasibleTotals(ctx: AllocationContext, ceiling: number): [number, number] {
  // Stricter than nodeRanges (1e-9), so that every total found here passes the solvers.
  const ok = (t: number) => marginAt(ctx, t) >= -1e-10 * Math.max(1, t);
  const tolerance = 1e-13 * Math.max(1, ceiling);
  if (ok(ceiling)) return [ok(0) ? 0 : edgeOf(ok, ceiling, 0, tolerance), ceiling];
  const [best] = goldenSectionMax((t) => marginAt(ctx, t), 0, ceiling, tolerance);
  if (!ok(best)) throw explainConflict(ctx, ceiling);
  return [ok(0) ? 0 : edgeOf(ok, best, 0, tolerance), edgeOf(ok, best, ceiling, tolerance)];
}

interface Piece {
  from: number;
  to: number;
  concave: boolean;
}

function channelPieces(ctx: AllocationContext, hi: Float64Array): Piece[][] {
  // The same domains come back many times (a solve, its grid, a search over totals).
  return ctx.curves.map((curve, c) => {
    const key = `${c}:${ctx.lower[c]}:${hi[c]}`;
    let pieces = ctx.pieces.get(key);
    if (!pieces) {
      pieces = curve.pieces(ctx.lower[c], hi[c]);
      ctx.pieces.set(key, pieces);
    }
    return pieces;
  });
}

function concaveProblem(
  ctx: AllocationContext,
  total: number,
  lo: Float64Array,
  hi: Float64Array,
): ConcaveProblem {
  const { nodeLo, nodeHi } = boundsAt(ctx, total);
  return { curves: ctx.curves, lo, hi, nodes: ctx.scenario.nodes, nodeLo, nodeHi };
}

function exact(
  ctx: AllocationContext,
  problem: ConcaveProblem,
  total: number,
  priceHint?: number,
): SolvedTotal | null {
  const solution = solveConcave(problem, priceHint);
  if (!solution) return null;
  return {
    total,
    x: solution.x,
    value: totalResponse(ctx, solution.x),
    method: 'kkt',
    problem,
    solution,
    kkt: kktViolation(problem, solution, ctx.parents),
    gridStep: null,
  };
}

/**
 * Refine a grid allocation: each channel keeps the concave piece of its curve that holds its
 * grid spend (or stays at that spend when it lies on a convex stretch), and the exact solver
 * finds the best allocation on those pieces at `total`. Keeps the grid point (moved onto the
 * rules) when that is better or the pieces cannot meet the rules.
 */
export function refineGridPoint(
  ctx: AllocationContext,
  total: number,
  grid: Float64Array,
  pieces: Piece[][],
  step: number,
): SolvedTotal {
  const { nodeLo, nodeHi, hi } = boundsAt(ctx, total);
  const nodes = ctx.scenario.nodes;
  const ranges = nodeRanges(nodes, ctx.lower, hi, nodeLo, nodeHi);
  const settled = settleOnRules(Float64Array.from(grid), nodes, ctx.lower, hi, ranges, total);
  const kept: SolvedTotal = {
    total,
    x: settled,
    value: totalResponse(ctx, settled),
    method: 'grid-dp+kkt',
    problem: null,
    solution: null,
    kkt: 0,
    gridStep: step,
  };
  const lo = new Float64Array(grid.length);
  const up = new Float64Array(grid.length);
  // Channels the grid left on a convex stretch: at an optimum such a channel sits at an end of
  // the stretch (its lower bound, or its upper bound when the stretch reaches it), except at
  // most one (two inside could trade spend and both gain). Within a step of the upper bound it
  // is moved onto it (the grid cannot land on a bound between its points); the others above
  // their lower bound are placed by a line search each.
  const specials: { c: number; piece: Piece }[] = [];
  for (let c = 0; c < grid.length; c++) {
    const x = Math.min(Math.max(grid[c], ctx.lower[c]), hi[c]);
    const piece =
      pieces[c].find((p) => p.concave && x >= p.from && x <= p.to) ??
      pieces[c].find((p) => x >= p.from && x <= p.to);
    if (piece?.concave) {
      lo[c] = piece.from;
      up[c] = Math.min(piece.to, hi[c]);
    } else if (piece && piece.to >= hi[c] && x >= hi[c] - step) {
      lo[c] = up[c] = hi[c];
    } else {
      lo[c] = up[c] = x;
      if (piece && x > ctx.lower[c] + 1e-12 * Math.max(1, x)) specials.push({ c, piece });
    }
  }
  let refined = exact(ctx, concaveProblem(ctx, total, lo, up), total);
  if (!refined) {
    // Moving a channel onto its upper bound may leave the others no room: back to the grid's.
    for (let c = 0; c < grid.length; c++) {
      if (lo[c] === up[c]) lo[c] = up[c] = Math.min(Math.max(grid[c], ctx.lower[c]), hi[c]);
    }
    refined = exact(ctx, concaveProblem(ctx, total, lo, up), total);
  }
  for (const { c: special, piece: stretch } of specials) {
    const hint = refined?.solution?.nodePrice[0];
    const atSpend = (v: number) => {
      lo[special] = up[special] = v;
      return exact(ctx, concaveProblem(ctx, total, lo, up), total, hint);
    };
    // Its spend within two grid steps of the grid's: on a convex stretch the best may be an
    // end of the window (e.g. its upper bound), so the ends and 9 points are tried first, then
    // golden section around the best of them.
    const x = lo[special];
    const from = Math.max(stretch.from, ctx.lower[special], x - 2 * step);
    const to = Math.min(stretch.to, hi[special], x + 2 * step);
    const f = (v: number) => atSpend(v)?.value ?? -Infinity;
    let top = x;
    let fTop = refined?.value ?? -Infinity;
    for (let i = 0; i <= 10; i++) {
      const v = from + ((to - from) * i) / 10;
      const fv = f(v);
      if (fv > fTop) {
        top = v;
        fTop = fv;
      }
    }
    const [near, fNear] = goldenSectionMax(
      f,
      Math.max(from, top - (to - from) / 10),
      Math.min(to, top + (to - from) / 10),
      1e-9 * step,
    );
    const spend = fNear >= fTop ? near : top;
    const best = atSpend(spend);
    if (best && (!refined || best.value >= refined.value)) refined = best;
    else lo[special] = up[special] = x;
  }
  if (!refined || refined.value < kept.value) return kept;
  return { ...refined, method: 'grid-dp+kkt', gridStep: step };
}

/** Whether every curve is concave on its whole domain at this total. */
export function isConcave(ctx: AllocationContext, total: number): boolean {
  const { hi } = boundsAt(ctx, total);
  return channelPieces(ctx, hi).every((p) => p.length === 1 && p[0].concave);
}

/**
 * Grid tables over totals up to `top` per period (node bounds taken at `boundsTotal`). With
 * `spacing`, the step divides it and the grid is shifted so that every total
 * lowerSum + phase + k spacing lies on the grid (`phase` is spent on the channel with the
 * most room): then a frontier's evenly spaced budgets are grid points, and the grid compares
 * the curves' basins at each budget itself, not one step below it.
 */
export function gridTables(
  ctx: AllocationContext,
  top: number,
  boundsTotal: number,
  align?: { spacing: number; first: number },
): { tables: GridTables; step: number; pieces: Piece[][] } {
  const { nodeLo, nodeHi } = boundsAt(ctx, boundsTotal);
  // The root's table covers every total up to `top` (only the root's own money bounds apply).
  nodeLo[0] = ctx.scenario.nodes[0].min;
  nodeHi[0] = ctx.scenario.nodes[0].max;
  const { hi } = boundsAt(ctx, top);
  const span = top - ctx.lowerSum;
  let steps = ctx.scenario.gridSteps;
  let step = Math.max(span / steps, 1e-300);
  let lo: Float64Array = ctx.lower;
  if (align && align.spacing > 0 && span > 0) {
    const m = Math.max(1, Math.round((steps * align.spacing) / span));
    step = align.spacing / m;
    const phase = (((align.first - ctx.lowerSum) % step) + step) % step;
    let widest = 0;
    for (let c = 1; c < hi.length; c++) {
      if (hi[c] - ctx.lower[c] > hi[widest] - ctx.lower[widest]) widest = c;
    }
    if (phase > 0 && hi[widest] - ctx.lower[widest] > phase) {
      lo = Float64Array.from(ctx.lower);
      lo[widest] += phase;
    }
    steps = Math.max(1, Math.ceil((span - (lo[widest] - ctx.lower[widest])) / step - 1e-9));
  }
  const pieces = channelPieces(ctx, hi);
  const tables = solveGrid({
    curves: ctx.curves,
    lo,
    hi,
    nodes: ctx.scenario.nodes,
    nodeLo,
    nodeHi,
    step,
    steps,
    concaveFrom: pieces.map((p) => {
      const last = p[p.length - 1];
      return last.concave ? last.from : last.to;
    }),
  });
  return { tables, step, pieces };
}

/** The grid index nearest below `total` with a finite value (the rules may cut grid points). */
export function gridIndex(tables: GridTables, step: number, total: number): number {
  let j = Math.min(tables.root.length - 1, Math.floor((total - tables.lowerSum) / step + 1e-9));
  j = Math.max(j, 0);
  for (let d = 0; d < tables.root.length; d++) {
    if (j - d >= 0 && tables.root[j - d] > -Infinity) return j - d;
    if (j + d < tables.root.length && tables.root[j + d] > -Infinity) return j + d;
  }
  return j;
}

/** The best allocation spending exactly `total` per period (the caller checked feasibility). */
export function solveAtTotal(ctx: AllocationContext, total: number): SolvedTotal {
  const { nodeLo, nodeHi, hi } = boundsAt(ctx, total);
  const ranges = nodeRanges(ctx.scenario.nodes, ctx.lower, hi, nodeLo, nodeHi);
  if (ranges.conflict >= 0) throw explainConflict(ctx, total);
  const pieces = channelPieces(ctx, hi);
  if (pieces.every((p) => p.length === 1 && p[0].concave)) {
    const solved = exact(ctx, concaveProblem(ctx, total, ctx.lower, hi), total);
    if (solved) return solved;
  }
  if (!(total > ctx.lowerSum)) {
    const x = settleOnRules(
      Float64Array.from(ctx.lower),
      ctx.scenario.nodes,
      ctx.lower,
      hi,
      ranges,
      total,
    );
    return {
      total,
      x,
      value: totalResponse(ctx, x),
      method: 'kkt',
      problem: null,
      solution: null,
      kkt: 0,
      gridStep: null,
    };
  }
  const { tables, step } = gridTables(ctx, total, total);
  const j = gridIndex(tables, step, total);
  return refineGridPoint(ctx, total, tables.allocation(j), pieces, step);
}
