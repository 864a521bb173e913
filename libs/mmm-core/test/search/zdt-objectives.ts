/**
 * ZDT1 (Zitzler, Deb and Thiele 2000), a test problem with a known convex Pareto front
 * f2 = 1 - sqrt(f1) at x2..xd = 0. Exported as an objectives factory so that the worker pool
 * can load it from dist/test/search/zdt-objectives.js.
 */
import type { GenomeObjectives } from '../../src/search/evaluator';

export function createZdt1Objectives(context: { dimension: number }): GenomeObjectives {
  const d = context.dimension;
  return {
    dimension: d,
    objectiveCount: 2,
    evaluateInto(genomes, count, out) {
      for (let i = 0; i < count; i++) {
        const x = genomes.subarray(i * d, i * d + d);
        let sum = 0;
        for (let j = 1; j < d; j++) sum += x[j];
        const g = 1 + (9 * sum) / (d - 1);
        out[i * 2] = x[0];
        out[i * 2 + 1] = g * (1 - Math.sqrt(x[0] / g));
      }
    },
  };
}
