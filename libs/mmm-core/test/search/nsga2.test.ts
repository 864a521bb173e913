import * as path from 'node:path';
import {
  crowdingDistance,
  fastNonDominatedSort,
  kneeIndex,
  paretoFrontIndices,
} from '../../src/search/nsga2';
import { runNsga2 } from '../../src/search/nsga2-search';
import { createWorkerPool, serialEvaluator } from '../../src/search/evaluator';
import { SeededRandom } from '../../src/search/random';
import { createZdt1Objectives } from './zdt-objectives';

const zdtModule = path.resolve(__dirname, '../../dist/test/search/zdt-objectives.js');

function box(d: number): { lower: Float64Array; upper: Float64Array } {
  return { lower: new Float64Array(d), upper: new Float64Array(d).fill(1) };
}

describe('seeded random', () => {
  it('repeats its stream for the same seed and differs across streams', () => {
    const a = new SeededRandom(7, 0);
    const b = new SeededRandom(7, 0);
    const c = new SeededRandom(7, 1);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniforms with mean one half and normals with unit variance', () => {
    const r = new SeededRandom(1);
    let s = 0;
    let q = 0;
    for (let i = 0; i < 20000; i++) s += r.next();
    for (let i = 0; i < 20000; i++) q += r.normal() ** 2;
    expect(s / 20000).toBeCloseTo(0.5, 1);
    expect(q / 20000).toBeCloseTo(1, 1);
  });
});

describe('NSGA-II operators', () => {
  // Five points on two objectives: 0, 1, 2 are mutually non-dominated; 3 is dominated by 1;
  // 4 by everything.
  const objectives = Float64Array.from([0, 3, 1, 1, 3, 0, 2, 2, 5, 5]);

  it('sorts candidates into non-dominated fronts', () => {
    expect(fastNonDominatedSort(objectives, 2, [0, 1, 2, 3, 4])).toEqual([[0, 1, 2], [3], [4]]);
  });

  it('gives the extremes of a front an infinite crowding distance', () => {
    const d = crowdingDistance(objectives, 2, [0, 1, 2]);
    expect(d[0]).toBe(Infinity);
    expect(d[2]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(2, 12);
  });

  it('finds the same first front by the fast sweep', () => {
    expect(paretoFrontIndices(objectives, 2, 5)).toEqual([0, 1, 2]);
  });

  it('treats a NaN objective as worse than any number', () => {
    const o = Float64Array.from([NaN, 1, 1, 1]);
    expect(paretoFrontIndices(o, 2, 2)).toEqual([1]);
  });

  it('chooses the knee closest to the utopia point on normalised objectives', () => {
    expect(kneeIndex(objectives, 2, [0, 1, 2])).toBe(1);
  });
});

describe('NSGA-II search', () => {
  it('converges to the ZDT1 front', async () => {
    const d = 10;
    const { lower, upper } = box(d);
    const result = await runNsga2(
      lower,
      upper,
      serialEvaluator(createZdt1Objectives({ dimension: d })),
      {
        iterations: 4000,
        trials: 1,
        seed: 3,
        populationSize: 40,
      },
    );
    expect(result.genomes.length).toBe(4000 * d);
    // Distance of front members to the true front f2 = 1 - sqrt(f1).
    let worst = 0;
    for (const i of result.paretoFront) {
      const f1 = result.objectives[i * 2];
      const f2 = result.objectives[i * 2 + 1];
      worst = Math.max(worst, f2 - (1 - Math.sqrt(f1)));
    }
    expect(result.paretoFront.length).toBeGreaterThan(20);
    expect(worst).toBeLessThan(0.05);
  });

  it('is reproducible for a seed and reports progress per trial', async () => {
    const d = 6;
    const { lower, upper } = box(d);
    const run = (seed: number, progress?: number[][]) =>
      runNsga2(lower, upper, serialEvaluator(createZdt1Objectives({ dimension: d })), {
        iterations: 105,
        trials: 2,
        seed,
        populationSize: 20,
        onProgress: (p) => progress?.push([p.trial, p.iteration, p.evaluated]),
      });
    const progress: number[][] = [];
    const a = await run(11, progress);
    const b = await run(11);
    const c = await run(12);
    expect(Array.from(a.objectives)).toEqual(Array.from(b.objectives));
    expect(Array.from(a.objectives)).not.toEqual(Array.from(c.objectives));
    expect(a.settings.generations).toBe(6);
    expect(progress[0]).toEqual([0, 20, 40]);
    expect(progress[progress.length - 1]).toEqual([1, 105, 210]);
    expect(Array.from(a.trial.subarray(100, 110))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('gives the same candidates on a pool of worker threads as in one thread', async () => {
    const d = 8;
    const { lower, upper } = box(d);
    const options = { iterations: 200, trials: 3, seed: 5, populationSize: 20 };
    const serial = await runNsga2(
      lower,
      upper,
      serialEvaluator(createZdt1Objectives({ dimension: d })),
      options,
    );
    const pool = await createWorkerPool(
      { module: zdtModule, factory: 'createZdt1Objectives' },
      { dimension: d },
      3,
    );
    try {
      const parallel = await runNsga2(lower, upper, pool, options);
      expect(Array.from(parallel.genomes)).toEqual(Array.from(serial.genomes));
      expect(Array.from(parallel.objectives)).toEqual(Array.from(serial.objectives));
      expect(parallel.chosen).toBe(serial.chosen);
    } finally {
      await pool.close();
    }
  });

  it('reports a missing factory as an error from the pool', async () => {
    await expect(
      createWorkerPool({ module: zdtModule, factory: 'noSuchFactory' }, {}, 1),
    ).rejects.toThrow('does not export noSuchFactory');
  });
});
