import type { RidgeSolution, RidgeSolveStats, RidgeSystem, InterceptSign } from './ridge';

/**
 * glmnet's own path to the ridge optimum, for Robyn-compatible numbers. glmnet stops its
 * coordinate descent when no coefficient update moves the objective by more than `thresh`
 * (1e-7), so its coefficients differ from the exact optimum by up to ~1e-5 relative; Robyn's
 * NRMSE and DECOMP.RSSD carry that error. Replaying the same iterations gives the same
 * numbers to ~1e-12.
 *
 * This follows glmnet's covariance-update algorithm for a single user lambda (glmnet
 * Fortran/C++ `elnet1`, used for gaussian with fewer than 500 variables; Friedman, Hastie &
 * Tibshirani 2010, J. Stat. Softw. 33(1), section 2.2):
 * - standardised coordinates a_j = beta_j s_j / s_y, g_j = x_j'(y - X a) (weights 1/n),
 *   with s_y the sd of y, or sqrt(mean(y^2)) when there is no intercept;
 *   xv_j = x_j'x_j (1 with an intercept, 1 + mean_j^2/s_j^2 without), limits cl / s_y * s_j;
 * - a full sweep over every variable in column order, updating every g; a variable whose
 *   coefficient moves joins the active set (in order of entry);
 * - then sweeps over the active set only (updating the active g) until the largest
 *   xv_k * delta_k^2 < thresh; then the inactive g catch up and a full sweep runs again;
 * - done when a full sweep's largest xv_k * delta_k^2 < thresh.
 * With alpha = 0 the update is a_k = clamp(u / (xv_k + lambda / s_y)), u = g_k + a_k xv_k.
 */
export interface GlmnetOptions {
  /** glmnet's `thresh` (default 1e-7). */
  thresh?: number;
  /** glmnet's `maxit` (default 1e5 passes). */
  maxit?: number;
}

export interface GlmnetWorkspace {
  readonly c: Float64Array;
  readonly g: Float64Array;
  readonly xv: Float64Array;
  readonly a: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly active: Int32Array;
  readonly isActive: Uint8Array;
  readonly start: Float64Array;
}

export function createGlmnetWorkspace(capacity: number): GlmnetWorkspace {
  return {
    c: new Float64Array(capacity * capacity),
    g: new Float64Array(capacity),
    xv: new Float64Array(capacity),
    a: new Float64Array(capacity),
    lo: new Float64Array(capacity),
    hi: new Float64Array(capacity),
    active: new Int32Array(capacity),
    isActive: new Uint8Array(capacity),
    start: new Float64Array(capacity),
  };
}

// glmnet replaces infinite limits by 9.9e35 ("big").
const BIG = 9.9e35;

/** One glmnet fit; returns the number of passes (nlp), or -1 past maxit. */
function elnet1(
  sys: RidgeSystem,
  ws: GlmnetWorkspace,
  stats: RidgeSolveStats,
  lambda: number,
  withIntercept: boolean,
  thr: number,
  maxit: number,
): number {
  const { p, gram, cross, scaledMean: m, sd } = sys;
  const { c, g, xv, a, lo, hi, active, isActive, start } = ws;
  // y's scale: its sd with an intercept, sqrt(mean(y^2)) without (glmnet's standard()).
  const ys = withIntercept ? stats.ySd : Math.sqrt(stats.yMeanSquare);
  const dem = lambda / ys;
  for (let j = 0; j < p; j++) {
    a[j] = 0;
    isActive[j] = 0;
    if (!(sd[j] > 0)) {
      g[j] = 0;
      xv[j] = 1;
      continue;
    }
    for (let k = 0; k < p; k++) {
      c[j * p + k] = sd[k] > 0 ? gram[j * p + k] + (withIntercept ? 0 : m[j] * m[k]) : 0;
    }
    xv[j] = withIntercept ? 1 : 1 + m[j] * m[j];
    g[j] = (withIntercept ? cross[j] : cross[j] + m[j] * stats.yMean) / ys;
    const l = Math.max(sys.lower[j], -BIG);
    const u = Math.min(sys.upper[j], BIG);
    lo[j] = (l / ys) * sd[j];
    hi[j] = (u / ys) * sd[j];
  }
  let nin = 0;
  let nlp = 0;
  for (;;) {
    // Full sweep.
    nlp++;
    let dlx = 0;
    for (let k = 0; k < p; k++) {
      if (!(sd[k] > 0)) continue;
      const ak = a[k];
      const uk = g[k] + ak * xv[k];
      let ak1 = 0;
      if (Math.abs(uk) > 0) ak1 = Math.max(lo[k], Math.min(hi[k], uk / (xv[k] + dem)));
      a[k] = ak1;
      if (ak1 === ak) continue;
      if (!isActive[k]) {
        isActive[k] = 1;
        active[nin++] = k;
      }
      const del = ak1 - ak;
      const d = xv[k] * del * del;
      if (d > dlx) dlx = d;
      const ck = k * p;
      for (let j = 0; j < p; j++) if (sd[j] > 0) g[j] -= c[ck + j] * del;
    }
    if (dlx < thr) break;
    if (nlp > maxit) return -1;
    // Sweeps over the active set.
    for (let l = 0; l < nin; l++) start[l] = a[active[l]];
    for (;;) {
      nlp++;
      dlx = 0;
      for (let l = 0; l < nin; l++) {
        const k = active[l];
        const ak = a[k];
        const uk = g[k] + ak * xv[k];
        let ak1 = 0;
        if (Math.abs(uk) > 0) ak1 = Math.max(lo[k], Math.min(hi[k], uk / (xv[k] + dem)));
        a[k] = ak1;
        if (ak1 === ak) continue;
        const del = ak1 - ak;
        const d = xv[k] * del * del;
        if (d > dlx) dlx = d;
        const ck = k * p;
        for (let jj = 0; jj < nin; jj++) {
          const j = active[jj];
          g[j] -= c[ck + j] * del;
        }
      }
      if (dlx < thr) break;
      if (nlp > maxit) return -1;
    }
    for (let l = 0; l < nin; l++) start[l] = a[active[l]] - start[l];
    for (let j = 0; j < p; j++) {
      if (isActive[j] || !(sd[j] > 0)) continue;
      let s = 0;
      for (let l = 0; l < nin; l++) s += start[l] * c[j * p + active[l]];
      g[j] -= s;
    }
  }
  return nlp;
}

/**
 * Robyn's model_refit on a filled RidgeSystem, with glmnet's iterations: fit with an
 * intercept; if it is negative and interceptSign is 'non_negative', refit without one.
 * Writes sys.beta (original scale).
 */
export function solveRidgeSystemGlmnet(
  sys: RidgeSystem,
  ws: GlmnetWorkspace,
  stats: RidgeSolveStats,
  lambda: number,
  intercept = true,
  interceptSign: InterceptSign = 'non_negative',
  opts: GlmnetOptions = {},
  out: RidgeSolution = { intercept: 0, interceptDropped: false, rssPerRow: 0, iterations: 0 },
): RidgeSolution {
  const thr = opts.thresh ?? 1e-7;
  const maxit = opts.maxit ?? 100000;
  const { p, sd, scaledMean: m, beta } = sys;
  let withIntercept = intercept;
  out.interceptDropped = false;
  for (let pass = 0; pass < 2; pass++) {
    const ys = withIntercept ? stats.ySd : Math.sqrt(stats.yMeanSquare);
    out.iterations = elnet1(sys, ws, stats, lambda, withIntercept, thr, maxit);
    // Back to u_j = s_j beta_j = ys a_j.
    let b0 = 0;
    if (withIntercept) {
      b0 = stats.yMean;
      for (let j = 0; j < p; j++) b0 -= ys * ws.a[j] * m[j];
      if (b0 < 0 && interceptSign === 'non_negative' && pass === 0) {
        withIntercept = false;
        out.interceptDropped = true;
        continue;
      }
    }
    // rss/n = y'y/n - 2 u'b + u'C u (C, b as in ridge.ts for this pass), with u = ys a.
    const { gram, cross } = sys;
    let quad = 0;
    let lin = 0;
    for (let i = 0; i < p; i++) {
      if (!(sd[i] > 0)) continue;
      const ui = ys * ws.a[i];
      if (ui === 0) continue;
      lin += ui * (withIntercept ? cross[i] : cross[i] + m[i] * stats.yMean);
      let s = 0;
      for (let j = 0; j < p; j++) {
        if (!(sd[j] > 0)) continue;
        s += (gram[i * p + j] + (withIntercept ? 0 : m[i] * m[j])) * ys * ws.a[j];
      }
      quad += ui * s;
    }
    const base = withIntercept ? ys * ys : stats.yMeanSquare;
    out.rssPerRow = Math.max(0, base - 2 * lin + quad);
    out.intercept = b0;
    for (let j = 0; j < p; j++) beta[j] = sd[j] > 0 ? (ys * ws.a[j]) / sd[j] : 0;
    break;
  }
  return out;
}
