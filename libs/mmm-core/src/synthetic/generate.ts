import { geometricAdstock, weibullAdstock } from '../transforms/adstock';
import { hillSaturation } from '../transforms/saturation';
import { Mulberry32 } from './prng';
import { parseIsoDate } from '../design/dates';

/** One synthetic media channel's truth. Unspecified fields are drawn from the seed. */
export interface SyntheticChannelSpec {
  name: string;
  /** Mean spend per period (default drawn in [5k, 80k]). */
  meanSpend?: number;
  /** Share of periods with spend (default 1; 0.65 for a flighted channel under the flighted plan). */
  activeShare?: number;
  /**
   * How spend is planned ('flighted' plans only): 'flights' are bursts separated by dark
   * periods (TV, radio, OOH, print, video); 'always-on' is a base level with campaign pushes
   * and cuts (search, social, display). Default: 'flights' when activeShare < 1.
   */
  pattern?: 'flights' | 'always-on';
  /** True ROAS: total contribution / total spend (default drawn in [0.5, 3.5]). */
  roas?: number;
  theta?: number;
  shape?: number;
  scale?: number;
  alpha?: number;
  gamma?: number;
}

export interface SyntheticOptions {
  /** Default 42. */
  seed?: number;
  /** Rows (default 156). */
  periods?: number;
  /** Default 'weekly'. */
  frequency?: 'weekly' | 'daily';
  /** First date, ISO (default 2022-01-03, a Monday). */
  startDate?: string;
  /** A count of the preset's channels (default 8; beyond 8, drawn ones) or explicit specs. */
  channels?: number | SyntheticChannelSpec[];
  /**
   * The channel set a count draws from (default 'standard': every channel identifiable at the
   * default noise). 'hard' is the earlier default, with a small print and an always-on display
   * line that the data do not identify; see SYNTHETIC_CHANNEL_PRESETS.
   */
  channelPreset?: 'standard' | 'hard';
  /** Default 'geometric'. */
  adstock?: 'geometric' | 'weibull_cdf' | 'weibull_pdf';
  /** Baseline KPI level per period (default 1,000,000). */
  baseline?: number;
  /** Total trend growth over the span, as a fraction of the baseline (default 0.15). */
  trend?: number;
  /** Yearly seasonality amplitude, fraction of the baseline (default 0.08). */
  seasonality?: number;
  /** Noise sd as a fraction of the baseline (default 0.03: "moderate"). */
  noise?: number;
  /** Include the controls promo (0/1 events) and price_index (default true). */
  controls?: boolean;
  /** KPI column name (default 'revenue'). */
  kpiName?: string;
  /**
   * Spend plans (default 'flighted'): 'flighted' draws media plans as advertisers buy them:
   * flights of a few weeks with dark weeks between (per channel pattern), always-on channels
   * with campaign pushes, and a shared campaign calendar that several channels join, so that
   * campaigns overlap. 'log-ar1' is the earlier plan (a persistent log-AR(1) level with random
   * on/off flights), kept so that tables made with it can be reproduced.
   */
  spendPlan?: 'flighted' | 'log-ar1';
}

export interface SyntheticChannelTruth {
  name: string;
  spendColumn: string;
  roas: number;
  coefficient: number;
  adstock: 'geometric' | 'weibull_cdf' | 'weibull_pdf';
  theta?: number;
  shape?: number;
  scale?: number;
  alpha: number;
  gamma: number;
  /** Hill inflexion in adstocked spend units (gamma x max adstocked, Robyn 3.12). */
  inflexion: number;
  totalSpend: number;
  totalContribution: number;
  contribution: number[];
}

export interface SyntheticTruth {
  channels: SyntheticChannelTruth[];
  intercept: number;
  trend: number[];
  seasonality: number[];
  controls: Record<string, { coefficient: number; contribution: number[] }>;
  noiseSd: number;
  noise: number[];
}

export interface SyntheticDataset {
  dateColumn: string;
  kpiColumn: string;
  spendColumns: string[];
  controlColumns: string[];
  /** ISO dates (YYYY-MM-DD), one per row. */
  dates: string[];
  /** Every numeric column by name: the KPI, spends, controls. */
  columns: Record<string, number[]>;
  /** Column order for tables: date, KPI, spends, controls. */
  columnOrder: string[];
  truth: SyntheticTruth;
  options: Required<Omit<SyntheticOptions, 'channels'>> & { channels: SyntheticChannelSpec[] };
}

/**
 * The default channel set, 'standard': every channel's weekly effect stands out of the default
 * noise (3% of the baseline, 30,000 a week; the smallest, print at 35,000 x 0.8, is 0.93 noise
 * sd a week on average, 1.9 in its active weeks) and the top three by ROAS (search 3.2, social
 * 2.3, TV 1.6) are apart from each other and from the fourth (video 1.1) by 1.0-2.7
 * Cramer-Rao sds over seeds 1-10 (docs/BENCHMARKS.md). Media drive about 37% of the KPI.
 */
const STANDARD_CHANNELS: SyntheticChannelSpec[] = [
  {
    name: 'tv',
    pattern: 'flights',
    meanSpend: 90000,
    roas: 1.6,
    theta: 0.6,
    alpha: 2.0,
    gamma: 0.6,
  },
  {
    name: 'radio',
    pattern: 'flights',
    meanSpend: 40000,
    roas: 1.0,
    theta: 0.35,
    alpha: 1.5,
    gamma: 0.5,
    activeShare: 0.6,
  },
  {
    name: 'ooh',
    pattern: 'flights',
    meanSpend: 45000,
    roas: 0.9,
    theta: 0.4,
    alpha: 1.2,
    gamma: 0.5,
    activeShare: 0.5,
  },
  {
    name: 'print',
    pattern: 'flights',
    meanSpend: 35000,
    roas: 0.8,
    theta: 0.25,
    alpha: 1.0,
    gamma: 0.4,
    activeShare: 0.5,
  },
  {
    name: 'search',
    pattern: 'always-on',
    meanSpend: 55000,
    roas: 3.2,
    theta: 0.1,
    alpha: 1.4,
    gamma: 0.5,
  },
  {
    name: 'social',
    pattern: 'always-on',
    meanSpend: 50000,
    roas: 2.3,
    theta: 0.2,
    alpha: 1.8,
    gamma: 0.55,
  },
  {
    // Programmatic bought in campaigns: an always-on display line at this size is not
    // identified (its near-constant effect trades with the intercept, Cramer-Rao sd 80-300%).
    name: 'display',
    pattern: 'flights',
    meanSpend: 40000,
    roas: 1.0,
    theta: 0.15,
    alpha: 1.1,
    gamma: 0.45,
    activeShare: 0.6,
  },
  {
    name: 'video',
    pattern: 'flights',
    meanSpend: 45000,
    roas: 1.1,
    theta: 0.35,
    alpha: 2.2,
    gamma: 0.5,
    activeShare: 0.7,
  },
];

/** Where 'hard' differs from 'standard': smaller spends, and display always on. */
const HARD_OVERRIDES: Record<string, Partial<SyntheticChannelSpec>> = {
  tv: { meanSpend: 70000 },
  radio: { meanSpend: 15000, roas: 1.1 },
  ooh: { meanSpend: 18000, roas: 0.8 },
  print: { meanSpend: 6000, roas: 0.5 },
  social: { meanSpend: 45000, roas: 2.0 },
  display: { pattern: 'always-on', meanSpend: 16000, roas: 0.9, activeShare: undefined },
  video: { meanSpend: 25000, roas: 1.3 },
};

/**
 * The earlier default, 'hard': small print (6,000 x 0.5, a tenth of a noise sd a week) and an
 * always-on display line (16,000 x 0.9) whose ROAS the data do not identify at the default
 * noise (Cramer-Rao sd 200-750%), so the top three's order is luck on some seeds. Kept as a
 * benchmark of what no estimator can recover without outside information (lift tests).
 */
const HARD_CHANNELS: SyntheticChannelSpec[] = STANDARD_CHANNELS.map((channel) => ({
  ...channel,
  ...HARD_OVERRIDES[channel.name],
}));

/** The named channel sets (`channelPreset`). */
export const SYNTHETIC_CHANNEL_PRESETS: Readonly<
  Record<'standard' | 'hard', readonly SyntheticChannelSpec[]>
> = { standard: STANDARD_CHANNELS, hard: HARD_CHANNELS };

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function resolveChannels(
  spec: number | SyntheticChannelSpec[] | undefined,
  preset: readonly SyntheticChannelSpec[],
  rng: Mulberry32,
) {
  if (Array.isArray(spec)) return spec;
  const count = spec ?? 8;
  const out: SyntheticChannelSpec[] = [];
  for (let i = 0; i < count; i++) {
    const base = preset[i % preset.length];
    out.push(
      i < preset.length
        ? base
        : {
            name: `channel_${i + 1}`,
            meanSpend: rng.between(5000, 80000),
            roas: rng.between(0.5, 3.5),
          },
    );
  }
  return out;
}

/** The earlier plan: a persistent log-AR(1) level with random on/off flights. */
function logAr1Spend(
  rng: Mulberry32,
  periods: number,
  meanSpend: number,
  activeShare: number,
): number[] {
  // Persistent, not yearly, so that it is not collinear with the seasonality.
  const spend = new Array<number>(periods);
  let on = true;
  let level = 0;
  for (let t = 0; t < periods; t++) {
    if (activeShare < 1 && rng.uniform() < 0.25) on = rng.uniform() < activeShare;
    level = 0.5 * level + 0.45 * rng.normal();
    const jitter = Math.exp(level - 0.135);
    const v = on || activeShare >= 1 ? (meanSpend * jitter) / Math.max(activeShare, 0.05) : 0;
    spend[t] = round2(Math.max(0, v));
  }
  return spend;
}

/** An integer uniform in [lo, hi]. */
function intBetween(rng: Mulberry32, lo: number, hi: number): number {
  return lo + Math.floor(rng.uniform() * (hi - lo + 1));
}

/**
 * The brand's campaign calendar, shared by the channels: campaigns of 3-6 periods every 6-16
 * periods. Each channel joins each campaign with probability 1/2, so campaigns overlap across
 * channels without moving them in lockstep.
 */
function campaignCalendar(rng: Mulberry32, periods: number): Array<[number, number]> {
  const campaigns: Array<[number, number]> = [];
  let t = intBetween(rng, 0, 8);
  while (t < periods) {
    const length = intBetween(rng, 3, 6);
    campaigns.push([t, Math.min(periods, t + length)]);
    t += length + intBetween(rng, 3, 10);
  }
  return campaigns;
}

/**
 * A media plan as bought: 'flights' alternate bursts of 2-6 periods (each at its own level)
 * with dark periods sized for the channel's active share; 'always-on' keeps a drifting base
 * with pushes (x1.4-2.2 for 2-5 periods) and cuts (x0.3-0.6 for 1-3 periods). Joined brand
 * campaigns switch a flighted channel on and lift an always-on one. Scaled so that the mean
 * spend per period is `meanSpend`.
 */
function flightedSpend(
  rng: Mulberry32,
  periods: number,
  meanSpend: number,
  spec: SyntheticChannelSpec,
  calendar: ReadonlyArray<[number, number]>,
): number[] {
  const pattern = spec.pattern ?? ((spec.activeShare ?? 1) < 1 ? 'flights' : 'always-on');
  const raw = new Float64Array(periods);
  const campaign = new Float64Array(periods);
  for (const [from, to] of calendar) {
    if (rng.uniform() >= 0.5) continue;
    const lift = rng.between(1.3, 1.8);
    for (let t = from; t < to; t++) campaign[t] = lift;
  }
  if (pattern === 'flights') {
    const active = Math.min(0.95, Math.max(0.1, spec.activeShare ?? 0.65));
    const meanGap = (4 * (1 - active)) / active;
    let t = rng.uniform() < active ? 0 : intBetween(rng, 1, Math.max(1, Math.round(meanGap)));
    while (t < periods) {
      // Launch and sustain: a flight opens at 1.5x its level and tapers to 0.6x.
      const length = intBetween(rng, 2, 6);
      const level = Math.exp(0.5 * rng.normal());
      for (let k = 0; k < length && t + k < periods; k++) {
        raw[t + k] = level * (length > 1 ? 1.5 - (0.9 * k) / (length - 1) : 1);
      }
      t += length + intBetween(rng, 1, Math.max(1, Math.round(2 * meanGap - 1)));
    }
    for (let t = 0; t < periods; t++) {
      if (campaign[t] > 0) raw[t] = Math.max(raw[t], campaign[t] * 0.8);
      if (raw[t] > 0) raw[t] *= Math.exp(0.2 * rng.normal());
    }
  } else {
    let drift = 0;
    let push = 0;
    let pushLeft = 0;
    for (let t = 0; t < periods; t++) {
      drift = 0.7 * drift + 0.25 * rng.normal();
      if (pushLeft === 0 && rng.uniform() < 0.12) {
        const cut = rng.uniform() < 0.3;
        push = cut ? rng.between(0.2, 0.5) : rng.between(1.5, 2.5);
        pushLeft = cut ? intBetween(rng, 1, 3) : intBetween(rng, 2, 5);
      }
      const factor = pushLeft > 0 ? push : 1;
      if (pushLeft > 0) pushLeft--;
      raw[t] = Math.exp(drift + 0.2 * rng.normal()) * factor * (campaign[t] > 0 ? campaign[t] : 1);
    }
  }
  let sum = 0;
  for (let t = 0; t < periods; t++) sum += raw[t];
  const k = sum > 0 ? (meanSpend * periods) / sum : 0;
  return Array.from(raw, (v) => round2(v * k));
}

/**
 * A seeded synthetic MMM dataset with known truth:
 *   kpi_t = intercept + trend_t + season_t + sum_c beta_c hill(adstock(spend_c))_t
 *           + controls_t + noise_t
 * Spends are rounded to cents first, and the truth is computed from the rounded spends,
 * so the CSV reproduces it exactly. beta_c is set so that each channel's total
 * contribution / total spend equals its true ROAS.
 */
export function generateSyntheticDataset(options: SyntheticOptions = {}): SyntheticDataset {
  const seed = options.seed ?? 42;
  const rng = new Mulberry32(seed);
  const periods = options.periods ?? 156;
  if (!(Number.isInteger(periods) && periods >= 1)) {
    throw new RangeError(`periods must be a positive integer, got ${periods}`);
  }
  const frequency = options.frequency ?? 'weekly';
  const startDate = options.startDate ?? '2022-01-03';
  const adstock = options.adstock ?? 'geometric';
  const baseline = options.baseline ?? 1_000_000;
  const trendShare = options.trend ?? 0.15;
  const seasonShare = options.seasonality ?? 0.08;
  const noiseShare = options.noise ?? 0.03;
  const withControls = options.controls ?? true;
  const kpiName = options.kpiName ?? 'revenue';
  const spendPlan = options.spendPlan ?? 'flighted';
  const channelPreset = options.channelPreset ?? 'standard';
  const preset = SYNTHETIC_CHANNEL_PRESETS[channelPreset];
  if (!preset) throw new RangeError(`unknown channelPreset ${String(channelPreset)}`);
  const channels = resolveChannels(options.channels, preset, rng);
  const step = frequency === 'weekly' ? 7 : 1;
  const yearPeriods = frequency === 'weekly' ? 365.25 / 7 : 365.25;
  const start = parseIsoDate(startDate);
  const dates = Array.from({ length: periods }, (_, t) => isoDate(start + t * step * 86400000));

  const trend = Array.from({ length: periods }, (_, t) =>
    periods > 1 ? (baseline * trendShare * t) / (periods - 1) : 0,
  );
  const phase = rng.between(0, 2 * Math.PI);
  const seasonality = Array.from(
    { length: periods },
    (_, t) =>
      baseline *
      seasonShare *
      (Math.sin((2 * Math.PI * t) / yearPeriods + phase) +
        0.3 * Math.cos((4 * Math.PI * t) / yearPeriods + phase)),
  );

  const calendar = spendPlan === 'flighted' ? campaignCalendar(rng, periods) : [];
  const columns: Record<string, number[]> = {};
  const spendColumns: string[] = [];
  const truthChannels: SyntheticChannelTruth[] = [];
  const kpi = new Float64Array(periods);
  for (let t = 0; t < periods; t++) kpi[t] = baseline + trend[t] + seasonality[t];

  for (const spec of channels) {
    const meanSpend = spec.meanSpend ?? rng.between(5000, 80000);
    const activeShare = spec.activeShare ?? 1;
    const roas = spec.roas ?? rng.between(0.5, 3.5);
    const alpha = spec.alpha ?? rng.between(0.8, 2.5);
    const gamma = spec.gamma ?? rng.between(0.35, 0.7);
    const theta = spec.theta ?? rng.between(0.05, 0.6);
    const shape = spec.shape ?? rng.between(0.8, 2);
    const scale = spec.scale ?? rng.between(0.01, 0.06);
    const spend =
      spendPlan === 'flighted'
        ? flightedSpend(rng, periods, meanSpend, spec, calendar)
        : logAr1Spend(rng, periods, meanSpend, activeShare);
    const column = `${spec.name}_spend`;
    columns[column] = spend;
    spendColumns.push(column);
    const adstocked =
      adstock === 'geometric'
        ? geometricAdstock(spend, theta)
        : weibullAdstock(spend, adstock === 'weibull_cdf' ? 'cdf' : 'pdf', { shape, scale });
    const { saturated, inflexion } = hillSaturation(adstocked, alpha, gamma);
    let totalSpend = 0;
    let totalSat = 0;
    for (let t = 0; t < periods; t++) {
      totalSpend += spend[t];
      totalSat += saturated[t];
    }
    const coefficient = totalSat > 0 ? (roas * totalSpend) / totalSat : 0;
    const contribution = Array.from(saturated, (s) => coefficient * s);
    for (let t = 0; t < periods; t++) kpi[t] += contribution[t];
    truthChannels.push({
      name: spec.name,
      spendColumn: column,
      roas: totalSpend > 0 ? roas : 0,
      coefficient,
      adstock,
      ...(adstock === 'geometric' ? { theta } : { shape, scale }),
      alpha,
      gamma,
      inflexion,
      totalSpend,
      totalContribution: contribution.reduce((a, b) => a + b, 0),
      contribution,
    });
  }

  const controlColumns: string[] = [];
  const controls: SyntheticTruth['controls'] = {};
  if (withControls) {
    const promo = Array.from({ length: periods }, () => (rng.uniform() < 0.12 ? 1 : 0));
    const price = new Array<number>(periods);
    let level = 0;
    for (let t = 0; t < periods; t++) {
      level = 0.8 * level + 0.01 * rng.normal();
      price[t] = Math.round((1 + level) * 10000) / 10000;
    }
    const promoCoef = baseline * 0.06;
    const priceCoef = -baseline * 0.8;
    controls.promo = { coefficient: promoCoef, contribution: promo.map((v) => v * promoCoef) };
    controls.price_index = {
      coefficient: priceCoef,
      contribution: price.map((v) => (v - 1) * priceCoef),
    };
    for (let t = 0; t < periods; t++) {
      kpi[t] += controls.promo.contribution[t] + controls.price_index.contribution[t];
    }
    columns.promo = promo;
    columns.price_index = price;
    controlColumns.push('promo', 'price_index');
  }

  const noiseSd = baseline * noiseShare;
  const noise = Array.from({ length: periods }, () => noiseSd * rng.normal());
  columns[kpiName] = Array.from(kpi, (v, t) => round2(v + noise[t]));
  // Intercept absorbs the price control's centring at 1: contribution is (price - 1) x coef.
  const intercept = baseline - (withControls ? controls.price_index.coefficient : 0);

  return {
    dateColumn: 'date',
    kpiColumn: kpiName,
    spendColumns,
    controlColumns,
    dates,
    columns,
    columnOrder: ['date', kpiName, ...spendColumns, ...controlColumns],
    truth: {
      channels: truthChannels,
      intercept,
      trend,
      seasonality,
      controls,
      noiseSd,
      noise,
    },
    options: {
      seed,
      periods,
      frequency,
      startDate,
      adstock,
      baseline,
      trend: trendShare,
      seasonality: seasonShare,
      noise: noiseShare,
      controls: withControls,
      kpiName,
      spendPlan,
      channelPreset,
      channels,
    },
  };
}

/** Rows as plain objects (date as ISO string), in columnOrder. */
export function syntheticRows(ds: SyntheticDataset): Array<Record<string, string | number>> {
  return ds.dates.map((date, t) => {
    const row: Record<string, string | number> = { [ds.dateColumn]: date };
    for (const name of ds.columnOrder) if (name !== ds.dateColumn) row[name] = ds.columns[name][t];
    return row;
  });
}

/** The dataset as CSV text: a header line, then one line per period (LF line ends). */
export function toCsv(ds: SyntheticDataset): string {
  const lines = [ds.columnOrder.join(',')];
  for (let t = 0; t < ds.dates.length; t++) {
    const cells = ds.columnOrder.map((name) =>
      name === ds.dateColumn ? ds.dates[t] : String(ds.columns[name][t]),
    );
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
