import {
  geometricAdstockInto,
  convolveAdstockInto,
  weibullWeightsInto,
} from '../transforms/adstock';
import {
  hillInflexion,
  hillSaturationWithInflexionInto,
  logisticSaturationInto,
} from '../transforms/saturation';
import { lambdaFromHyperparameter } from '../ridge/lambda';
import {
  createRidgeSystem,
  RidgeSolution,
  RidgeSolveStats,
  solveRidgeSystem,
} from '../ridge/ridge';
import { createGlmnetWorkspace, solveRidgeSystemGlmnet } from '../ridge/glmnet';
import { adjustedRsqFromRsq, decompRssd } from '../metrics/metrics';
import type { CandidateContext } from './context';

/**
 * What one candidate scores. The evaluator returns the SAME object on every call (no
 * per-candidate allocation): copy what you keep (`copyCandidateResult`).
 */
export interface CandidateResult {
  /** False when the normal equations were not positive definite (objectives are Infinity). */
  ok: boolean;
  nrmse: number;
  decompRssd: number;
  /** R^2 and Robyn's adjusted R^2 (rsq_train) on the window rows. */
  rsq: number;
  rsqAdjusted: number;
  /** The penalty lambda used (from lambda_hp). */
  lambda: number;
  intercept: number;
  /** True when Robyn's non-negative intercept rule refitted without one. */
  interceptDropped: boolean;
  /** Original-scale coefficients in context.coefficientNames order. */
  coefficients: Float64Array;
  /** Per channel: the Hill inflexion (in adstocked units), or the logistic scale (window max). */
  inflexions: Float64Array;
  /** Per paid channel: total effect over the window (coef x sum of its saturated column). */
  effect: Float64Array;
  effectShare: Float64Array;
  spendShare: Float64Array;
}

export interface CandidateEvaluator {
  readonly context: CandidateContext;
  /** Score one hyperparameter vector laid out as context.layout describes. */
  evaluate(params: ArrayLike<number>): CandidateResult;
  /** After evaluate: adstocked series of each channel over all rows, channel-major (rows each). */
  readonly adstocked: Float64Array;
  /**
   * After evaluate: the regression's media columns over the window rows, column-major
   * (window length each): the channels' saturated series, then the interaction terms.
   */
  readonly media: Float64Array;
}

export function copyCandidateResult(r: CandidateResult): CandidateResult {
  return {
    ...r,
    coefficients: r.coefficients.slice(),
    inflexions: r.inflexions.slice(),
    effect: r.effect.slice(),
    effectShare: r.effectShare.slice(),
    spendShare: r.spendShare.slice(),
  };
}

/**
 * Build the evaluator: everything that does not depend on the candidate (the baseline
 * columns' standardised Gram block and their cross-products with y) is computed here once;
 * evaluate() only transforms the channels, fills the media rows and columns of the normal
 * equations, and solves them.
 */
export function createCandidateEvaluator(context: CandidateContext): CandidateEvaluator {
  const { rows, start, end, kpi, baseline, channels, interactions, layout } = context;
  const nW = end - start;
  const nF = baseline.length;
  const nC = channels.length;
  const nI = interactions.length;
  const nM = nC + nI;
  const p = nF + nM;

  // y over the window.
  let yMean = 0;
  let yy = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let t = start; t < end; t++) {
    const v = kpi[t];
    yMean += v;
    yy += v * v;
    if (v < yMin) yMin = v;
    if (v > yMax) yMax = v;
  }
  yMean /= nW;
  const yc = new Float64Array(nW);
  let vy = 0;
  for (let t = 0; t < nW; t++) {
    yc[t] = kpi[start + t] - yMean;
    vy += yc[t] * yc[t];
  }
  const stats: RidgeSolveStats = { yMean, ySd: Math.sqrt(vy / nW), yMeanSquare: yy / nW };
  const ySst = vy;
  const yRange = yMax - yMin;

  const sys = createRidgeSystem(p);
  sys.p = p;
  sys.lower.set(context.coefficientLower);
  sys.upper.set(context.coefficientUpper);

  // Baseline block, once: standardised centred columns zf (nF x nW), their Gram and y-cross.
  const zf = new Float64Array(nF * nW);
  for (let f = 0; f < nF; f++) {
    const col = baseline[f];
    let m = 0;
    for (let t = start; t < end; t++) m += col[t];
    m /= nW;
    let v = 0;
    for (let t = start; t < end; t++) v += (col[t] - m) * (col[t] - m);
    const s = Math.sqrt(v / nW);
    sys.sd[f] = s;
    sys.scaledMean[f] = s > 0 ? m / s : 0;
    if (s > 0) for (let t = 0; t < nW; t++) zf[f * nW + t] = (col[start + t] - m) / s;
  }
  for (let i = 0; i < nF; i++) {
    let r = 0;
    const oi = i * nW;
    for (let t = 0; t < nW; t++) r += zf[oi + t] * yc[t];
    sys.cross[i] = r / nW;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      const oj = j * nW;
      for (let t = 0; t < nW; t++) s += zf[oi + t] * zf[oj + t];
      sys.gram[i * p + j] = s / nW;
      sys.gram[j * p + i] = s / nW;
    }
  }

  const adstocked = new Float64Array(nC * rows);
  const media = new Float64Array(nM * nW);
  const zm = new Float64Array(nM * nW);
  const weights = new Float64Array(Math.max(rows, 1));
  const mediaMean = new Float64Array(nM);
  const solution: RidgeSolution = {
    intercept: 0,
    interceptDropped: false,
    rssPerRow: 0,
    iterations: 0,
  };
  const nPaid = context.paid.length;
  const paidSpend = context.paidSpend;
  let totalSpend = 0;
  for (let k = 0; k < nPaid; k++) totalSpend += paidSpend[k];
  const result: CandidateResult = {
    ok: true,
    nrmse: 0,
    decompRssd: 0,
    rsq: 0,
    rsqAdjusted: 0,
    lambda: 0,
    intercept: 0,
    interceptDropped: false,
    coefficients: new Float64Array(p),
    inflexions: new Float64Array(nC),
    effect: new Float64Array(nPaid),
    effectShare: new Float64Array(nPaid),
    spendShare: new Float64Array(nPaid),
  };
  for (let k = 0; k < nPaid; k++)
    result.spendShare[k] = totalSpend > 0 ? paidSpend[k] / totalSpend : 0;

  const adstockType = context.adstock;
  const weibullType = adstockType === 'weibull_pdf' ? 'pdf' : 'cdf';
  const isHill = context.saturation === 'hill';
  const inflexionMode = context.hillInflexion;
  const weibullOpts = { shape: 0, scale: 0, windowLength: rows, maxLag: context.weibullMaxLag };
  const glmnet = context.ridgeSolver === 'glmnet' ? createGlmnetWorkspace(p) : undefined;
  const glmnetOptions = {};

  // Views made once: each channel's adstocked rows, its window rows, and its media column.
  const adViews = channels.map((_, c) => adstocked.subarray(c * rows, (c + 1) * rows));
  const adWindows = adViews.map((v) => v.subarray(start, end));
  const mediaViews = channels.map((_, c) => media.subarray(c * nW, (c + 1) * nW));

  function transformChannels(params: ArrayLike<number>): void {
    for (let c = 0; c < nC; c++) {
      const o = layout.channelOffset[c];
      const x = channels[c];
      const ad = adViews[c];
      let sat = o + 1;
      if (adstockType === 'geometric') {
        geometricAdstockInto(x, params[o], ad, rows);
      } else {
        weibullOpts.shape = params[o];
        weibullOpts.scale = params[o + 1];
        const len = weibullWeightsInto(weibullType, weibullOpts, weights);
        convolveAdstockInto(x, weights, len, ad, rows);
        sat = o + 2;
      }
      const win = adWindows[c];
      if (isHill) {
        const inflexion = hillInflexion(win, params[sat + 1], inflexionMode, 0, nW);
        result.inflexions[c] = inflexion;
        hillSaturationWithInflexionInto(win, params[sat], inflexion, mediaViews[c], 0, nW);
      } else {
        let hi = 0;
        for (let t = 0; t < nW; t++) if (win[t] > hi) hi = win[t];
        result.inflexions[c] = hi;
        logisticSaturationInto(win, params[sat], hi, mediaViews[c], 0, nW);
      }
    }
    for (let k = 0; k < nI; k++) {
      const pair = interactions[k];
      const oa = pair[0] * nW;
      const ob = pair[1] * nW;
      const ok = (nC + k) * nW;
      for (let t = 0; t < nW; t++) media[ok + t] = media[oa + t] * media[ob + t];
    }
  }

  function fillMediaSystem(): void {
    for (let k = 0; k < nM; k++) {
      const ok = k * nW;
      let m = 0;
      for (let t = 0; t < nW; t++) m += media[ok + t];
      m /= nW;
      let v = 0;
      for (let t = 0; t < nW; t++) {
        const d = media[ok + t] - m;
        zm[ok + t] = d;
        v += d * d;
      }
      const s = Math.sqrt(v / nW);
      const j = nF + k;
      mediaMean[k] = m;
      sys.sd[j] = s;
      sys.scaledMean[j] = s > 0 ? m / s : 0;
      const inv = s > 0 ? 1 / s : 0;
      for (let t = 0; t < nW; t++) zm[ok + t] *= inv;
    }
    const invN = 1 / nW;
    for (let k = 0; k < nM; k++) {
      const ok = k * nW;
      const j = nF + k;
      const rj = j * p;
      let r = 0;
      for (let t = 0; t < nW; t++) r += zm[ok + t] * yc[t];
      sys.cross[j] = r * invN;
      for (let f = 0; f < nF; f++) {
        const of = f * nW;
        let s = 0;
        for (let t = 0; t < nW; t++) s += zm[ok + t] * zf[of + t];
        s *= invN;
        sys.gram[rj + f] = s;
        sys.gram[f * p + j] = s;
      }
      for (let l = 0; l <= k; l++) {
        const ol = l * nW;
        let s = 0;
        for (let t = 0; t < nW; t++) s += zm[ok + t] * zm[ol + t];
        s *= invN;
        sys.gram[rj + nF + l] = s;
        sys.gram[(nF + l) * p + j] = s;
      }
    }
  }

  function evaluate(params: ArrayLike<number>): CandidateResult {
    transformChannels(params);
    fillMediaSystem();
    const lambda = lambdaFromHyperparameter(
      params[layout.lambdaIndex],
      context.lambdaMax,
      context.lambdaMinRatio,
    );
    result.lambda = lambda;
    if (glmnet) {
      solveRidgeSystemGlmnet(
        sys,
        glmnet,
        stats,
        lambda,
        context.intercept,
        context.interceptSign,
        glmnetOptions,
        solution,
      );
    } else {
      solveRidgeSystem(sys, stats, lambda, context.intercept, context.interceptSign, solution);
    }
    if (solution.iterations < 0) {
      result.ok = false;
      result.nrmse = Infinity;
      result.decompRssd = Infinity;
      result.rsq = -Infinity;
      result.rsqAdjusted = -Infinity;
      return result;
    }
    result.ok = true;
    result.intercept = solution.intercept;
    result.interceptDropped = solution.interceptDropped;
    result.coefficients.set(sys.beta.subarray(0, p));
    result.nrmse = Math.sqrt(solution.rssPerRow) / yRange;
    result.rsq = 1 - (solution.rssPerRow * nW) / ySst;
    const withIntercept = context.intercept && !solution.interceptDropped;
    result.rsqAdjusted = adjustedRsqFromRsq(result.rsq, nW, p, withIntercept ? 1 : 0);
    for (let k = 0; k < nPaid; k++) {
      const c = context.paid[k];
      result.effect[k] = sys.beta[nF + c] * mediaMean[c] * nW;
    }
    result.decompRssd = decompRssd(
      result.effect,
      paidSpend,
      context.rssdZeroPenalty,
      result.effectShare,
    );
    return result;
  }

  return { context, evaluate, adstocked, media };
}
