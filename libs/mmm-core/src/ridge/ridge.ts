import { BoxQpWorkspace, createBoxQpWorkspace, solveBoxQp } from './box-qp';

/**
 * Ridge regression exactly as glmnet(alpha = 0, standardize = TRUE, intercept = TRUE) with
 * lower/upper limits solves it, which is what Robyn calls (R/R/model.R, model_refit):
 *
 *   min_{b0, beta}  (1/2n) sum_t (y_t - b0 - x_t' beta)^2 + (lambda / (2 s_y)) sum_j (s_j beta_j)^2
 *   subject to lower_j <= beta_j <= upper_j
 *
 * with s_j and s_y population standard deviations over the fitted rows; the intercept is not
 * penalised. glmnet reaches this optimum approximately (coordinate descent, thresh 1e-7);
 * here it is solved exactly on the p x p normal equations (Cholesky + active set, box-qp.ts).
 *
 * Internally the problem is written in standardised coordinates u_j = s_j beta_j:
 *   min 1/2 u'(C + (lambda/s_y) I)u - r'u,  C = Z'Z/n, r = Z'(y - ym)/n, Z = centred x / s.
 * If the intercept comes out negative and interceptSign is 'non_negative', Robyn refits
 * without an intercept (model_refit); glmnet then uses the uncentred x with the same s_j
 * (C + m m' and r + m ym with m_j = mean_j / s_j) but scales y by sqrt(mean(y^2)) instead
 * of its sd, so the penalty becomes lambda / sqrt(mean(y^2)) (checked against glmnet 4.1-6).
 */
export type InterceptSign = 'non_negative' | 'free';

export interface RidgeSystem {
  readonly capacity: number;
  /** Number of coefficients in use (<= capacity). */
  p: number;
  /** C = Z'Z/n, row-major p x p (leading dimension p). Caller fills. */
  readonly gram: Float64Array;
  /** r = Z'(y - ym)/n. Caller fills. */
  readonly cross: Float64Array;
  /** m_j = mean_j / s_j. Caller fills. */
  readonly scaledMean: Float64Array;
  /** s_j, population sd; 0 marks a constant column (its coefficient is 0, as glmnet). */
  readonly sd: Float64Array;
  /** Bounds on the original-scale coefficients. Caller fills (use +-Infinity for none). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Outputs: original-scale coefficients. */
  readonly beta: Float64Array;
  /** Work buffers. */
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly u: Float64Array;
  readonly qp: BoxQpWorkspace;
}

export function createRidgeSystem(capacity: number): RidgeSystem {
  return {
    capacity,
    p: capacity,
    gram: new Float64Array(capacity * capacity),
    cross: new Float64Array(capacity),
    scaledMean: new Float64Array(capacity),
    sd: new Float64Array(capacity),
    lower: new Float64Array(capacity).fill(-Infinity),
    upper: new Float64Array(capacity).fill(Infinity),
    beta: new Float64Array(capacity),
    a: new Float64Array(capacity * capacity),
    b: new Float64Array(capacity),
    lo: new Float64Array(capacity),
    hi: new Float64Array(capacity),
    u: new Float64Array(capacity),
    qp: createBoxQpWorkspace(capacity),
  };
}

export interface RidgeSolveStats {
  /** y's mean and population sd over the fitted rows, and mean(y^2). */
  yMean: number;
  ySd: number;
  yMeanSquare: number;
}

export interface RidgeSolution {
  intercept: number;
  interceptDropped: boolean;
  /** Residual sum of squares / n on the fitted rows. */
  rssPerRow: number;
  /** Active-set iterations of the last solve (-1: not positive definite). */
  iterations: number;
}

/** Solve one ridge problem in a filled RidgeSystem. Writes sys.beta; returns the rest. */
export function solveRidgeSystem(
  sys: RidgeSystem,
  stats: RidgeSolveStats,
  lambda: number,
  intercept = true,
  interceptSign: InterceptSign = 'non_negative',
  out: RidgeSolution = { intercept: 0, interceptDropped: false, rssPerRow: 0, iterations: 0 },
): RidgeSolution {
  const { p, gram, cross, scaledMean: m, sd, a, b, lo, hi, u, beta } = sys;
  let withIntercept = intercept;
  out.interceptDropped = false;
  for (let pass = 0; pass < 2; pass++) {
    // glmnet scales y by its sd with an intercept, by sqrt(mean(y^2)) without one.
    const ys = withIntercept ? stats.ySd : Math.sqrt(stats.yMeanSquare);
    const pen = ys > 0 ? lambda / ys : lambda;
    for (let i = 0; i < p; i++) {
      const ri = i * p;
      if (!(sd[i] > 0)) {
        for (let j = 0; j < p; j++) a[ri + j] = 0;
        a[ri + i] = 1;
        b[i] = 0;
        lo[i] = 0;
        hi[i] = 0;
        continue;
      }
      for (let j = 0; j < p; j++) {
        let v = sd[j] > 0 ? gram[ri + j] : 0;
        if (!withIntercept && sd[j] > 0) v += m[i] * m[j];
        a[ri + j] = v;
      }
      a[ri + i] += pen;
      b[i] = withIntercept ? cross[i] : cross[i] + m[i] * stats.yMean;
      lo[i] = sys.lower[i] * sd[i];
      hi[i] = sys.upper[i] * sd[i];
    }
    out.iterations = solveBoxQp(a, b, p, lo, hi, u, sys.qp);
    let b0 = 0;
    if (withIntercept) {
      b0 = stats.yMean;
      for (let j = 0; j < p; j++) b0 -= u[j] * m[j];
      if (b0 < 0 && interceptSign === 'non_negative') {
        withIntercept = false;
        out.interceptDropped = true;
        continue;
      }
    }
    // rss/n = y'y/n - 2 u'b + u'(A - pen I)u, in the coordinates of this pass.
    let quad = 0;
    let lin = 0;
    for (let i = 0; i < p; i++) {
      const ui = u[i];
      if (ui === 0) continue;
      lin += ui * b[i];
      const ri = i * p;
      let s = 0;
      for (let j = 0; j < p; j++) s += a[ri + j] * u[j];
      quad += ui * (s - pen * ui);
    }
    const base = withIntercept ? stats.ySd * stats.ySd : stats.yMeanSquare;
    out.rssPerRow = Math.max(0, base - 2 * lin + quad);
    out.intercept = b0;
    for (let j = 0; j < p; j++) beta[j] = sd[j] > 0 ? u[j] / sd[j] : 0;
    break;
  }
  return out;
}

export interface RidgeOptions {
  lambda: number;
  /** Fit an unpenalised intercept (default true). */
  intercept?: boolean;
  /** Robyn's default 'non_negative': refit without intercept when it comes out negative. */
  interceptSign?: InterceptSign;
  /** Per-coefficient bounds on the original scale (default: none). */
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
}

export interface RidgeFit {
  intercept: number;
  coefficients: Float64Array;
  interceptDropped: boolean;
  fitted: Float64Array;
  /** Mean and population sd of each column over the rows (the scaling glmnet applies). */
  means: Float64Array;
  sds: Float64Array;
}

/**
 * Fit glmnet's ridge (see above) on columns x_j (each length n) and y. Allocating
 * convenience form; the per-candidate evaluator uses RidgeSystem directly.
 */
export function ridgeFit(
  columns: ReadonlyArray<ArrayLike<number>>,
  y: ArrayLike<number>,
  opts: RidgeOptions,
): RidgeFit {
  const p = columns.length;
  const n = y.length;
  const sys = createRidgeSystem(Math.max(p, 1));
  sys.p = p;
  let ym = 0;
  let yy = 0;
  for (let t = 0; t < n; t++) {
    ym += y[t];
    yy += y[t] * y[t];
  }
  ym /= n;
  let vy = 0;
  for (let t = 0; t < n; t++) vy += (y[t] - ym) * (y[t] - ym);
  const stats: RidgeSolveStats = { yMean: ym, ySd: Math.sqrt(vy / n), yMeanSquare: yy / n };
  const means = new Float64Array(p);
  const sds = new Float64Array(p);
  const z: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const c = columns[j];
    if (c.length !== n)
      throw new RangeError(`ridgeFit: column ${j} has ${c.length} rows, y has ${n}`);
    let m = 0;
    for (let t = 0; t < n; t++) m += c[t];
    m /= n;
    let v = 0;
    for (let t = 0; t < n; t++) v += (c[t] - m) * (c[t] - m);
    const s = Math.sqrt(v / n);
    means[j] = m;
    sds[j] = s;
    const zj = new Float64Array(n);
    if (s > 0) for (let t = 0; t < n; t++) zj[t] = (c[t] - m) / s;
    z.push(zj);
    sys.sd[j] = s;
    sys.scaledMean[j] = s > 0 ? m / s : 0;
    sys.lower[j] = opts.lower ? opts.lower[j] : -Infinity;
    sys.upper[j] = opts.upper ? opts.upper[j] : Infinity;
  }
  for (let i = 0; i < p; i++) {
    let r = 0;
    for (let t = 0; t < n; t++) r += z[i][t] * (y[t] - ym);
    sys.cross[i] = r / n;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += z[i][t] * z[j][t];
      sys.gram[i * p + j] = s / n;
      sys.gram[j * p + i] = s / n;
    }
  }
  const sol = solveRidgeSystem(
    sys,
    stats,
    opts.lambda,
    opts.intercept ?? true,
    opts.interceptSign ?? 'free',
  );
  const coefficients = sys.beta.slice(0, p);
  const fitted = new Float64Array(n).fill(sol.intercept);
  for (let j = 0; j < p; j++) {
    const bj = coefficients[j];
    if (bj === 0) continue;
    const c = columns[j];
    for (let t = 0; t < n; t++) fitted[t] += bj * c[t];
  }
  return {
    intercept: sol.intercept,
    coefficients,
    interceptDropped: sol.interceptDropped,
    fitted,
    means,
    sds,
  };
}
