/**
 * Response curves for allocation: for each paid channel, the incremental KPI that spend x per
 * period, held over the horizon, earns, with its first and second derivatives. Every carryover
 * mode is a sum of terms
 *
 *   R(x) = sum_k w_k [ s(c_k + a_k x) - s(c_k) ]
 *
 * where s is the model's saturation (saturationValue), c_k the adstock level without the plan
 * and a_k the plan's adstock per unit of spend, both taken from the model's own adstock
 * (adstockSeries) in history units (spend / costPerUnit):
 * - horizon: one term per period of the horizon and of the plan's carryover after it, w = the
 *   coefficient; c_k is the carryover of the history into period k, a_k the adstock of a unit
 *   spent in every horizon period (what forecast() predicts, minus the same without the plan);
 * - steady-state: one term, w = periods x coefficient, c = 0, a = the adstock's sum of weights;
 * - historical-mean: one term, w = periods x coefficient, c = the mean historical carryover,
 *   a = 1 (Robyn's allocator curve; predict.ts allocatorResponse).
 */
import type { ChannelSaturation, MediaMixModel, ModelChannel } from '../model/model';
import { adstockSeries, saturationValue } from '../model/predict';
import type { CarryoverMode } from './scenario';

/** Carryover after the plan is followed until its adstock falls below this share of its peak. */
const TAIL_SHARE = 1e-6;
/** At most this many periods of carryover after the horizon are followed. */
const MAX_TAIL = 2000;

/**
 * s'(d) and s''(d) of the model's saturation (s itself is saturationValue), written into
 * out[0] and out[1]: the allocator's inner loops call this millions of times, so it allocates
 * nothing.
 */
export function saturationSlopesInto(
  saturation: ChannelSaturation,
  d: number,
  out: Float64Array,
): Float64Array {
  if (saturation.type === 'hill') {
    const { alpha, inflexion } = saturation;
    if (!(inflexion > 0)) {
      out[0] = out[1] = 0;
      return out;
    }
    if (!(d > 0)) {
      // Limits at 0 of alpha d^(alpha-1) / I^alpha and its derivative.
      const i2 = inflexion * inflexion;
      out[0] = alpha < 1 ? Infinity : alpha === 1 ? 1 / inflexion : 0;
      out[1] =
        alpha < 1
          ? -Infinity
          : alpha === 1
            ? -2 / i2
            : alpha < 2
              ? Infinity
              : alpha === 2
                ? 2 / i2
                : 0;
      return out;
    }
    const ld = Math.log(d);
    if (d < inflexion) {
      // r = (d/I)^alpha <= 1, and r/d in logs: no overflow for the tiniest d.
      const lr = alpha * (ld - Math.log(inflexion));
      const r = Math.exp(lr);
      const w = alpha / ((1 + r) * (1 + r));
      out[0] = w * Math.exp(lr - ld);
      out[1] = (out[0] / d) * (alpha * (1 - (2 * r) / (1 + r)) - 1);
      return out;
    }
    // q = (I/d)^alpha <= 1: s = 1/(1+q), s(1-s) = q/(1+q)^2 without the cancellation of 1 - s.
    const q = Math.exp(alpha * (Math.log(inflexion) - ld));
    out[0] = (alpha * q) / ((1 + q) * (1 + q) * d);
    out[1] = (out[0] / d) * (alpha * (1 - 2 / (1 + q)) - 1);
    return out;
  }
  if (!(saturation.scale > 0)) {
    out[0] = out[1] = 0;
    return out;
  }
  const k = saturation.lam / saturation.scale;
  const s = saturationValue(saturation, d);
  out[0] = 0.5 * k * (1 - s * s);
  out[1] = -k * s * out[0];
  return out;
}

/** s'(d) and s''(d) of the model's saturation, as a pair. */
export function saturationSlopes(saturation: ChannelSaturation, d: number): [number, number] {
  const out = saturationSlopesInto(saturation, d, new Float64Array(2));
  return [out[0], out[1]];
}

/** The adstock level d at which s''(d) = 0 (Hill, alpha > 1), or 0 when s is concave. */
function saturationInflexionPoint(saturation: ChannelSaturation): number {
  if (saturation.type !== 'hill' || !(saturation.alpha > 1) || !(saturation.inflexion > 0)) {
    return 0;
  }
  const { alpha, inflexion } = saturation;
  return inflexion * Math.pow((alpha - 1) / (alpha + 1), 1 / alpha);
}

/** A channel's response curve over the horizon (see the file comment). */
export class ChannelResponseCurve {
  /** Spend per period of a typical scale (current spend, or a Hill inflexion), for searches. */
  readonly scale: number;
  private readonly base: Float64Array;
  private readonly scratch = new Float64Array(2);
  /** The last derivatives(x): [dR/dx, d2R/dx2]. */
  readonly slopes = new Float64Array(2);
  constructor(
    readonly saturation: ChannelSaturation,
    readonly weight: Float64Array,
    readonly offset: Float64Array,
    readonly slope: Float64Array,
    scale: number,
  ) {
    this.base = Float64Array.from(offset, (c) => saturationValue(saturation, c));
    this.scale = scale > 0 ? scale : 1;
  }

  get terms(): number {
    return this.weight.length;
  }

  /** Incremental KPI over the horizon (and after it, by carryover) at spend x per period. */
  value(x: number): number {
    let r = 0;
    for (let k = 0; k < this.weight.length; k++) {
      r +=
        this.weight[k] *
        (saturationValue(this.saturation, this.offset[k] + this.slope[k] * x) - this.base[k]);
    }
    return r;
  }

  /** dR/dx: KPI per unit of spend per period (periods x marginal ROAS). */
  marginal(x: number): number {
    this.derivatives(x);
    return this.slopes[0];
  }

  /** d2R/dx2. */
  curvature(x: number): number {
    this.derivatives(x);
    return this.slopes[1];
  }

  /** dR/dx and d2R/dx2 in one pass, into `slopes` (read it before the next call). */
  derivatives(x: number): Float64Array {
    let m = 0;
    let c = 0;
    const out = this.scratch;
    for (let k = 0; k < this.weight.length; k++) {
      const a = this.slope[k];
      if (a === 0) continue;
      saturationSlopesInto(this.saturation, this.offset[k] + a * x, out);
      const w = this.weight[k] * a;
      m += w * out[0];
      c += w * a * out[1];
    }
    this.slopes[0] = m;
    this.slopes[1] = c;
    return this.slopes;
  }

  /**
   * The spend from which every term is concave: each term is concave once its adstock level
   * passes the saturation's inflexion point. Exact for one term; for many a sufficient bound
   * (the sum may turn concave earlier, see pieces).
   */
  concaveFrom(): number {
    const point = saturationInflexionPoint(this.saturation);
    if (point === 0) return 0;
    let from = 0;
    for (let k = 0; k < this.weight.length; k++) {
      if (this.slope[k] > 0 && this.weight[k] !== 0 && point > this.offset[k]) {
        from = Math.max(from, (point - this.offset[k]) / this.slope[k]);
      }
    }
    return from;
  }

  /**
   * The domain [lo, hi] split where the curvature changes sign: alternating concave and convex
   * intervals. One term: exact (convex below concaveFrom, concave above). Many terms: the
   * curvature's sign on `samples` points, each change located by bisection.
   */
  pieces(lo: number, hi: number, samples = 64): { from: number; to: number; concave: boolean }[] {
    if (!(hi > lo)) return [{ from: lo, to: Math.max(lo, hi), concave: true }];
    const from = this.concaveFrom();
    if (from <= lo) return [{ from: lo, to: hi, concave: true }];
    if (this.weight.length === 1 || !Number.isFinite(hi)) {
      if (from >= hi) return [{ from: lo, to: hi, concave: false }];
      return [
        { from: lo, to: from, concave: false },
        { from, to: hi, concave: true },
      ];
    }
    const top = Math.min(hi, from);
    const concaveAt = (x: number) => !(this.curvature(x) > 0);
    const out: { from: number; to: number; concave: boolean }[] = [];
    let start = lo;
    let state = concaveAt(lo);
    let prev = lo;
    for (let i = 1; i <= samples; i++) {
      const x = lo + ((top - lo) * i) / samples;
      const now = concaveAt(x);
      if (now !== state) {
        let a = prev;
        let b = x;
        for (let it = 0; it < 60 && b - a > 1e-12 * Math.max(1, b); it++) {
          const m = 0.5 * (a + b);
          if (concaveAt(m) === state) a = m;
          else b = m;
        }
        out.push({ from: start, to: b, concave: state });
        start = b;
        state = now;
      }
      prev = x;
    }
    // Above `from` every term is concave.
    if (state) out.push({ from: start, to: hi, concave: true });
    else {
      out.push({ from: start, to: top, concave: false });
      if (hi > top) out.push({ from: top, to: hi, concave: true });
    }
    return out.filter((p) => p.to > p.from || out.length === 1);
  }
}

/** Periods after a unit of spend until its adstock falls below `share` of its peak. */
function carryoverTail(model: MediaMixModel, channel: ModelChannel, share = TAIL_SHARE): number {
  const n = model.periods.count;
  const impulse = new Float64Array(n + MAX_TAIL + 1);
  impulse[n] = 1;
  const response = adstockSeries(model, channel, impulse);
  let peak = 0;
  for (let k = n; k < response.length; k++) peak = Math.max(peak, response[k]);
  let last = n;
  for (let k = n; k < response.length; k++) if (response[k] > share * peak) last = k;
  return last - n;
}

/**
 * The response curve of a paid channel over `periods` periods under a carryover mode. Only
 * the channel's own term: synergy terms are left out (the allocation is separable, as
 * Robyn's), see docs/FORMULAS.md.
 */
export function channelResponseCurve(
  model: MediaMixModel,
  channel: ModelChannel,
  periods: number,
  mode: CarryoverMode,
): ChannelResponseCurve {
  const beta = channel.coefficient;
  const unit = 1 / channel.costPerUnit;
  const scale = channel.meanSpend;
  if (mode === 'historical-mean') {
    return new ChannelResponseCurve(
      channel.saturation,
      Float64Array.of(periods * beta),
      Float64Array.of(channel.carryoverMean),
      Float64Array.of(unit),
      scale,
    );
  }
  const n = model.periods.count;
  if (mode === 'steady-state') {
    // The adstock of spend held at 1 for longer than the carryover lasts: the sum of weights
    // (one term, so the sum can be followed to the last double).
    const long = carryoverTail(model, channel, 1e-17);
    const held = new Float64Array(n + long + 1);
    held.fill(1, n);
    const level = adstockSeries(model, channel, held)[n + long];
    return new ChannelResponseCurve(
      channel.saturation,
      Float64Array.of(periods * beta),
      Float64Array.of(0),
      Float64Array.of(level * unit),
      scale,
    );
  }
  const tail = carryoverTail(model, channel);
  const h = periods + tail;
  // Without the plan: the history's carryover into the new periods (forecast with zero spend).
  const history = new Float64Array(n + h);
  history.set(channel.history);
  const carried = adstockSeries(model, channel, history);
  // The plan's own adstock per unit of spend per period, on the same positions as forecast().
  const plan = new Float64Array(n + h);
  plan.fill(1, n, n + periods);
  const planned = adstockSeries(model, channel, plan);
  return new ChannelResponseCurve(
    channel.saturation,
    new Float64Array(h).fill(beta),
    carried.slice(n),
    Float64Array.from(planned.subarray(n), (v) => v * unit),
    scale,
  );
}
