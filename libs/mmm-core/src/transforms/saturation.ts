/**
 * Saturation (diminishing returns) transforms. Like the adstocks they read a series and write
 * one of the same length; `start`/`end` restrict the work to a window of rows (Robyn saturates
 * only the modelling window, run_transformations in R/R/transformation.R).
 */

/**
 * How the Hill inflexion point is derived from gamma.
 * - 'max' (Robyn >= 3.12, the default): inflexion = gamma * max(x over the window).
 * - 'range' (Robyn < 3.12): inflexion = (1 - gamma) * min + gamma * max, the linear
 *   interpolation over the range (older releases also rounded it to 4 decimals; not done here).
 */
export type HillInflexionMode = 'max' | 'range';

export function hillInflexion(
  x: ArrayLike<number>,
  gamma: number,
  mode: HillInflexionMode = 'max',
  start = 0,
  end: number = x.length,
): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = start; t < end; t++) {
    const v = x[t];
    if (v > hi) hi = v;
    if (v < lo) lo = v;
  }
  if (end <= start) return 0;
  return mode === 'max' ? gamma * hi : (1 - gamma) * lo + gamma * hi;
}

/**
 * Hill curve with a given inflexion: s = x^alpha / (x^alpha + inflexion^alpha), written as
 * 1 / (1 + (inflexion / x)^alpha) so that each row costs one exp and one log. Robyn: transformation.R,
 * saturation_hill. x = 0 gives 0; an inflexion of 0 (all-zero spend) gives 0 everywhere
 * where Robyn would produce NaN (0/0), so that a silent channel simply has no effect.
 */
export function hillSaturationWithInflexionInto(
  x: ArrayLike<number>,
  alpha: number,
  inflexion: number,
  out: Float64Array,
  start = 0,
  end: number = x.length,
): Float64Array {
  if (!(inflexion > 0)) {
    for (let t = start; t < end; t++) out[t] = 0;
    return out;
  }
  if (alpha === 1) {
    for (let t = start; t < end; t++) {
      const v = x[t];
      out[t] = v > 0 ? v / (v + inflexion) : 0;
    }
    return out;
  }
  // exp(alpha (log I - log x)) costs half of Math.pow in V8 and stays within ~1e-14.
  const logI = Math.log(inflexion);
  for (let t = start; t < end; t++) {
    const v = x[t];
    out[t] = v > 0 ? 1 / (1 + Math.exp(alpha * (logI - Math.log(v)))) : 0;
  }
  return out;
}

/** The Hill value of one input, e.g. for response curves and carryover. */
export function hillValue(x: number, alpha: number, inflexion: number): number {
  if (!(x > 0) || !(inflexion > 0)) return 0;
  return 1 / (1 + Math.pow(inflexion / x, alpha));
}

export interface HillOptions {
  inflexionMode?: HillInflexionMode;
  /** First row of the window (default 0). */
  start?: number;
  /** One past the last row of the window (default n). */
  end?: number;
}

/** Hill saturation with Robyn's alpha/gamma parameterisation (allocating form). */
export function hillSaturation(
  x: ArrayLike<number>,
  alpha: number,
  gamma: number,
  opts: HillOptions = {},
): { saturated: Float64Array; inflexion: number } {
  const start = opts.start ?? 0;
  const end = opts.end ?? x.length;
  const inflexion = hillInflexion(x, gamma, opts.inflexionMode ?? 'max', start, end);
  const saturated = new Float64Array(x.length);
  hillSaturationWithInflexionInto(x, alpha, inflexion, saturated, start, end);
  return { saturated, inflexion };
}

/**
 * Logistic saturation, PyMC-Marketing's `logistic_saturation` (pymc_marketing/mmm/
 * transformers.py): s = (1 - e^(-lam u)) / (1 + e^(-lam u)), applied to u = x / scale.
 * PyMC-Marketing scales each channel by its maximum before the transform; `scale` is that
 * maximum here (pass 1 to use raw units).
 */
export function logisticSaturationInto(
  x: ArrayLike<number>,
  lam: number,
  scale: number,
  out: Float64Array,
  start = 0,
  end: number = x.length,
): Float64Array {
  if (!(scale > 0)) {
    for (let t = start; t < end; t++) out[t] = 0;
    return out;
  }
  const k = lam / scale;
  for (let t = start; t < end; t++) {
    const e = Math.exp(-k * x[t]);
    out[t] = (1 - e) / (1 + e);
  }
  return out;
}

/** Logistic saturation on x scaled by its window maximum (allocating form). */
export function logisticSaturation(
  x: ArrayLike<number>,
  lam: number,
  opts: { start?: number; end?: number } = {},
): Float64Array {
  const start = opts.start ?? 0;
  const end = opts.end ?? x.length;
  let hi = 0;
  for (let t = start; t < end; t++) if (x[t] > hi) hi = x[t];
  return logisticSaturationInto(x, lam, hi, new Float64Array(x.length), start, end);
}

/**
 * Interaction (synergy) term of two transformed channels: the row-wise product
 * a[t] * b[t]. Its coefficient measures the extra effect when both run together.
 */
export function interactionInto(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  out: Float64Array,
  start = 0,
  end: number = a.length,
): Float64Array {
  for (let t = start; t < end; t++) out[t] = a[t] * b[t];
  return out;
}

export function interaction(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new RangeError('interaction: series lengths differ');
  return interactionInto(a, b, new Float64Array(a.length));
}
