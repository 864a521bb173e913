/**
 * allocateBudget: the best split of a budget over a model's paid channels for a scenario, and
 * efficientFrontier: the best response for many budgets in one call. Both take only a saved
 * MediaMixModel and a scenario.
 *
 * Every objective is a search over the total spend t (per period) of V(t), the best response
 * at total t under the rules (solve.ts):
 * - response: t = the budget;
 * - roi: the t in the feasible range with the largest V(t) / t;
 * - target-roas / target-cpa: the largest t whose ROAS V(t) / (periods t) (or whose marginal
 *   ROAS V'(t) / periods) meets the target; CPA is its inverse.
 * On concave curves V is concave: V(t)/t is unimodal (golden section) and V' falls (bisection).
 * Otherwise the grid program gives V at every grid total at once; the best grid total is
 * refined off the grid on the concave pieces it chose.
 */
import type { MediaMixModel } from '../model/model';
import { AllocationScenarioError, InfeasibleAllocationError } from './errors';
import { allocationIntervals, type EstimateInterval } from './evaluate';
import { nodeRanges } from './kkt';
import { edgeOf, goldenSectionMax } from './line-search';
import {
  resolveScenario,
  type AllocationObjective,
  type AllocationOptions,
  type AllocationScenario,
  type CarryoverMode,
} from './scenario';
import {
  boundsAt,
  createContext,
  explainConflict,
  feasibleTotals,
  gridIndex,
  gridTables,
  isConcave,
  refineGridPoint,
  solveAtTotal,
  totalResponse,
  type AllocationContext,
  type AllocationMethod,
  type SolvedTotal,
} from './solve';

/**
 * - optimal: the KKT conditions hold (concave curves; `kkt.maxViolation` says how closely);
 * - grid-optimal: S-shaped curves: the global optimum on the budget grid, refined exactly on
 *   the concave pieces the grid chose (a better split off the grid than one step away from
 *   it is not searched);
 * - current-kept: the solver's answer was below the current mix under the same rules, so the
 *   current mix is returned (it should not happen; it is checked every time).
 */
export type AllocationStatus = 'optimal' | 'grid-optimal' | 'current-kept';

export interface ChannelAllocation {
  channel: string;
  /** Current spend per period (the model's mean over its training rows). */
  current: number;
  /** Recommended spend per period. */
  recommended: number;
  /** recommended / current - 1 (null when current is 0). */
  change: number | null;
  /** The channel's bounds per period under the rules (upper null: none). */
  lower: number;
  upper: number | null;
  /** Incremental KPI over the horizon (and its carryover) at current and recommended spend. */
  response: { current: number; recommended: number };
  /** response / spend over the horizon at the recommendation (null at zero spend). */
  roas: number | null;
  /** spend / response (null without response); the KPI of a conversions model. */
  cpa: number | null;
  /** d response / d spend at the recommendation, per unit of spend over the horizon. */
  marginalRoas: number;
  /** Which of its own bounds the channel sits on. */
  bound: 'lower' | 'upper' | 'locked' | null;
  /** Recommended spend per period above the largest spend per period in the training rows. */
  beyondHistory: boolean;
}

export interface BindingConstraint {
  /** The rule's name as in the scenario, e.g. `budget`, `channels.tv.maxMultiple`. */
  rule: string;
  kind: 'budget' | 'channel-lower' | 'channel-upper' | 'locked' | 'group-lower' | 'group-upper';
  channels: string[];
  /** The bound, spend per period. */
  spend: number;
  /**
   * Incremental KPI per extra unit of spend over the horizon if the rule were loosened by one
   * unit (from the KKT prices; null when the answer is a grid point without prices).
   */
  shadowPrice: number | null;
}

export interface AllocationResult {
  objective: AllocationObjective;
  target: number | null;
  targetOn: 'total' | 'marginal';
  carryover: CarryoverMode;
  periods: number;
  kpi: { name: string; type: 'revenue' | 'conversions' };
  method: AllocationMethod;
  status: AllocationStatus;
  /** Grid step (spend per period) of the global method; null for the exact method. */
  gridStep: number | null;
  /** The scenario's budget over the horizon (a ceiling for roi and targets). */
  budget: number;
  /** Total spend over the horizon. */
  spend: { current: number; recommended: number };
  channels: ChannelAllocation[];
  /** Incremental KPI of the paid channels over the horizon; lift = recommended - current. */
  response: { current: EstimateInterval; recommended: EstimateInterval; lift: EstimateInterval };
  /** Predicted KPI over the horizon's periods (forecast: baseline, media, synergy). */
  expectedKpi: { current: EstimateInterval; recommended: EstimateInterval; lift: EstimateInterval };
  /** Total response / total spend over the horizon (null at zero spend). */
  roas: { current: number | null; recommended: number | null };
  /** The common marginal ROAS of the channels free to move (null without prices). */
  marginalRoas: number | null;
  binding: BindingConstraint[];
  kkt: {
    /** Largest relative violation of the KKT conditions (0 when no prices were solved). */
    maxViolation: number;
    /** global: on the whole curves (concave); pieces: on the concave pieces the grid chose. */
    scope: 'global' | 'pieces' | 'none';
  };
  /** The current mix under the same rules, as the recommendation was checked against it. */
  reference: { spend: number; response: number; feasible: boolean };
  /** Draws used for the intervals (0: no intervals). */
  draws: number;
  notes: string[];
}

/** dV/dt of the solved problem: the root price plus the share rules' multipliers. */
function totalDerivative(ctx: AllocationContext, solved: SolvedTotal): number | null {
  const { problem, solution } = solved;
  if (!problem || !solution) return null;
  const nodes = ctx.scenario.nodes;
  let d = solution.nodePrice[0];
  const sums = nodeSums(ctx, solved.x);
  for (let k = 1; k < nodes.length; k++) {
    const node = nodes[k];
    const nu = solution.nodePrice[k] - solution.nodePrice[ctx.parents[k]];
    if (nu === 0) continue;
    const tol = 1e-9 * Math.max(1, solved.total);
    const shareHi = node.maxShare * solved.total < node.max;
    const shareLo = node.minShare * solved.total > node.min;
    if (sums[k] >= problem.nodeHi[k] - tol && shareHi) d += nu * node.maxShare;
    else if (sums[k] <= problem.nodeLo[k] + tol && shareLo) d += nu * node.minShare;
  }
  return d;
}

function nodeSums(ctx: AllocationContext, x: ArrayLike<number>): Float64Array {
  const nodes = ctx.scenario.nodes;
  const sums = new Float64Array(nodes.length);
  for (let k = nodes.length - 1; k >= 0; k--) {
    let s = 0;
    for (const c of nodes[k].leaves) s += x[c];
    for (const j of nodes[k].children) s += sums[j];
    sums[k] = s;
  }
  return sums;
}

/**
 * V(t) near a grid point: the exact solver on the concave pieces the grid chose at `grid`,
 * at any total t (null where those pieces cannot meet the rules).
 */
function onPieces(
  ctx: AllocationContext,
  grid: Float64Array,
  pieces: ReturnType<typeof gridTables>['pieces'],
  step: number,
) {
  return (t: number): SolvedTotal | null => refineGridPoint(ctx, t, grid, pieces, step);
}

interface GridCurve {
  totals: number[];
  values: number[];
  /** Grid allocation and the concave pieces to refine it on, at index j. */
  at(j: number): {
    grid: Float64Array;
    pieces: ReturnType<typeof gridTables>['pieces'];
    step: number;
  };
}

/** V(t) on a grid of totals in [lo, hi]: one grid program, or one per total with share rules. */
function gridCurve(ctx: AllocationContext, lo: number, hi: number): GridCurve {
  if (!ctx.shareRules) {
    const { tables, step, pieces } = gridTables(ctx, hi, hi);
    const totals: number[] = [];
    const values: number[] = [];
    const index: number[] = [];
    for (let j = 0; j < tables.root.length; j++) {
      const t = tables.lowerSum + j * step;
      if (t < lo - 1e-9 * Math.max(1, lo) || !(tables.root[j] > -Infinity)) continue;
      totals.push(Math.min(t, hi));
      values.push(tables.root[j]);
      index.push(j);
    }
    return {
      totals,
      values,
      at: (i) => ({ grid: tables.allocation(index[i]), pieces, step }),
    };
  }
  // Node bounds move with the total: one program per total on a coarser set of totals.
  const count = Math.min(48, ctx.scenario.gridSteps);
  const totals: number[] = [];
  const values: number[] = [];
  const found: {
    grid: Float64Array;
    pieces: ReturnType<typeof gridTables>['pieces'];
    step: number;
  }[] = [];
  for (let i = 0; i <= count; i++) {
    const t = hi === lo ? hi : lo + ((hi - lo) * i) / count;
    if (!(t > ctx.lowerSum)) continue;
    const { tables, step, pieces } = gridTables(ctx, t, t);
    const j = gridIndex(tables, step, t);
    if (!(tables.root[j] > -Infinity)) continue;
    totals.push(t);
    values.push(tables.root[j]);
    found.push({ grid: tables.allocation(j), pieces, step });
  }
  return { totals, values, at: (i) => found[i] };
}

function efficiencyTarget(ctx: AllocationContext): number {
  const s = ctx.scenario;
  // ROAS target as is; a CPA target as the response per unit of spend it implies.
  return s.objective === 'target-cpa' ? 1 / (s.target as number) : (s.target as number);
}

function unreachable(ctx: AllocationContext, best: number, at: number): InfeasibleAllocationError {
  const s = ctx.scenario;
  const measure = s.targetOn === 'marginal' ? 'marginal ' : '';
  const fmt = (v: number) => v.toPrecision(4);
  const money = (v: number) => Math.round(v).toLocaleString('en-US');
  if (s.objective === 'target-cpa') {
    return new InfeasibleAllocationError(
      ['target', 'budget'],
      `no spend meets the ${measure}CPA target ${s.target}: the lowest ${measure}CPA the rules allow is ${fmt(1 / best)} (at ${money(at)} per period)`,
    );
  }
  return new InfeasibleAllocationError(
    ['target', 'budget'],
    `no spend meets the ${measure}ROAS target ${s.target}: the highest ${measure}ROAS the rules allow is ${fmt(best)} (at ${money(at)} per period)`,
  );
}

/** The solved allocation for the scenario's objective. */
function solveObjective(ctx: AllocationContext): SolvedTotal {
  const s = ctx.scenario;
  const b = s.budgetPerPeriod;
  const n = s.periods;
  if (s.objective === 'response' && s.budgetMode === 'equal') return solveAtTotal(ctx, b);
  const [tMin, tMax] = feasibleTotals(ctx, b);
  // Curves only rise: under a ceiling the whole of it is spent where the rules allow.
  if (s.objective === 'response') return solveAtTotal(ctx, tMax);
  const tau = s.target === null ? 0 : efficiencyTarget(ctx);
  const marginal = s.targetOn === 'marginal';

  if (isConcave(ctx, tMax)) {
    const solve = (t: number) => solveAtTotal(ctx, t);
    const roi = (t: number) => (t > 0 ? solve(t).value / (n * t) : -Infinity);
    const slope = (t: number) => (totalDerivative(ctx, solve(t)) ?? 0) / n;
    if (s.objective === 'roi') {
      if (tMax <= tMin) return solve(tMax);
      const [t] = goldenSectionMax(roi, tMin, tMax, 1e-11 * Math.max(1, tMax));
      const candidates = [t, tMax, ...(tMin > 0 ? [tMin] : [])];
      const best = candidates.reduce((a, c) => (roi(c) > roi(a) ? c : a));
      return solve(best);
    }
    if (marginal) {
      if (slope(tMax) >= tau) return solve(tMax);
      const low = tMin > 0 ? tMin : Math.min(tMax, 1e-9 * Math.max(1, tMax));
      if (slope(low) < tau) throw unreachable(ctx, slope(low), low);
      return solve(edgeOf((t) => slope(t) >= tau, low, tMax, 1e-12 * Math.max(1, Math.abs(tMax))));
    }
    if (roi(tMax) >= tau) return solve(tMax);
    const [tBest, best] =
      tMax > tMin
        ? goldenSectionMax(roi, tMin, tMax, 1e-11 * Math.max(1, tMax))
        : [tMax, roi(tMax)];
    if (best < tau) throw unreachable(ctx, best, tBest);
    return solve(edgeOf((t) => roi(t) >= tau, tBest, tMax, 1e-12 * Math.max(1, Math.abs(tMax))));
  }

  // S-shaped curves: V on the grid of totals, then refined near the chosen grid total.
  const curve = gridCurve(ctx, tMin, tMax);
  if (curve.totals.length === 0) return solveAtTotal(ctx, tMax);
  const { totals, values } = curve;
  const last = totals.length - 1;
  const efficiency = (i: number) => (totals[i] > 0 ? values[i] / (n * totals[i]) : -Infinity);
  let i = last;
  if (s.objective === 'roi') {
    for (let k = 0; k <= last; k++) if (efficiency(k) > efficiency(i)) i = k;
  } else if (marginal) {
    const step = (k: number) => (values[k + 1] - values[k]) / (n * (totals[k + 1] - totals[k]));
    i = -1;
    for (let k = last - 1; k >= 0 && i < 0; k--) if (step(k) >= tau) i = k + 1;
    if (i < 0) {
      let best = 0;
      for (let k = 0; k < last; k++) if (step(k) > step(best)) best = k;
      throw unreachable(ctx, last > 0 ? step(best) : 0, totals[best]);
    }
  } else {
    i = -1;
    for (let k = last; k >= 0 && i < 0; k--) if (efficiency(k) >= tau) i = k;
    if (i < 0) {
      let best = 0;
      for (let k = 0; k <= last; k++) if (efficiency(k) > efficiency(best)) best = k;
      throw unreachable(ctx, efficiency(best), totals[best]);
    }
  }
  const { grid, pieces, step } = curve.at(i);
  const V = onPieces(ctx, grid, pieces, step);
  const a = totals[Math.max(0, i - 1)];
  const c = totals[Math.min(last, i + 1)];
  let t = totals[i];
  if (s.objective === 'roi' && c > a) {
    [t] = goldenSectionMax(
      (x) => (x > 0 ? (V(x)?.value ?? -Infinity) / x : -Infinity),
      a,
      c,
      1e-11 * Math.max(1, c),
    );
  } else if (!marginal && i < last) {
    const ok = (x: number) => {
      const v = V(x);
      return v !== null && v.value / (n * x) >= tau;
    };
    if (ok(totals[i]))
      t = edgeOf(ok, totals[i], totals[i + 1], 1e-12 * Math.max(1, Math.abs(totals[i + 1])));
  } else if (marginal && i <= last && i > 0) {
    const ok = (x: number) => {
      const v = V(x);
      const d = v ? totalDerivative(ctx, v) : null;
      return d !== null && d / n >= tau;
    };
    if (ok(totals[i - 1]))
      t = edgeOf(ok, totals[i - 1], totals[i], 1e-12 * Math.max(1, Math.abs(totals[i])));
  }
  const refined = V(t);
  const atGrid = V(totals[i]);
  if (!refined) return atGrid ?? solveAtTotal(ctx, totals[i]);
  return refined;
}

/** Whether x meets every rule at its total, to a relative 1e-9. */
function meetsRules(ctx: AllocationContext, x: ArrayLike<number>): boolean {
  const total = Array.from(x).reduce((a, v) => a + v, 0);
  const tol = 1e-9 * total;
  for (let c = 0; c < x.length; c++) {
    if (x[c] < ctx.lower[c] - tol || x[c] > ctx.upper[c] + tol) return false;
  }
  const { nodeLo, nodeHi } = boundsAt(ctx, total);
  const sums = nodeSums(ctx, x);
  for (let k = 1; k < sums.length; k++) {
    if (sums[k] < nodeLo[k] - tol || sums[k] > nodeHi[k] + tol) return false;
  }
  return nodeLo[0] <= total + tol && total <= nodeHi[0] + tol;
}

/** The objective's score of an allocation, for the check against the current mix. */
function score(ctx: AllocationContext, x: ArrayLike<number>): number {
  const total = Array.from(x).reduce((a, v) => a + v, 0);
  const value = totalResponse(ctx, x);
  if (ctx.scenario.objective === 'roi') return total > 0 ? value / total : 0;
  return value;
}

function binding(
  ctx: AllocationContext,
  solved: SolvedTotal,
  x: Float64Array,
): BindingConstraint[] {
  const s = ctx.scenario;
  const out: BindingConstraint[] = [];
  const n = s.periods;
  const prices = solved.solution;
  const total = x.reduce((a, v) => a + v, 0);
  const tol = 1e-9 * Math.max(1, total);
  const ceiling = s.objective !== 'response' || s.budgetMode === 'ceiling';
  if (!ceiling || total >= s.budgetPerPeriod - tol) {
    const d = totalDerivative(ctx, solved);
    out.push({
      rule: 'budget',
      kind: 'budget',
      channels: s.channels.map((c) => c.name),
      spend: s.budgetPerPeriod,
      shadowPrice: d === null ? null : d / n,
    });
  }
  s.channels.forEach((channel, c) => {
    const m = ctx.curves[c].marginal(x[c]);
    const p = prices ? prices.channelPrice[c] : NaN;
    const shadow = (v: number) => (prices && Number.isFinite(v) ? Math.max(0, v) / n : null);
    if (channel.locked) {
      out.push({
        rule: channel.lowerRule,
        kind: 'locked',
        channels: [channel.name],
        spend: channel.lower,
        // Either way out of a lock may pay: the gain of a unit moved the better way.
        shadowPrice: prices && Number.isFinite(m) ? Math.abs(m - p) / n : null,
      });
    } else if (x[c] <= channel.lower + tol) {
      out.push({
        rule: channel.lowerRule,
        kind: 'channel-lower',
        channels: [channel.name],
        spend: channel.lower,
        shadowPrice: shadow(p - m),
      });
    } else if (x[c] >= channel.upper - tol) {
      out.push({
        rule: channel.upperRule,
        kind: 'channel-upper',
        channels: [channel.name],
        spend: channel.upper,
        shadowPrice: shadow(m - p),
      });
    }
  });
  const { nodeLo, nodeHi } = boundsAt(ctx, total);
  const sums = nodeSums(ctx, x);
  s.nodes.forEach((node, k) => {
    if (k === 0) return;
    const names = node.channels.map((c) => s.channels[c].name);
    const nu = prices ? prices.nodePrice[k] - prices.nodePrice[ctx.parents[k]] : NaN;
    if (sums[k] >= nodeHi[k] - tol) {
      out.push({
        rule: node.upperRule,
        kind: 'group-upper',
        channels: names,
        spend: nodeHi[k],
        shadowPrice: prices ? Math.max(0, nu) / n : null,
      });
    } else if (sums[k] <= nodeLo[k] + tol && nodeLo[k] > 0) {
      out.push({
        rule: node.lowerRule,
        kind: 'group-lower',
        channels: names,
        spend: nodeLo[k],
        shadowPrice: prices ? Math.max(0, -nu) / n : null,
      });
    }
  });
  return out;
}

/** The best allocation of the scenario's budget over the model's paid channels. */
export function allocateBudget(
  model: MediaMixModel,
  scenario: AllocationScenario,
  options: AllocationOptions = {},
): AllocationResult {
  const s = resolveScenario(model, scenario, options);
  const ctx = createContext(s);
  const n = s.periods;
  let solved = solveObjective(ctx);
  let status: AllocationStatus = solved.method === 'kkt' ? 'optimal' : 'grid-optimal';

  // The current mix under the same rules: at the recommended total for the response objective
  // (current shares scaled to it), as it is for the others.
  const current = Float64Array.from(s.channels, (c) => c.current);
  const currentTotal = current.reduce((a, v) => a + v, 0);
  const reference =
    s.objective === 'response' && currentTotal > 0
      ? current.map((v) => (v * solved.total) / currentTotal)
      : current;
  const referenceFeasible =
    meetsRules(ctx, reference) &&
    (s.objective === 'response' ||
      reference.reduce((a, v) => a + v, 0) <= s.budgetPerPeriod * (1 + 1e-9));
  const meetsTarget = (x: Float64Array) => {
    if (s.objective !== 'target-roas' && s.objective !== 'target-cpa') return true;
    if (s.targetOn === 'marginal') return false;
    const total = x.reduce((a, v) => a + v, 0);
    return total > 0 && totalResponse(ctx, x) / (n * total) >= efficiencyTarget(ctx);
  };
  if (referenceFeasible && meetsTarget(reference)) {
    const isTarget = s.objective === 'target-roas' || s.objective === 'target-cpa';
    const worse = isTarget
      ? reference.reduce((a, v) => a + v, 0) > solved.total * (1 + 1e-12)
      : // Rounding aside (1e-9): a tie, e.g. when the current mix is optimal, keeps the answer.
        score(ctx, reference) > score(ctx, solved.x) + 1e-9 * Math.abs(score(ctx, solved.x));
    if (worse) {
      solved = {
        ...solved,
        x: Float64Array.from(reference),
        value: totalResponse(ctx, reference),
        total: reference.reduce((a, v) => a + v, 0),
        problem: null,
        solution: null,
        kkt: 0,
      };
      status = 'current-kept';
    }
  }

  const x = solved.x;
  const plan = Object.fromEntries(s.channels.map((c, i) => [c.name, x[i]]));
  const currentPlan = Object.fromEntries(s.channels.map((c) => [c.name, c.current]));
  const settings = { periods: n, carryover: s.carryover };
  const intervals = allocationIntervals(
    model,
    s.draws,
    settings,
    plan,
    currentPlan,
    s.intervalLevel,
  );
  const recommendedTotal = x.reduce((a, v) => a + v, 0);

  const channels: ChannelAllocation[] = s.channels.map((channel, c) => {
    const rec = ctx.curves[c].value(x[c]);
    const tol = 1e-9 * Math.max(1, recommendedTotal);
    return {
      channel: channel.name,
      current: channel.current,
      recommended: x[c],
      change: channel.current > 0 ? x[c] / channel.current - 1 : null,
      lower: channel.lower,
      upper: Number.isFinite(channel.upper) ? channel.upper : null,
      response: { current: ctx.curves[c].value(channel.current), recommended: rec },
      roas: x[c] > 0 ? rec / (n * x[c]) : null,
      cpa: rec > 0 ? (n * x[c]) / rec : null,
      marginalRoas: ctx.curves[c].marginal(x[c]) / n,
      bound: channel.locked
        ? 'locked'
        : x[c] <= channel.lower + tol
          ? 'lower'
          : x[c] >= channel.upper - tol
            ? 'upper'
            : null,
      beyondHistory: x[c] > channel.historyMax * (1 + 1e-9),
    };
  });

  const notes: string[] = [];
  if (model.interactions.length > 0) {
    notes.push(
      'the model has synergy terms: the allocation leaves them out (each channel on its own curve, as Robyn does); the expected KPI includes them',
    );
  }
  const beyond = channels.filter((c) => c.beyondHistory).map((c) => c.channel);
  if (beyond.length > 0) {
    notes.push(
      `recommended spend is above anything seen in training for ${beyond.join(', ')}: the curves are extrapolated there`,
    );
  }
  if (status === 'current-kept') {
    notes.push('the solver did not beat the current mix under the same rules; it is kept');
  }
  const free = solved.solution ? s.channels.findIndex((_, c) => channels[c].bound === null) : -1;
  const scope = !solved.problem ? 'none' : solved.method === 'kkt' ? 'global' : 'pieces';
  return {
    objective: s.objective,
    target: s.target,
    targetOn: s.targetOn,
    carryover: s.carryover,
    periods: n,
    kpi: { name: model.kpi.name, type: model.kpi.type },
    method: solved.method,
    status,
    gridStep: solved.gridStep,
    budget: s.budget,
    spend: { current: currentTotal * n, recommended: recommendedTotal * n },
    channels,
    response: intervals.response,
    expectedKpi: intervals.expectedKpi,
    roas: {
      current: currentTotal > 0 ? intervals.response.current.estimate / (n * currentTotal) : null,
      recommended:
        recommendedTotal > 0
          ? intervals.response.recommended.estimate / (n * recommendedTotal)
          : null,
    },
    marginalRoas: free >= 0 && solved.solution ? solved.solution.channelPrice[free] / n : null,
    binding: binding(ctx, solved, x),
    kkt: { maxViolation: solved.kkt, scope },
    reference: {
      spend: reference.reduce((a, v) => a + v, 0) * n,
      response: totalResponse(ctx, reference),
      feasible: referenceFeasible,
    },
    draws: intervals.draws,
    notes,
  };
}

export interface FrontierPoint {
  /** Budget over the horizon. */
  budget: number;
  /** Spend per period by channel. */
  spend: Record<string, number>;
  /** Incremental KPI over the horizon. */
  response: number;
  /** response / budget (null at 0). */
  roas: number | null;
  /** The return of the last unit of budget (null on a grid point without prices). */
  marginalRoas: number | null;
  method: AllocationMethod;
}

/**
 * The best response for each budget (totals over the horizon), under the scenario's rules and
 * carryover (its budget and objective are not used). Work is shared across budgets: on
 * S-shaped curves one grid program gives every grid budget, each budget is then refined.
 */
export function efficientFrontier(
  model: MediaMixModel,
  scenario: AllocationScenario,
  budgets: number[],
  options: AllocationOptions = {},
): FrontierPoint[] {
  if (!Array.isArray(budgets) || budgets.length === 0) {
    throw new AllocationScenarioError('budgets', 'expected a non-empty list of budgets');
  }
  budgets.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new AllocationScenarioError(`budgets[${i}]`, `must be a finite number >= 0, got ${v}`);
    }
  });
  const s = resolveScenario(
    model,
    { ...scenario, objective: 'response', target: undefined, budget: Math.max(...budgets) },
    options,
  );
  const ctx = createContext(s);
  const n = s.periods;
  const totals = budgets.map((b) => b / n);
  const top = Math.max(...totals);
  const names = s.channels.map((c) => c.name);
  for (const t of totals) {
    const { nodeLo, nodeHi, hi } = boundsAt(ctx, t);
    if (nodeRanges(s.nodes, ctx.lower, hi, nodeLo, nodeHi).conflict >= 0) {
      throw explainConflict(ctx, t);
    }
  }
  const point = (t: number, solved: SolvedTotal): FrontierPoint => {
    const d = totalDerivative(ctx, solved);
    return {
      budget: t * n,
      spend: Object.fromEntries(names.map((name, c) => [name, solved.x[c]])),
      response: solved.value,
      roas: t > 0 ? solved.value / (n * t) : null,
      marginalRoas: d === null ? null : d / n,
      method: solved.method,
    };
  };
  if (isConcave(ctx, top) || ctx.shareRules) {
    return totals.map((t) => point(t, solveAtTotal(ctx, t)));
  }
  // Evenly spaced budgets (the usual frontier) are put on the grid exactly.
  const sorted = [...new Set(totals)].sort((a, b) => a - b);
  const spacing = sorted.length > 1 ? sorted[1] - sorted[0] : 0;
  const even =
    spacing > 0 &&
    sorted.every((t, i) => Math.abs(t - sorted[0] - i * spacing) <= 1e-9 * Math.max(1, t));
  const { tables, step, pieces } = gridTables(
    ctx,
    top,
    top,
    even ? { spacing, first: sorted[0] } : undefined,
  );
  return totals.map((t) => {
    if (!(t > ctx.lowerSum)) return point(t, solveAtTotal(ctx, t));
    const j = gridIndex(tables, step, t);
    return point(t, refineGridPoint(ctx, t, tables.allocation(j), pieces, step));
  });
}
