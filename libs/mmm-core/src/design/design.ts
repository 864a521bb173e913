import type { BaselineColumnSpec, CandidateContextInput, ChannelSpec } from '../candidate/context';
import { parseIsoDate } from './dates';

/**
 * The baseline part of the design matrix: what explains the KPI without media. Robyn gets
 * trend, season and holidays from prophet (R/R/inputs.R, prophet_decomp); here they are the
 * classic regression terms, fitted jointly with the media:
 * - trend: t = 0, 1, ..., n-1 (periods since the first date);
 * - Fourier seasonality of order K: sin(2 pi k t / P), cos(2 pi k t / P), k = 1..K, with
 *   P = 52.18 periods for weekly data and 365.25 for daily (one year);
 * - on daily data also a day-of-week block, the same pairs with P = 7 and order 3 by default
 *   (weekday_sin1, weekday_cos1, ...): prophet's weekly seasonality (Taylor & Letham 2018,
 *   section 3.2; prophet's default weekly Fourier order is 3), which Robyn fits on daily data
 *   when prophet_vars includes "weekday" (R/R/inputs.R, prophet_decomp). With the intercept,
 *   order 3 spans every 7-day pattern exactly;
 * - holiday/event dummies: 1 in the period that contains an event date, one column per event
 *   name (events of one name share a column, as Robyn aggregates holidays);
 * - controls as given, with a coefficient sign per control (Robyn's context_signs).
 * The intercept is not a column: the ridge fits it unpenalised.
 *
 * Coefficients are in KPI units per unit of each column: the ridge standardises internally
 * (glmnet's scaling) and maps back, and `scaling` records each column's mean and population
 * sd so that a standardised coefficient c maps to c / sd.
 */
export type Frequency = 'weekly' | 'daily';
export type CoefficientSign = 'positive' | 'negative' | 'default';

export interface EventDate {
  date: string;
  /** Column name (default 'holiday'). */
  name?: string;
}

export interface ControlSpec {
  name: string;
  values: ArrayLike<number>;
  /** Default 'default' (unbounded). */
  sign?: CoefficientSign;
}

export interface BaselineDesignSpec {
  /** ISO dates (YYYY-MM-DD), one per row, equally spaced. */
  dates: readonly string[];
  /** Default: inferred from the spacing of the dates (7 days: weekly, 1 day: daily). */
  frequency?: Frequency;
  /** Linear trend column (default true). */
  trend?: boolean;
  /** Fourier order (default 2; 0 for none). */
  fourierOrder?: number;
  /** Seasonal period in rows (default 52.18 weekly, 365.25 daily). */
  period?: number;
  /**
   * Fourier order of the day-of-week block on daily data (period 7; default 3, prophet's;
   * 0 for none). Weekly data has no such block and ignores this.
   */
  weeklyOrder?: number;
  events?: readonly EventDate[];
  controls?: readonly ControlSpec[];
}

export type DesignColumnGroup = 'trend' | 'seasonality' | 'holiday' | 'control';

/** A Fourier column: fn(2 pi harmonic t / period) at the row index t. */
export interface FourierTerm {
  fn: 'sin' | 'cos';
  harmonic: number;
  /** In rows. */
  period: number;
}

export interface BaselineDesign {
  frequency: Frequency;
  period: number;
  names: string[];
  groups: DesignColumnGroup[];
  columns: Float64Array[];
  lower: number[];
  upper: number[];
  scaling: Array<{ mean: number; sd: number }>;
  /**
   * Per column, its Fourier term (null for the others), so that a forecast can continue the
   * yearly and the day-of-week seasonality each on its own period.
   */
  fourier: Array<FourierTerm | null>;
}

const DAY_MS = 86_400_000;

export const WEEKLY_PERIOD = 52.18;
export const DAILY_PERIOD = 365.25;
/** The day-of-week period of daily data, in rows, and prophet's default order for it. */
export const DAY_OF_WEEK_PERIOD = 7;
export const DAY_OF_WEEK_ORDER = 3;

export function inferFrequency(dates: readonly string[]): Frequency {
  if (dates.length < 2) return 'weekly';
  const days = (parseIsoDate(dates[1]) - parseIsoDate(dates[0])) / DAY_MS;
  if (days === 7) return 'weekly';
  if (days === 1) return 'daily';
  throw new RangeError(`dates are ${days} days apart; weekly (7) or daily (1) data is expected`);
}

/** Population mean and sd (glmnet's standardisation). */
export function columnScaling(values: ArrayLike<number>): { mean: number; sd: number } {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - m) ** 2;
  return { mean: m, sd: Math.sqrt(v / n) };
}

function signBounds(sign: CoefficientSign | undefined): [number, number] {
  if (sign === 'positive') return [0, Infinity];
  if (sign === 'negative') return [-Infinity, 0];
  return [-Infinity, Infinity];
}

export function buildBaselineDesign(spec: BaselineDesignSpec): BaselineDesign {
  const n = spec.dates.length;
  const frequency = spec.frequency ?? inferFrequency(spec.dates);
  const stepDays = frequency === 'weekly' ? 7 : 1;
  const period = spec.period ?? (frequency === 'weekly' ? WEEKLY_PERIOD : DAILY_PERIOD);
  const t0 = n > 0 ? parseIsoDate(spec.dates[0]) : 0;
  const time = new Float64Array(n);
  for (let i = 0; i < n; i++) time[i] = (parseIsoDate(spec.dates[i]) - t0) / DAY_MS / stepDays;

  const out: BaselineDesign = {
    frequency,
    period,
    names: [],
    groups: [],
    columns: [],
    lower: [],
    upper: [],
    scaling: [],
    fourier: [],
  };
  const add = (
    name: string,
    group: DesignColumnGroup,
    col: Float64Array,
    bounds: [number, number],
    fourier: FourierTerm | null = null,
  ) => {
    if (out.names.includes(name)) throw new RangeError(`design column ${name} appears twice`);
    out.names.push(name);
    out.groups.push(group);
    out.columns.push(col);
    out.lower.push(bounds[0]);
    out.upper.push(bounds[1]);
    out.scaling.push(columnScaling(col));
    out.fourier.push(fourier);
  };
  const addFourier = (prefix: string, order: number, p: number) => {
    for (let k = 1; k <= order; k++) {
      const sin = new Float64Array(n);
      const cos = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * k * time[i]) / p;
        sin[i] = Math.sin(a);
        cos[i] = Math.cos(a);
      }
      const unbounded: [number, number] = [-Infinity, Infinity];
      add(`${prefix}_sin${k}`, 'seasonality', sin, unbounded, {
        fn: 'sin',
        harmonic: k,
        period: p,
      });
      add(`${prefix}_cos${k}`, 'seasonality', cos, unbounded, {
        fn: 'cos',
        harmonic: k,
        period: p,
      });
    }
  };
  if (spec.trend ?? true) add('trend', 'trend', Float64Array.from(time), [-Infinity, Infinity]);
  addFourier('season', spec.fourierOrder ?? 2, period);
  if (frequency === 'daily') {
    const weekly = spec.weeklyOrder ?? DAY_OF_WEEK_ORDER;
    // Beyond order 3 the pairs repeat (harmonics k and 7 - k alias at period 7).
    if (!(Number.isInteger(weekly) && weekly >= 0 && weekly <= 3)) {
      throw new RangeError(`weeklyOrder must be an integer from 0 to 3, got ${weekly}`);
    }
    addFourier('weekday', weekly, DAY_OF_WEEK_PERIOD);
  }
  if (spec.events && spec.events.length > 0) {
    const byName = new Map<string, Float64Array>();
    for (const ev of spec.events) {
      const name = ev.name ?? 'holiday';
      const d = parseIsoDate(ev.date);
      // The row whose period [date_i, date_i + step) contains the event.
      const idx = Math.floor((d - t0) / DAY_MS / stepDays);
      if (idx < 0 || idx >= n) continue;
      let col = byName.get(name);
      if (!col) {
        col = new Float64Array(n);
        byName.set(name, col);
      }
      col[idx] = 1;
    }
    for (const [name, col] of byName) add(name, 'holiday', col, [-Infinity, Infinity]);
  }
  for (const c of spec.controls ?? []) {
    if (c.values.length !== n) {
      throw new RangeError(`control ${c.name}: ${c.values.length} rows, expected ${n}`);
    }
    add(c.name, 'control', Float64Array.from(c.values), signBounds(c.sign));
  }
  return out;
}

export function baselineColumnSpecs(design: BaselineDesign): BaselineColumnSpec[] {
  return design.names.map((name, j) => ({
    name,
    values: design.columns[j],
    lower: design.lower[j],
    upper: design.upper[j],
  }));
}

export interface MediaMixTableSpec extends BaselineDesignSpec {
  kpi: ArrayLike<number>;
  /** Paid channels: spend per row. */
  paid: ReadonlyArray<Omit<ChannelSpec, 'kind'>>;
  /** Organic channels: activity per row, transformed like paid media, no spend share. */
  organic?: ReadonlyArray<Omit<ChannelSpec, 'kind' | 'spend'>>;
}

/**
 * The candidate-context input for a table: baseline design + paid + organic channels.
 * `rest` sets the transforms, window, interactions and ridge options.
 */
export function mediaMixInput(
  table: MediaMixTableSpec,
  rest: Omit<CandidateContextInput, 'kpi' | 'baseline' | 'channels'> = {},
): CandidateContextInput & { design: BaselineDesign } {
  const design = buildBaselineDesign(table);
  return {
    ...rest,
    kpi: table.kpi,
    baseline: baselineColumnSpecs(design),
    channels: [
      ...table.paid.map((c) => ({ ...c, kind: 'paid' as const })),
      ...(table.organic ?? []).map((c) => ({ ...c, kind: 'organic' as const })),
    ],
    design,
  };
}
