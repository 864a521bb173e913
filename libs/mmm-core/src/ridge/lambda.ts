/**
 * The ridge penalty's scale, built as Robyn builds it (R/R/model.R: lambda_seq and
 * robyn_mmm):
 *   lambda_max_seq = max_j |sum_i sx_ij y_i| / (0.001 n)
 * with sx the columns centred and scaled by their population sd (zero-variance columns give
 * 0) and y raw; 0.001 is glmnet's smallest alpha for a ridge path. Robyn then narrows it:
 *   lambda_max = 0.1 * lambda_max_seq,  lambda_min = lambda_min_ratio * lambda_max
 * and maps the hyperparameter lambda_hp in [0, 1] linearly between them.
 */

export const ROBYN_LAMBDA_MIN_RATIO = 1e-4;

/** glmnet's path start for ridge, as Robyn's lambda_seq computes it (before the 0.1). */
export function lambdaMaxSequence(
  columns: ReadonlyArray<ArrayLike<number>>,
  y: ArrayLike<number>,
  start = 0,
  end: number = y.length,
): number {
  const n = end - start;
  if (n <= 0) return 0;
  let ym = 0;
  for (let t = start; t < end; t++) ym += y[t];
  ym /= n;
  let best = 0;
  for (const col of columns) {
    let m = 0;
    for (let t = start; t < end; t++) m += col[t];
    m /= n;
    let ss = 0;
    let sxy = 0;
    for (let t = start; t < end; t++) {
      const d = col[t] - m;
      ss += d * d;
      sxy += d * (y[t] - ym);
    }
    const sd = Math.sqrt(ss / n);
    if (!(sd > 0)) continue;
    // sum_i sx_i y_i equals sum_i sx_i (y_i - ym) because sx is centred.
    const v = Math.abs(sxy / sd);
    if (v > best) best = v;
  }
  return best / (0.001 * n);
}

/** Robyn's lambda_max: 0.1 x the path start (robyn_mmm). */
export function robynLambdaMax(
  columns: ReadonlyArray<ArrayLike<number>>,
  y: ArrayLike<number>,
  start = 0,
  end: number = y.length,
): number {
  return 0.1 * lambdaMaxSequence(columns, y, start, end);
}

/** lambda = lambda_min + (lambda_max - lambda_min) * lambda_hp (robyn_mmm). */
export function lambdaFromHyperparameter(
  lambdaHp: number,
  lambdaMax: number,
  minRatio: number = ROBYN_LAMBDA_MIN_RATIO,
): number {
  const lambdaMin = lambdaMax * minRatio;
  return lambdaMin + (lambdaMax - lambdaMin) * lambdaHp;
}

/** The log-spaced path of Robyn's lambda_seq: from lambdaMaxSeq down to ratio x it. */
export function lambdaPath(
  lambdaMaxSeq: number,
  length = 100,
  minRatio: number = ROBYN_LAMBDA_MIN_RATIO,
): Float64Array {
  const out = new Float64Array(length);
  const a = Math.log(lambdaMaxSeq);
  const b = Math.log(lambdaMaxSeq * minRatio);
  for (let i = 0; i < length; i++)
    out[i] = Math.exp(length === 1 ? a : a + ((b - a) * i) / (length - 1));
  return out;
}
