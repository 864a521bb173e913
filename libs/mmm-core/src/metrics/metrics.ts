/**
 * Fit metrics with Robyn's definitions (R/R/model.R, R/R/auxiliary.R). All take the actual
 * and fitted series over the same rows.
 */

/** R^2 = 1 - SSE/SST. Robyn: auxiliary.R, get_rsq. */
export function rsq(actual: ArrayLike<number>, fitted: ArrayLike<number>): number {
  const n = actual.length;
  let m = 0;
  for (let t = 0; t < n; t++) m += actual[t];
  m /= n;
  let sse = 0;
  let sst = 0;
  for (let t = 0; t < n; t++) {
    sse += (fitted[t] - actual[t]) ** 2;
    sst += (actual[t] - m) ** 2;
  }
  return 1 - sse / sst;
}

/**
 * Adjusted R^2 as Robyn's get_rsq: 1 - (1 - R^2) (n - dfInt) / (n - p - 1), with p the number
 * of regressors and dfInt 1 with an intercept, 0 without (summary.lm's convention).
 */
export function adjustedRsqFromRsq(r2: number, n: number, p: number, dfInt = 1): number {
  return 1 - ((1 - r2) * (n - dfInt)) / (n - p - 1);
}

export function adjustedRsq(
  actual: ArrayLike<number>,
  fitted: ArrayLike<number>,
  p: number,
  dfInt = 1,
): number {
  return adjustedRsqFromRsq(rsq(actual, fitted), actual.length, p, dfInt);
}

/** NRMSE = sqrt(mean((y - yhat)^2)) / (max y - min y). Robyn: model.R, model_refit. */
export function nrmse(actual: ArrayLike<number>, fitted: ArrayLike<number>): number {
  const n = actual.length;
  let sse = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < n; t++) {
    sse += (actual[t] - fitted[t]) ** 2;
    if (actual[t] < lo) lo = actual[t];
    if (actual[t] > hi) hi = actual[t];
  }
  return Math.sqrt(sse / n) / (hi - lo);
}

/** MAPE = mean(|y - yhat| / |y|) over rows with y != 0, as a fraction (not percent). */
export function mape(actual: ArrayLike<number>, fitted: ArrayLike<number>): number {
  let s = 0;
  let k = 0;
  for (let t = 0; t < actual.length; t++) {
    if (actual[t] === 0) continue;
    s += Math.abs((actual[t] - fitted[t]) / actual[t]);
    k++;
  }
  return k === 0 ? NaN : s / k;
}

/** R's round(x, 4) == 0 for a non-negative share: below half of 1e-4. */
function roundsToZero4(v: number): boolean {
  return Math.abs(v) < 0.00005;
}

/**
 * DECOMP.RSSD (Robyn: model.R, robyn_iterations inside robyn_mmm):
 *   effect_share_m = effect_m / sum(effect), spend_share_m = spend_m / sum(spend) over paid
 *   media m; rssd = sqrt(sum_m (effect_share_m - spend_share_m)^2), times
 *   (1 + #{m : round(effect_share_m, 4) == 0} / M) with the zero penalty (Robyn's default).
 * Infinity when every effect is zero (Robyn turns its NaN into Inf). `effectShareOut`, when
 * given, receives the effect shares.
 */
export function decompRssd(
  effect: ArrayLike<number>,
  spend: ArrayLike<number>,
  zeroPenalty = true,
  effectShareOut?: Float64Array,
): number {
  const m = effect.length;
  let se = 0;
  let ss = 0;
  for (let i = 0; i < m; i++) {
    se += effect[i];
    ss += spend[i];
  }
  if (se === 0 || !Number.isFinite(se)) {
    if (effectShareOut) effectShareOut.fill(0, 0, m);
    return Infinity;
  }
  let acc = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    const es = effect[i] / se;
    if (effectShareOut) effectShareOut[i] = es;
    const d = es - spend[i] / ss;
    acc += d * d;
    if (roundsToZero4(es)) zeros++;
  }
  const rssd = Math.sqrt(acc);
  return zeroPenalty ? rssd * (1 + zeros / m) : rssd;
}
