/**
 * Predictions, decompositions and response curves from a MediaMixModel alone.
 */
import {
  convolveAdstockInto,
  geometricAdstockInto,
  hillSaturationWithInflexionInto,
  hillValue,
  logisticSaturationInto,
  weibullWeightsInto,
} from '../transforms';
import type { BaselineTerm, ChannelSaturation, MediaMixModel, ModelChannel } from './model';

function weibullOptions(channel: Pick<ModelChannel, 'adstock'>, windowLength: number) {
  return {
    shape: channel.adstock.shape ?? 0,
    scale: channel.adstock.scale ?? 0,
    windowLength,
    maxLag: channel.adstock.maxLag,
  };
}

/** The adstocked series of a channel's spend (adstock from the first row, like Robyn). */
export function adstockSeries(
  model: Pick<MediaMixModel, 'adstock'>,
  channel: Pick<ModelChannel, 'adstock'>,
  spend: ArrayLike<number>,
): Float64Array {
  const n = spend.length;
  const out = new Float64Array(n);
  if (model.adstock === 'geometric') {
    return geometricAdstockInto(spend, channel.adstock.theta ?? 0, out, n);
  }
  const windowLength = channel.adstock.windowLength ?? n;
  const weights = new Float64Array(Math.max(windowLength, 1));
  const len = weibullWeightsInto(
    model.adstock === 'weibull_cdf' ? 'cdf' : 'pdf',
    weibullOptions(channel, windowLength),
    weights,
  );
  return convolveAdstockInto(spend, weights, len, out, n);
}

/** The immediate (same-period) part of the adstocked series: spend, or spend x w[0] (PDF). */
export function immediateSeries(
  model: Pick<MediaMixModel, 'adstock'>,
  channel: Pick<ModelChannel, 'adstock'>,
  spend: ArrayLike<number>,
): Float64Array {
  const out = Float64Array.from(spend);
  if (model.adstock !== 'weibull_pdf') return out;
  const windowLength = channel.adstock.windowLength ?? spend.length;
  const weights = new Float64Array(Math.max(windowLength, 1));
  const len = weibullWeightsInto('pdf', weibullOptions(channel, windowLength), weights);
  if (len > 0) for (let t = 0; t < out.length; t++) out[t] *= weights[0];
  return out;
}

/** The saturation of one adstocked value (response curves, carryover, the allocator). */
export function saturationValue(saturation: ChannelSaturation, x: number): number {
  if (saturation.type === 'hill') return hillValue(x, saturation.alpha, saturation.inflexion);
  if (!(saturation.scale > 0)) return 0;
  // Same operation order as logisticSaturationInto, so that both agree to the last bit.
  const e = Math.exp(-(saturation.lam / saturation.scale) * x);
  return (1 - e) / (1 + e);
}

/** saturation(adstock(series)) per period, before the coefficient. */
export function saturatedSeries(
  model: Pick<MediaMixModel, 'adstock'>,
  channel: Pick<ModelChannel, 'adstock' | 'saturation'>,
  series: ArrayLike<number>,
): Float64Array {
  const adstocked = adstockSeries(model, channel, series);
  const s = channel.saturation;
  return s.type === 'hill'
    ? hillSaturationWithInflexionInto(adstocked, s.alpha, s.inflexion, adstocked)
    : logisticSaturationInto(adstocked, s.lam, s.scale, adstocked);
}

/** coefficient x saturation(adstock(series)) per period, with the model's fixed saturation. */
export function channelContribution(
  model: Pick<MediaMixModel, 'adstock'>,
  channel: ModelChannel,
  series: ArrayLike<number> = channel.history,
): Float64Array {
  const out = saturatedSeries(model, channel, series);
  for (let t = 0; t < out.length; t++) out[t] *= channel.coefficient;
  return out;
}

/** The name of a synergy term in decompositions: `a:b`. */
export function interactionName(term: { a: string; b: string }): string {
  return `${term.a}:${term.b}`;
}

export interface PredictInput {
  /**
   * Per channel, a series in history units (spend, or exposures when modelled on them)
   * replacing the history; each as long as the others.
   */
  media?: Record<string, ArrayLike<number>>;
  /** Baseline columns by term name, replacing the training values. */
  baseline?: Record<string, ArrayLike<number>>;
}

export interface Decomposition {
  periods: number;
  intercept: Float64Array;
  /** One series per baseline term, by name. */
  baseline: Record<string, Float64Array>;
  /** One series per channel, by name. */
  media: Record<string, Float64Array>;
  /** One series per synergy term, by `a:b` (see interactionName). */
  interactions: Record<string, Float64Array>;
  /** Sum of every part. */
  fitted: Float64Array;
}

/**
 * Decompose a prediction into the intercept, each baseline term and each channel. Without
 * input this is the training decomposition; with input, any series not given keeps its
 * training values, so all given series must have the training length unless every term is
 * given.
 */
export function decompose(model: MediaMixModel, input: PredictInput = {}): Decomposition {
  const lengths = new Set<number>();
  for (const term of model.baseline) {
    lengths.add((input.baseline?.[term.name] ?? term.values).length);
  }
  for (const channel of model.channels) {
    lengths.add((input.media?.[channel.name] ?? channel.history).length);
  }
  for (const name of Object.keys(input.media ?? {})) {
    if (!model.channels.some((c) => c.name === name)) {
      throw new RangeError(`predict: the model has no channel '${name}'`);
    }
  }
  for (const name of Object.keys(input.baseline ?? {})) {
    if (!model.baseline.some((b) => b.name === name)) {
      throw new RangeError(`predict: the model has no baseline term '${name}'`);
    }
  }
  if (lengths.size > 1) {
    throw new RangeError(
      `predict: series lengths differ (${[...lengths].join(', ')}); give every series for new periods`,
    );
  }
  const n = lengths.size === 1 ? [...lengths][0] : model.periods.count;
  const fitted = new Float64Array(n).fill(model.intercept);
  const baseline: Record<string, Float64Array> = {};
  for (const term of model.baseline) {
    const values = input.baseline?.[term.name] ?? term.values;
    const series = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      series[t] = term.coefficient * values[t];
      fitted[t] += series[t];
    }
    baseline[term.name] = series;
  }
  const media: Record<string, Float64Array> = {};
  const saturated = new Map<string, Float64Array>();
  for (const channel of model.channels) {
    const unit = saturatedSeries(model, channel, input.media?.[channel.name] ?? channel.history);
    saturated.set(channel.name, unit);
    const series = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      series[t] = channel.coefficient * unit[t];
      fitted[t] += series[t];
    }
    media[channel.name] = series;
  }
  const interactions: Record<string, Float64Array> = {};
  for (const term of model.interactions) {
    const a = saturated.get(term.a)!;
    const b = saturated.get(term.b)!;
    const series = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      series[t] = term.coefficient * a[t] * b[t];
      fitted[t] += series[t];
    }
    interactions[interactionName(term)] = series;
  }
  return {
    periods: n,
    intercept: new Float64Array(n).fill(model.intercept),
    baseline,
    media,
    interactions,
    fitted,
  };
}

/** The predicted KPI per period (see decompose for the input rules). */
export function predict(model: MediaMixModel, input: PredictInput = {}): Float64Array {
  return decompose(model, input).fitted;
}

export interface ResponsePoint {
  /** Mean spend per period. */
  spend: number;
  /** Mean incremental KPI per period at that spend. */
  response: number;
  /** d response / d spend (marginal ROAS, or marginal conversions per unit spend). */
  marginal: number;
}

function findChannel(model: MediaMixModel, name: string): ModelChannel {
  const channel = model.channels.find((c) => c.name === name);
  if (!channel) {
    throw new RangeError(
      `the model has no channel '${name}' (channels: ${model.channels.map((c) => c.name).join(', ')})`,
    );
  }
  return channel;
}

/**
 * Mean incremental KPI per training period when the channel's series is `series`: its own term
 * plus its synergy terms, the other channel of each at its history.
 */
function meanResponse(model: MediaMixModel, channel: ModelChannel, series: number[]): number {
  const unit = saturatedSeries(model, channel, series);
  const perPeriod = Float64Array.from(unit, (v) => channel.coefficient * v);
  for (const term of model.interactions) {
    if (term.a !== channel.name && term.b !== channel.name) continue;
    const otherName = term.a === channel.name ? term.b : term.a;
    const otherChannel = findChannel(model, otherName);
    const other =
      otherName === channel.name
        ? unit
        : saturatedSeries(model, otherChannel, otherChannel.history);
    for (let t = 0; t < perPeriod.length; t++)
      perPeriod[t] += term.coefficient * unit[t] * other[t];
  }
  const n = model.periods.trainEnd;
  let s = 0;
  for (let t = 0; t < n; t++) s += perPeriod[t];
  return s / Math.max(1, n);
}

/**
 * Response curve of one channel: for each mean spend per period, the mean incremental KPI
 * per period, including adstock. The channel's historical pattern (its flighting) is scaled
 * so that its spend has that mean (history x spend / meanSpend, whatever the history's unit)
 * and run through the model's adstock and saturation over the training periods, so the curve
 * passes exactly through the fitted contribution at current spend (plus the channel's synergy
 * terms, the other channel held at its history). A channel that never spent is evaluated
 * at a constant spend / costPerUnit instead. Spend is always money, also when the channel
 * was modelled on exposures.
 * `marginal` is the derivative by central differences (forward at 0).
 */
export function responseCurve(
  model: MediaMixModel,
  channelName: string,
  spends: ArrayLike<number>,
): ResponsePoint[] {
  const channel = findChannel(model, channelName);
  const base = channel.meanSpend;
  const responseAt = (spend: number): number => {
    const series =
      base > 0
        ? channel.history.map((v) => v * (spend / base))
        : new Array<number>(channel.history.length).fill(spend / channel.costPerUnit);
    return meanResponse(model, channel, series);
  };
  const points: ResponsePoint[] = [];
  for (let i = 0; i < spends.length; i++) {
    const spend = spends[i];
    if (!(spend >= 0) || !Number.isFinite(spend)) {
      throw new RangeError(`responseCurve: spend ${spend} must be a finite number >= 0`);
    }
    const h = Math.max(1e-6 * Math.max(spend, base), 1e-9);
    const response = responseAt(spend);
    const marginal =
      spend > h
        ? (responseAt(spend + h) - responseAt(spend - h)) / (2 * h)
        : (responseAt(spend + h) - response) / h;
    points.push({ spend, response, marginal });
  }
  return points;
}

/**
 * Robyn's allocator curve (R/R/allocator.R, fx_objective): coef / (1 + (I / (x + c))^alpha)
 * for Hill (coef x logistic(x + c) for logistic), with x = spend / costPerUnit in history
 * units (exposures when the channel was modelled on them) and c the mean carryover. Synergy
 * terms are not part of it (Robyn's allocator has none); responseCurve includes them.
 */
export function allocatorResponse(channel: ModelChannel, spendPerPeriod: number): number {
  return (
    channel.coefficient *
    saturationValue(
      channel.saturation,
      spendPerPeriod / channel.costPerUnit + channel.carryoverMean,
    )
  );
}

export interface ForecastInput {
  /** Periods after the last one of the model. */
  periods: number;
  /** History units per channel over the new periods (default: each channel's mean). */
  media?: Record<string, ArrayLike<number>>;
  /** Baseline columns over the new periods (default: each term's extension). */
  baseline?: Record<string, ArrayLike<number>>;
}

/** A baseline column continued for `h` periods after its last value. */
export function extendBaselineTerm(term: BaselineTerm, h: number, trainEnd: number): Float64Array {
  const v = term.values;
  const n = v.length;
  const out = new Float64Array(h);
  const e = term.extension;
  if (e?.kind === 'linear' && n >= 2) {
    const step = v[n - 1] - v[n - 2];
    for (let i = 0; i < h; i++) out[i] = v[n - 1] + step * (i + 1);
  } else if (e?.kind === 'fourier') {
    const f = e.fn === 'sin' ? Math.sin : Math.cos;
    for (let i = 0; i < h; i++) out[i] = f((2 * Math.PI * e.harmonic * (n + i)) / e.period);
  } else {
    let value = 0;
    if (e?.kind === 'constant') value = e.value;
    else {
      for (let t = 0; t < trainEnd; t++) value += v[t];
      value /= Math.max(1, trainEnd);
    }
    out.fill(value);
  }
  return out;
}

/**
 * Forecast the periods after the model's last one. Media series are appended to each
 * channel's history before the adstock, so carryover from the known periods flows into the
 * forecast; the returned decomposition covers the new periods only.
 */
export function forecast(model: MediaMixModel, input: ForecastInput): Decomposition {
  const h = Math.trunc(input.periods);
  if (!(h >= 1)) throw new RangeError(`forecast: periods must be >= 1, got ${input.periods}`);
  const n = model.periods.count;
  const media: Record<string, Float64Array> = {};
  for (const channel of model.channels) {
    const future = input.media?.[channel.name];
    if (future !== undefined && future.length !== h) {
      throw new RangeError(
        `forecast: media '${channel.name}' has ${future.length} values, expected ${h}`,
      );
    }
    const series = new Float64Array(n + h);
    series.set(channel.history);
    const meanHistory = channel.meanSpend / channel.costPerUnit;
    for (let i = 0; i < h; i++) series[n + i] = future ? future[i] : meanHistory;
    media[channel.name] = series;
  }
  const baseline: Record<string, Float64Array> = {};
  for (const term of model.baseline) {
    const given = input.baseline?.[term.name];
    if (given !== undefined && given.length !== h) {
      throw new RangeError(
        `forecast: baseline '${term.name}' has ${given.length} values, expected ${h}`,
      );
    }
    const series = new Float64Array(n + h);
    series.set(term.values);
    series.set(
      given ? Float64Array.from(given) : extendBaselineTerm(term, h, model.periods.trainEnd),
      n,
    );
    baseline[term.name] = series;
  }
  for (const name of Object.keys(input.media ?? {})) {
    if (!model.channels.some((c) => c.name === name)) {
      throw new RangeError(`forecast: the model has no channel '${name}'`);
    }
  }
  const full = decompose(model, { media, baseline });
  const tail = (s: Float64Array) => s.slice(n);
  return {
    periods: h,
    intercept: tail(full.intercept),
    baseline: Object.fromEntries(Object.entries(full.baseline).map(([k, s]) => [k, tail(s)])),
    media: Object.fromEntries(Object.entries(full.media).map(([k, s]) => [k, tail(s)])),
    interactions: Object.fromEntries(
      Object.entries(full.interactions).map(([k, s]) => [k, tail(s)]),
    ),
    fitted: tail(full.fitted),
  };
}
