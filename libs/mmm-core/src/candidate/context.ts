import type { AdstockType } from '../transforms/adstock';
import type { HillInflexionMode } from '../transforms/saturation';
import type { InterceptSign } from '../ridge/ridge';
import { ROBYN_LAMBDA_MIN_RATIO, robynLambdaMax } from '../ridge/lambda';
import { createParameterLayout, ParameterBounds, ParameterLayout, SaturationType } from './layout';

/** A column that enters the regression as it is (trend, season, events, controls). */
export interface BaselineColumnSpec {
  name: string;
  /** One value per row of the whole table. */
  values: ArrayLike<number>;
  /** Bounds on its coefficient (default unbounded). */
  lower?: number;
  upper?: number;
}

/** A media channel: adstocked and saturated per candidate. */
export interface ChannelSpec {
  name: string;
  /** Spend (paid) or activity (organic) per row of the whole table. */
  values: ArrayLike<number>;
  /** 'paid' (default) enters DECOMP.RSSD; 'organic' is transformed alike but has no spend. */
  kind?: 'paid' | 'organic';
  /** Spend for the spend share when `values` are exposures (default: values). */
  spend?: ArrayLike<number>;
  /** Hyperparameter ranges (defaults: layout.ts defaultBounds). */
  bounds?: ParameterBounds;
  /** Bounds on its coefficient (default [0, Infinity): media effects are non-negative). */
  lower?: number;
  upper?: number;
}

export interface CandidateContextInput {
  /** The KPI per row of the whole table. */
  kpi: ArrayLike<number>;
  baseline?: BaselineColumnSpec[];
  channels: ChannelSpec[];
  /** Synergy terms: the product of the two channels' saturated series, coefficient >= 0. */
  interactions?: Array<[string, string]>;
  /** Default 'geometric'. */
  adstock?: AdstockType;
  /** Default 'hill'. */
  saturation?: SaturationType;
  /** Default 'max' (Robyn 3.12). */
  hillInflexion?: HillInflexionMode;
  /** Truncate Weibull weights after this lag (default: none, as Robyn). */
  weibullMaxLag?: number;
  /** Rows [start, end) that are fitted; adstock still runs over every row (Robyn). */
  window?: { start: number; end: number };
  /** Default true. */
  intercept?: boolean;
  /** Default 'non_negative' (Robyn): a negative intercept triggers a refit without one. */
  interceptSign?: InterceptSign;
  /** Default true (Robyn's rssd_zero_penalty). */
  rssdZeroPenalty?: boolean;
  /** Default: Robyn's rule on the baseline and raw channel columns over the window. */
  lambdaMax?: number;
  /** Default 1e-4 (Robyn). */
  lambdaMinRatio?: number;
  /**
   * 'exact' (default): the ridge optimum on the normal equations. 'glmnet': replay glmnet's
   * coordinate descent (thresh 1e-7), which reproduces Robyn's numbers to ~1e-12 instead of
   * ~1e-5 (Robyn-compatible mode; slower).
   */
  ridgeSolver?: RidgeSolver;
}

export type RidgeSolver = 'exact' | 'glmnet';

/** Data prepared once for many candidates. Treat as read-only. */
export interface CandidateContext {
  readonly rows: number;
  readonly start: number;
  readonly end: number;
  readonly kpi: Float64Array;
  readonly baselineNames: readonly string[];
  readonly baseline: readonly Float64Array[];
  readonly channelNames: readonly string[];
  readonly channels: readonly Float64Array[];
  /** Indices (into channels) of the paid channels, in order. */
  readonly paid: Int32Array;
  /** Spend of each paid channel summed over the window. */
  readonly paidSpend: Float64Array;
  readonly interactions: ReadonlyArray<readonly [number, number]>;
  readonly interactionNames: readonly string[];
  /** Coefficient names: baseline, channels, interactions. */
  readonly coefficientNames: readonly string[];
  readonly coefficientLower: Float64Array;
  readonly coefficientUpper: Float64Array;
  readonly adstock: AdstockType;
  readonly saturation: SaturationType;
  readonly hillInflexion: HillInflexionMode;
  readonly weibullMaxLag: number | undefined;
  readonly intercept: boolean;
  readonly interceptSign: InterceptSign;
  readonly rssdZeroPenalty: boolean;
  readonly lambdaMax: number;
  readonly lambdaMinRatio: number;
  readonly ridgeSolver: RidgeSolver;
  readonly layout: ParameterLayout;
}

function toF64(v: ArrayLike<number>, n: number, what: string): Float64Array {
  if (v.length !== n) throw new RangeError(`${what}: ${v.length} rows, expected ${n}`);
  const out = Float64Array.from(v);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new RangeError(`${what}: row ${i} is not a finite number`);
  }
  return out;
}

/** Check, default and copy the inputs once (so the hot path can trust them). */
export function createCandidateContext(input: CandidateContextInput): CandidateContext {
  const rows = input.kpi.length;
  const kpi = toF64(input.kpi, rows, 'kpi');
  const start = input.window?.start ?? 0;
  const end = input.window?.end ?? rows;
  if (!(start >= 0 && end <= rows && end > start)) {
    throw new RangeError(`window [${start}, ${end}) is not inside [0, ${rows})`);
  }
  const baselineSpecs = input.baseline ?? [];
  const baseline = baselineSpecs.map((b) => toF64(b.values, rows, `baseline ${b.name}`));
  if (input.channels.length === 0) throw new RangeError('at least one media channel is needed');
  const channels = input.channels.map((c) => toF64(c.values, rows, `channel ${c.name}`));
  const channelNames = input.channels.map((c) => c.name);
  const seen = new Set<string>();
  for (const name of [...baselineSpecs.map((b) => b.name), ...channelNames]) {
    if (seen.has(name)) throw new RangeError(`column name ${name} is used twice`);
    seen.add(name);
  }
  const paidList: number[] = [];
  const paidSpendList: number[] = [];
  input.channels.forEach((c, i) => {
    if ((c.kind ?? 'paid') !== 'paid') return;
    paidList.push(i);
    const spend = c.spend ? toF64(c.spend, rows, `spend ${c.name}`) : channels[i];
    let s = 0;
    for (let t = start; t < end; t++) s += spend[t];
    paidSpendList.push(s);
  });
  const interactions = (input.interactions ?? []).map(([a, b]) => {
    const ia = channelNames.indexOf(a);
    const ib = channelNames.indexOf(b);
    if (ia < 0 || ib < 0) throw new RangeError(`interaction ${a} x ${b}: unknown channel`);
    return [ia, ib] as const;
  });
  const interactionNames = interactions.map(([a, b]) => `${channelNames[a]}:${channelNames[b]}`);
  const coefficientNames = [
    ...baselineSpecs.map((b) => b.name),
    ...channelNames,
    ...interactionNames,
  ];
  const p = coefficientNames.length;
  const coefficientLower = new Float64Array(p);
  const coefficientUpper = new Float64Array(p);
  baselineSpecs.forEach((b, j) => {
    coefficientLower[j] = b.lower ?? -Infinity;
    coefficientUpper[j] = b.upper ?? Infinity;
  });
  input.channels.forEach((c, i) => {
    coefficientLower[baseline.length + i] = c.lower ?? 0;
    coefficientUpper[baseline.length + i] = c.upper ?? Infinity;
  });
  for (let k = 0; k < interactions.length; k++) {
    coefficientLower[baseline.length + channels.length + k] = 0;
    coefficientUpper[baseline.length + channels.length + k] = Infinity;
  }
  const adstock = input.adstock ?? 'geometric';
  const saturation = input.saturation ?? 'hill';
  const lambdaMax = input.lambdaMax ?? robynLambdaMax([...baseline, ...channels], kpi, start, end);
  return {
    rows,
    start,
    end,
    kpi,
    baselineNames: baselineSpecs.map((b) => b.name),
    baseline,
    channelNames,
    channels,
    paid: Int32Array.from(paidList),
    paidSpend: Float64Array.from(paidSpendList),
    interactions,
    interactionNames,
    coefficientNames,
    coefficientLower,
    coefficientUpper,
    adstock,
    saturation,
    hillInflexion: input.hillInflexion ?? 'max',
    weibullMaxLag: input.weibullMaxLag,
    intercept: input.intercept ?? true,
    interceptSign: input.interceptSign ?? 'non_negative',
    rssdZeroPenalty: input.rssdZeroPenalty ?? true,
    lambdaMax,
    lambdaMinRatio: input.lambdaMinRatio ?? ROBYN_LAMBDA_MIN_RATIO,
    ridgeSolver: input.ridgeSolver ?? 'exact',
    layout: createParameterLayout(input.channels, adstock, saturation),
  };
}
