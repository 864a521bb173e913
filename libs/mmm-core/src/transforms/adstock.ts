/**
 * Adstock (carryover) transforms. Every function reads a series `x` of length n and writes
 * an adstocked series of the same length; the `...Into` forms write into a caller-provided
 * buffer so that the per-candidate hot path allocates nothing.
 *
 * Definitions follow Robyn 3.12 (R/R/transformation.R: adstock_geometric, adstock_weibull,
 * .normalize) unless a comment says otherwise.
 */

export type AdstockType = 'geometric' | 'weibull_cdf' | 'weibull_pdf';

/**
 * Geometric adstock: d[0] = x[0], d[t] = x[t] + theta * d[t-1] over every row.
 * Robyn: transformation.R, adstock_geometric. theta = 0 is the identity.
 */
export function geometricAdstockInto(
  x: ArrayLike<number>,
  theta: number,
  out: Float64Array,
  n: number = x.length,
): Float64Array {
  if (n === 0) return out;
  let prev = x[0];
  out[0] = prev;
  for (let t = 1; t < n; t++) {
    prev = x[t] + theta * prev;
    out[t] = prev;
  }
  return out;
}

export function geometricAdstock(x: ArrayLike<number>, theta: number): Float64Array {
  return geometricAdstockInto(x, theta, new Float64Array(x.length));
}

/** R's round(x, 0): IEC 60559 rounding, halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Robyn's Weibull scale in periods: `round(quantile(1:windlen, scale))`. R's default quantile
 * (type 7) of the evenly spaced 1..windlen at probability p is exactly 1 + (windlen - 1) p,
 * so scale is a fraction of the window length. transformation.R, adstock_weibull.
 */
export function weibullScaleInPeriods(scale: number, windowLength: number): number {
  return roundHalfEven(1 + (windowLength - 1) * scale);
}

export interface WeibullOptions {
  shape: number;
  /** Fraction of the window length (Robyn), typically in [0, 0.1]. */
  scale: number;
  /** Robyn's `windlen`: defaults to the series length. */
  windowLength?: number;
  /**
   * Largest lag with a non-zero weight. Robyn has none (it convolves over the whole window,
   * i.e. maxLag = windowLength - 1); a smaller value truncates the weights after they are
   * computed (and normalised, for the PDF) on the full window.
   */
  maxLag?: number;
}

/**
 * Weibull adstock weights w[0..len-1], written into `out` (length >= windowLength); returns
 * the number of weights to use (at most maxLag + 1; trailing weights below 1e-20 are dropped
 * because they cannot change a double-precision sum), or 0 when the adstock is the identity
 * (shape = 0 or scale = 0, as Robyn).
 *
 * CDF: w[0] = 1, w[k] = prod_{i=1..k} (1 - F(i; shape, L)) with F the Weibull CDF and
 * L = weibullScaleInPeriods(scale, windowLength); so w[k] = exp(-sum_{i<=k} (i/L)^shape).
 * PDF: w[k] = minmax(f(k+1; shape, L)) over k = 0..windowLength-1 (Robyn's .normalize: when
 * every density value is equal, the weights are 1, 0, 0, ...).
 */
export function weibullWeightsInto(
  type: 'cdf' | 'pdf',
  opts: WeibullOptions,
  out: Float64Array,
): number {
  const windowLength = opts.windowLength ?? out.length;
  const { shape, scale } = opts;
  if (shape === 0 || scale === 0) return 0;
  const L = weibullScaleInPeriods(scale, windowLength);
  const maxLag = Math.min(opts.maxLag ?? windowLength - 1, windowLength - 1);
  const logL = Math.log(L);
  if (type === 'cdf') {
    out[0] = 1;
    let cum = 0;
    for (let k = 1; k <= maxLag; k++) {
      cum += Math.exp(shape * (Math.log(k) - logL));
      // Beyond e^-46 ~ 1e-20 a lag adds nothing a double can hold next to the rest.
      if (cum > 46) return k;
      out[k] = Math.exp(-cum);
    }
  } else {
    // The density at 1..windowLength; min and max are taken over the full window.
    // f(t) = (k/L) (t/L)^(k-1) exp(-(t/L)^k), evaluated through logs (cheaper than pow).
    let lo = Infinity;
    let hi = -Infinity;
    const c = shape / L;
    for (let k = 0; k < windowLength; k++) {
      const lt = Math.log(k + 1) - logL;
      const d = c * Math.exp((shape - 1) * lt - Math.exp(shape * lt));
      if (d < lo) lo = d;
      if (d > hi) hi = d;
      if (k <= maxLag) out[k] = d;
    }
    const range = hi - lo;
    if (range === 0) {
      out[0] = 1;
      for (let k = 1; k <= maxLag; k++) out[k] = 0;
      return 1;
    }
    const inv = 1 / range;
    let last = 0;
    for (let k = 0; k <= maxLag; k++) {
      const w = (out[k] - lo) * inv;
      out[k] = w;
      if (w > 1e-20) last = k;
    }
    // Trailing weights that are (numerically) zero are dropped from the convolution.
    return last + 1;
  }
  return maxLag + 1;
}

/**
 * d[t] = sum_{k=0..min(t, len-1)} w[k] x[t-k]  (Robyn builds the same sum as a matrix and
 * takes rowSums). With len = 0 the output is x (no adstock).
 */
export function convolveAdstockInto(
  x: ArrayLike<number>,
  weights: Float64Array,
  len: number,
  out: Float64Array,
  n: number = x.length,
): Float64Array {
  if (len === 0) {
    for (let t = 0; t < n; t++) out[t] = x[t];
    return out;
  }
  for (let t = 0; t < n; t++) {
    const kMax = t < len - 1 ? t : len - 1;
    let s = 0;
    for (let k = 0; k <= kMax; k++) s += weights[k] * x[t - k];
    out[t] = s;
  }
  return out;
}

/** Weibull CDF or PDF adstock (allocating form). Robyn: transformation.R, adstock_weibull. */
export function weibullAdstock(
  x: ArrayLike<number>,
  type: 'cdf' | 'pdf',
  opts: WeibullOptions,
): Float64Array {
  const windowLength = opts.windowLength ?? x.length;
  const w = new Float64Array(Math.max(windowLength, 1));
  const len = weibullWeightsInto(type, { ...opts, windowLength }, w);
  return convolveAdstockInto(x, w, len, new Float64Array(x.length));
}

/**
 * The immediate part of an adstocked series: x for geometric and Weibull CDF (w[0] = 1), and
 * x * w[0] for the Weibull PDF (Robyn: run_transformations, x_imme). Carryover = total - it.
 */
export function immediateShareOfWeight(
  type: AdstockType,
  weights: Float64Array,
  len: number,
): number {
  if (type === 'weibull_pdf' && len > 0) return weights[0];
  return 1;
}
