/**
 * The model's draws and the intervals over them: what the fit does not know, combined.
 *
 * Three parts of the uncertainty, drawn in layers (the composition method of Bayesian
 * computation: draw the hyperparameters from their marginal posterior, then the parameters
 * from their conditional given them; Gelman et al., Bayesian Data Analysis, 3rd ed., 2013,
 * sections 3.2 and 5.3):
 *
 * 1. adstock, saturation (and the chains' lambda): draw i takes a hyperparameter vector h_i
 *    from the posterior chains (search/posterior.ts), evenly spaced over the kept draws;
 * 2. the regression coefficients given h_i, and
 * 3. the noise: one moving-block bootstrap of h_i's own residuals (Kuensch 1989), refitted by
 *    the same ridge with h_i's columns. The draw's coefficients are
 *      beta_i = beta(h_i) + [ridge(yhat_i + e*) - ridge(yhat_i)],
 *    the estimate at h_i moved by what a new noise draw alone changes (the ridge is linear in
 *    y, so the bracket has mean zero and no second shrinkage, unlike a refit of yhat + e*),
 *    clamped to the coefficient bounds (media >= 0). The residuals are scaled by
 *    sqrt(n / (n - p)) so that their spread is that of the noise and not of a fit's residuals
 *    (Davison and Hinkley 1997, Bootstrap Methods and their Application, section 6.2.3). The
 *    residuals carry the noise level of that draw, so the noise sd's own uncertainty comes
 *    along.
 *
 * Why this and not one of its parts: with every channel's hyperparameters free the fit is
 * unsure mostly of where each channel's curve bends and how long its carryover lasts; a
 * bootstrap at fixed hyperparameters leaves that out (about 2 in 3 intervals held the truth),
 * and the posterior's refits alone leave out the coefficients' noise given the curves (about
 * 4 in 5 on seeds 1-3). Meridian and PyMC-Marketing sample both jointly by MCMC; here the
 * hyperparameters' chains already run, and a coefficient draw given them costs one small
 * ridge solve, so the whole set costs a few hundred candidate evaluations (docs/BENCHMARKS.md).
 * Intervals are equal-tailed quantiles of the draws (R's type 7).
 */
import {
  createCandidateContext,
  createCandidateEvaluator,
  type CandidateContextInput,
} from '../candidate';
import type {
  ChannelDrawIntervals,
  DrawInterval,
  MediaMixModel,
  ModelDraws,
  ModelUncertainty,
} from '../model/model';
import { modelAtDraw } from '../model/draws';
import { responseCurve } from '../model/predict';
import { ridgeFit } from '../ridge';
import { SeededRandom } from '../search/random';

export interface ModelDrawOptions {
  /**
   * Hyperparameter vectors to draw from (count x layout size, layout order), e.g. the
   * posterior's kept draws. Without them every draw is at the chosen hyperparameters: the
   * intervals are then conditional on them (method 'bootstrap').
   */
  hyperparameters?: Float64Array;
  /** Draws to make and keep in the model (default 200; 0 = none). */
  draws?: number;
  /** Central interval probability (default 0.9). */
  level?: number;
  /** Default 1. */
  seed?: number;
  /** Bootstrap block length (default round(n^(1/3)), at least 2). */
  blockLength?: number;
}

export const MODEL_DRAW_DEFAULTS = { draws: 200, level: 0.9 };

/** Central interval and median of values; null when any value is not finite. */
export function drawInterval(values: ArrayLike<number>, level: number): DrawInterval | null {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0 || !sorted.every(Number.isFinite)) return null;
  const low = (1 - level) / 2;
  return {
    lower: quantile(sorted, low),
    median: quantile(sorted, 0.5),
    upper: quantile(sorted, 1 - low),
  };
}

/**
 * The model's draws and its per-channel intervals over them. `model` is the fitted model of
 * `input` at `chosen` (buildFittedModel); `input`'s window must start at row 0.
 */
export function drawModelUncertainty(
  input: CandidateContextInput,
  model: MediaMixModel,
  chosen: ArrayLike<number>,
  options: ModelDrawOptions = {},
): Pick<ModelUncertainty, 'combined' | 'draws' | 'level'> | null {
  const count = Math.max(0, Math.trunc(options.draws ?? MODEL_DRAW_DEFAULTS.draws));
  if (count === 0) return null;
  const level = options.level ?? MODEL_DRAW_DEFAULTS.level;
  const context = createCandidateContext(input);
  const evaluator = createCandidateEvaluator(context);
  const { layout, start, end } = context;
  const n = end - start;
  const d = layout.size;
  const baselineCount = context.baseline.length;
  const channelCount = context.channels.length;
  const blockLength = Math.min(
    n,
    Math.max(2, Math.trunc(options.blockLength ?? Math.round(Math.cbrt(n)))),
  );
  const random = new SeededRandom(options.seed ?? 1, 0x0d4a);
  const pool = options.hyperparameters;
  const poolSize = pool ? Math.floor(pool.length / d) : 0;
  const genome = new Float64Array(d);
  const pick = (i: number): Float64Array => {
    if (poolSize === 0) {
      for (let j = 0; j < d; j++) genome[j] = chosen[j];
    } else {
      // Evenly spaced over the chains' draws, so every chain gives its share.
      const at = Math.min(poolSize - 1, Math.floor(((i + 0.5) * poolSize) / count));
      genome.set(pool!.subarray(at * d, at * d + d));
    }
    return genome;
  };

  const ridgeOptions = (lambda: number) => ({
    lambda,
    intercept: context.intercept,
    interceptSign: context.interceptSign,
    lower: context.coefficientLower,
    upper: context.coefficientUpper,
  });
  const coefficientCount = context.coefficientNames.length;
  // Spread of the noise, not of a fit's residuals (Davison and Hinkley 1997, 6.2.3).
  const inflate = Math.sqrt(n / Math.max(1, n - coefficientCount - 1));
  const geometric = context.adstock === 'geometric';
  const hill = context.saturation === 'hill';
  const draws: ModelDraws = {
    count,
    intercept: [],
    baseline: Array.from({ length: baselineCount }, () => []),
    channels: context.channelNames.map(() => ({
      coefficient: [],
      adstock: geometric ? { theta: [] } : { shape: [], scale: [] },
      saturation: hill ? { alpha: [], gamma: [], inflexion: [] } : { lam: [], scale: [] },
    })),
    interactions: context.interactions.map(() => []),
  };
  const contributions = Array.from({ length: channelCount }, () => new Float64Array(count));
  const fitted = new Float64Array(n);
  const residuals = new Float64Array(n);
  const resampled = new Float64Array(n);
  for (let i = 0; i < count; i++) {
    const g = pick(i);
    let result = evaluator.evaluate(g);
    if (!result.ok) {
      // A drawn vector the ridge cannot solve (not seen in practice): the chosen one instead.
      for (let j = 0; j < d; j++) genome[j] = chosen[j];
      result = evaluator.evaluate(genome);
    }
    const mediaColumns = evaluator.media.length / n;
    const columns: Float64Array[] = [
      ...context.baseline.map((b) => b.subarray(start, end)),
      ...Array.from({ length: mediaColumns }, (_, k) => evaluator.media.slice(k * n, (k + 1) * n)),
    ];
    fitted.fill(result.intercept);
    for (let j = 0; j < columns.length; j++) {
      const b = result.coefficients[j];
      if (b === 0) continue;
      const col = columns[j];
      for (let t = 0; t < n; t++) fitted[t] += b * col[t];
    }
    let mean = 0;
    for (let t = 0; t < n; t++) {
      residuals[t] = context.kpi[start + t] - fitted[t];
      mean += residuals[t];
    }
    mean /= n;
    for (let t = 0; t < n; t++) residuals[t] = (residuals[t] - mean) * inflate;
    for (let t = 0; t < n; t += blockLength) {
      const from = random.int(n - blockLength + 1);
      for (let k = 0; k < blockLength && t + k < n; k++) {
        resampled[t + k] = fitted[t + k] + residuals[from + k];
      }
    }
    const options = ridgeOptions(result.lambda);
    const noisy = ridgeFit(columns, resampled, options);
    const clean = ridgeFit(columns, fitted, options);
    const coefficient = (j: number): number =>
      Math.min(
        context.coefficientUpper[j],
        Math.max(
          context.coefficientLower[j],
          result.coefficients[j] + noisy.coefficients[j] - clean.coefficients[j],
        ),
      );
    draws.intercept.push(kept(result.intercept + noisy.intercept - clean.intercept));
    for (let j = 0; j < baselineCount; j++) draws.baseline[j].push(kept(coefficient(j)));
    for (let c = 0; c < channelCount; c++) {
      const beta = kept(coefficient(baselineCount + c));
      const channel = draws.channels[c];
      channel.coefficient.push(beta);
      const first = layout.channelOffset[c];
      if (geometric) channel.adstock.theta!.push(kept(g[first]));
      else {
        channel.adstock.shape!.push(kept(g[first]));
        channel.adstock.scale!.push(kept(g[first + 1]));
      }
      const at = geometric ? first + 1 : first + 2;
      if (hill) {
        channel.saturation.alpha!.push(kept(g[at]));
        channel.saturation.gamma!.push(kept(g[at + 1]));
        channel.saturation.inflexion!.push(kept(result.inflexions[c]));
      } else {
        channel.saturation.lam!.push(kept(g[at]));
        channel.saturation.scale!.push(kept(result.inflexions[c]));
      }
      let sum = 0;
      const col = columns[baselineCount + c];
      for (let t = 0; t < n; t++) sum += col[t];
      contributions[c][i] = beta * sum;
    }
    for (let k = 0; k < context.interactions.length; k++) {
      draws.interactions[k].push(kept(coefficient(baselineCount + channelCount + k)));
    }
  }

  // Per draw, the figures the fit reports at its estimate.
  const withDraws: MediaMixModel = { ...model, uncertainty: { level, draws } };
  const paid = new Map<number, number>();
  context.paid.forEach((c, k) => paid.set(c, k));
  const paidTotal = new Float64Array(count);
  for (const c of context.paid) {
    for (let i = 0; i < count; i++) paidTotal[i] += contributions[c][i];
  }
  const marginal = Array.from({ length: channelCount }, () => new Float64Array(count));
  for (let i = 0; i < count; i++) {
    const drawn = modelAtDraw(withDraws, i);
    drawn.channels.forEach((channel, c) => {
      if (channel.kind !== 'paid' || !(channel.meanSpend > 0)) return;
      marginal[c][i] = responseCurve(drawn, channel.name, [channel.meanSpend])[0].marginal;
    });
  }
  const channels: ChannelDrawIntervals[] = context.channelNames.map((name, c) => {
    const k = paid.get(c);
    const spend = k === undefined ? 0 : context.paidSpend[k];
    const contribution = contributions[c];
    const isPaid = k !== undefined && spend > 0;
    return {
      name,
      contribution: drawInterval(contribution, level),
      roas: isPaid
        ? drawInterval(
            contribution.map((v) => v / spend),
            level,
          )
        : null,
      cpa: isPaid
        ? drawInterval(
            contribution.map((v) => spend / v),
            level,
          )
        : null,
      marginalRoas:
        isPaid && model.channels[c].meanSpend > 0 ? drawInterval(marginal[c], level) : null,
      effectShare:
        k !== undefined
          ? drawInterval(
              contribution.map((v, i) => v / paidTotal[i]),
              level,
            )
          : null,
    };
  });
  return {
    level,
    combined: {
      method: poolSize > 0 ? 'posterior-bootstrap' : 'bootstrap',
      draws: count,
      channels,
    },
    draws,
  };
}

/**
 * A drawn value as the model keeps it: 7 significant digits, far finer than any draw's spread,
 * and about half the JSON of a double's 17. The figures are computed from the kept values, so
 * a reloaded model's draws give the same intervals.
 */
function kept(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(7));
}

/** R's default (type 7) quantile of sorted values. */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
