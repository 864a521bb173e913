/**
 * Intervals for contributions and ROAS by a moving-block bootstrap of the residuals
 * (Kuensch 1989, "The jackknife and the bootstrap for general stationary observations"):
 * y* = fitted + residual blocks drawn with replacement, refit by ridge with the chosen
 * hyperparameters and lambda (the transformed media columns do not change), percentile
 * intervals re-centred on the estimate (see Interval). Blocks keep the residuals'
 * autocorrelation that a plain residual bootstrap would break; the default block length is
 * round(n^(1/3)), a common rate for block bootstraps (Hall, Horowitz and Jing 1995), at
 * least 2.
 *
 * The intervals are conditional on the chosen hyperparameters (adstock, saturation, lambda):
 * they hold those fixed, so they leave out the uncertainty of the hyperparameters and are
 * narrower than the whole uncertainty. The posterior choice (search/posterior.ts) reports the
 * spread of ROAS over the hyperparameters.
 */
import type { CandidateContext, CandidateResult } from '../candidate';
import type { KpiType } from '../model/model';
import { ridgeFit } from '../ridge';
import { SeededRandom } from '../search/random';

export interface BootstrapOptions {
  samples: number;
  blockLength?: number;
  seed?: number;
  /** Central interval probability (default 0.9: the 5th and 95th percentiles). */
  level?: number;
  kpiType?: KpiType;
}

/**
 * A re-centred percentile interval: the percentile interval shifted so that the bootstrap
 * median sits on the point estimate, lower/upper = estimate + (bootstrap quantile - bootstrap
 * median), the lower bound floored at 0. Why: refitting a ridge on fitted + residuals shrinks
 * once more, so the bootstrap distribution sits below the estimate by about the shrinkage of
 * one refit; the shift removes that offset and keeps the spread. It is neither Efron's
 * bias-corrected (BC) percentile interval, which moves the quantile levels, nor the basic
 * interval (2 x estimate - quantile), which would also correct the estimate itself for the
 * ridge's shrinkage. `median` is the raw bootstrap median, for reference.
 */
export interface Interval {
  lower: number;
  median: number;
  upper: number;
}

export interface BootstrapIntervals {
  samples: number;
  blockLength: number;
  seed: number;
  level: number;
  channels: {
    name: string;
    contribution: Interval;
    /** ROAS (revenue KPI) or CPA (conversions KPI) interval; null for organic media. */
    roas: Interval | null;
    cpa: Interval | null;
  }[];
}

export function bootstrapIntervals(
  context: CandidateContext,
  media: Float64Array,
  result: CandidateResult,
  fitted: Float64Array,
  options: BootstrapOptions,
): BootstrapIntervals {
  const { start, end } = context;
  const n = end - start;
  const baselineCount = context.baseline.length;
  const channelCount = context.channels.length;
  // The regression's media columns: the channels, then the synergy terms (if any).
  const mediaColumnCount = media.length / n;
  const samples = Math.max(1, Math.trunc(options.samples));
  const blockLength = Math.min(
    n,
    Math.max(2, Math.trunc(options.blockLength ?? Math.round(Math.cbrt(n)))),
  );
  const seed = options.seed ?? 1;
  const level = options.level ?? 0.9;
  const random = new SeededRandom(seed, 0x0b00);

  const columns: Float64Array[] = [
    ...context.baseline.map((b) => b.subarray(start, end)),
    ...Array.from({ length: mediaColumnCount }, (_, k) => media.subarray(k * n, (k + 1) * n)),
  ];
  const columnSums = columns
    .slice(baselineCount, baselineCount + channelCount)
    .map((col) => col.reduce((a, b) => a + b, 0));
  const residuals = new Float64Array(n);
  let mean = 0;
  for (let t = 0; t < n; t++) {
    residuals[t] = context.kpi[start + t] - fitted[start + t];
    mean += residuals[t];
  }
  mean /= n;
  for (let t = 0; t < n; t++) residuals[t] -= mean;

  const paidIndex = new Map<number, number>();
  context.paid.forEach((c, k) => paidIndex.set(c, k));
  const contributions = Array.from({ length: channelCount }, () => new Float64Array(samples));
  const y = new Float64Array(n);
  for (let s = 0; s < samples; s++) {
    for (let t = 0; t < n; t += blockLength) {
      const from = random.int(n - blockLength + 1);
      for (let k = 0; k < blockLength && t + k < n; k++) {
        y[t + k] = fitted[start + t + k] + residuals[from + k];
      }
    }
    const fit = ridgeFit(columns, y, {
      lambda: result.lambda,
      intercept: context.intercept,
      interceptSign: context.interceptSign,
      lower: context.coefficientLower,
      upper: context.coefficientUpper,
    });
    for (let c = 0; c < channelCount; c++) {
      contributions[c][s] = fit.coefficients[baselineCount + c] * columnSums[c];
    }
  }

  const lowP = (1 - level) / 2;
  const highP = 1 - lowP;
  const recentredPercentileInterval = (values: Float64Array, estimate: number): Interval => {
    const sorted = Float64Array.from(values).sort();
    const median = quantile(sorted, 0.5);
    return {
      lower: Math.max(0, estimate + quantile(sorted, lowP) - median),
      median,
      upper: estimate + quantile(sorted, highP) - median,
    };
  };
  return {
    samples,
    blockLength,
    seed,
    level,
    channels: context.channelNames.map((name, c) => {
      const k = paidIndex.get(c);
      const spend = k === undefined ? 0 : context.paidSpend[k];
      const estimate = result.coefficients[baselineCount + c] * columnSums[c];
      const contribution = recentredPercentileInterval(contributions[c], estimate);
      const paid = k !== undefined && spend > 0;
      const roas = paid
        ? recentredPercentileInterval(
            contributions[c].map((v) => v / spend),
            estimate / spend,
          )
        : null;
      // CPA = spend / contribution is decreasing in contribution: the bounds swap.
      const cpa =
        paid && contribution.lower > 0
          ? {
              lower: spend / contribution.upper,
              median: contribution.median > 0 ? spend / contribution.median : Infinity,
              upper: spend / contribution.lower,
            }
          : null;
      return { name, contribution, roas, cpa };
    }),
  };
}

/** R's default (type 7) quantile of sorted values. */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
