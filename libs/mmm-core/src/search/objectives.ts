/**
 * The search's objectives for a media mix candidate, built on the per-candidate evaluator:
 * NRMSE and DECOMP.RSSD (Robyn's pair, R/R/model.R), plus MAPE.LIFT when lift tests are
 * given. Loaded by each search worker (as compiled JS) from a cloneable context.
 */
import {
  createCandidateContext,
  createCandidateEvaluator,
  type CandidateContextInput,
} from '../candidate';
import type { GenomeObjectives } from './evaluator';

/**
 * A lift (incrementality) test: the measured incremental KPI of one channel over periods
 * [start, end] (row indices of the table, inclusive; inside the fitted window).
 */
export interface LiftTest {
  channel: string;
  start: number;
  end: number;
  lift: number;
}

export interface MediaMixObjectivesContext {
  input: CandidateContextInput;
  liftTests?: LiftTest[];
}

export const OBJECTIVE_NAMES = ['nrmse', 'decompRssd', 'mapeLift'] as const;

/** Checks lift tests against the table; throws with the test's index on a problem. */
export function resolveLiftTests(
  tests: readonly LiftTest[],
  channelNames: readonly string[],
  window: { start: number; end: number },
): { channel: number; start: number; end: number; lift: number }[] {
  return tests.map((test, i) => {
    const channel = channelNames.indexOf(test.channel);
    if (channel < 0) throw new RangeError(`lift test ${i}: unknown channel '${test.channel}'`);
    if (!(Number.isInteger(test.start) && Number.isInteger(test.end) && test.start <= test.end)) {
      throw new RangeError(`lift test ${i}: start and end must be integer periods, start <= end`);
    }
    if (test.start < window.start || test.end >= window.end) {
      throw new RangeError(
        `lift test ${i}: periods ${test.start}..${test.end} are outside the fitted rows ${window.start}..${window.end - 1}`,
      );
    }
    if (!(Number.isFinite(test.lift) && test.lift !== 0)) {
      throw new RangeError(`lift test ${i}: lift must be a non-zero number`);
    }
    return { channel, start: test.start, end: test.end, lift: test.lift };
  });
}

/**
 * Objectives per genome (the candidate layout of createParameterLayout): NRMSE,
 * DECOMP.RSSD and, with lift tests, MAPE.LIFT = mean over tests of
 * |predicted - measured| / |measured|, where predicted is the channel's modelled
 * contribution (coefficient x saturated adstocked spend) summed over the test's periods
 * (Robyn's calibration_scope "total", R/R/calibration.R). Failed fits score Infinity.
 */
export function createMediaMixObjectives(context: MediaMixObjectivesContext): GenomeObjectives {
  const candidateContext = createCandidateContext(context.input);
  const evaluator = createCandidateEvaluator(candidateContext);
  const { start, end, layout } = candidateContext;
  const windowLength = end - start;
  const lifts = resolveLiftTests(context.liftTests ?? [], candidateContext.channelNames, {
    start,
    end,
  });
  const baselineCount = candidateContext.baseline.length;
  const d = layout.size;
  const m = lifts.length > 0 ? 3 : 2;
  return {
    dimension: d,
    objectiveCount: m,
    evaluateInto(genomes, count, out) {
      for (let i = 0; i < count; i++) {
        const r = evaluator.evaluate(genomes.subarray(i * d, i * d + d));
        const o = i * m;
        if (!r.ok) {
          out.fill(Infinity, o, o + m);
          continue;
        }
        out[o] = r.nrmse;
        out[o + 1] = r.decompRssd;
        if (m === 3) {
          let sum = 0;
          for (const test of lifts) {
            const beta = r.coefficients[baselineCount + test.channel];
            const column = evaluator.media.subarray(
              test.channel * windowLength,
              (test.channel + 1) * windowLength,
            );
            let predicted = 0;
            for (let t = test.start; t <= test.end; t++) predicted += column[t - start];
            predicted *= beta;
            sum += Math.abs((predicted - test.lift) / test.lift);
          }
          out[o + 2] = sum / lifts.length;
        }
      }
    },
  };
}
