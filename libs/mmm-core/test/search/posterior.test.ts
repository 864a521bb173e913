import { createCandidateContext, createCandidateEvaluator } from '../../src/candidate';
import {
  defaultPosteriorSteps,
  defaultSelection,
  posteriorChainTasks,
  resolvePosteriorSettings,
  runPosteriorChain,
  samplePosterior,
  searchMediaMix,
  summarisePosterior,
  type SearchProgress,
} from '../../src/search';
import { smallMediaMix } from '../outputs/fixture';

describe('posterior model choice', () => {
  const { input, truth } = smallMediaMix(5);
  const context = createCandidateContext(input);
  const { layout } = context;

  it('samples reproducibly, inside the bounds, with ROAS intervals around the median', () => {
    const options = { chains: 2, steps: 600, seed: 4 };
    const a = samplePosterior(context, [truth], options);
    const b = samplePosterior(context, [truth], options);
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(a.draws).toBe(2 * (300 / 5));
    expect(a.acceptance).toBeGreaterThan(0.05);
    expect(a.acceptance).toBeLessThan(0.6);
    for (let j = 0; j < layout.size; j++) {
      expect(a.mean[j]).toBeGreaterThanOrEqual(layout.lower[j]);
      expect(a.mean[j]).toBeLessThanOrEqual(layout.upper[j]);
    }
    // Lambda is held at the start candidate's.
    expect(a.mean[layout.lambdaIndex]).toBe(truth[layout.lambdaIndex]);
    expect(a.roas).toHaveLength(context.paid.length);
    for (const r of a.roas) {
      expect(r.lower).toBeLessThanOrEqual(r.median);
      expect(r.median).toBeLessThanOrEqual(r.upper);
    }
  });

  it('a stronger prior pulls the posterior mean towards the middle of the bounds', () => {
    const offCentre = (k: number) => {
      const s = samplePosterior(context, [truth], { chains: 2, steps: 800, priorStrength: k });
      let sum = 0;
      for (let j = 0; j < layout.lambdaIndex; j++) {
        const span = layout.upper[j] - layout.lower[j];
        sum += Math.abs((s.mean[j] - layout.lower[j]) / span - 0.5);
      }
      return sum / layout.lambdaIndex;
    };
    expect(offCentre(50)).toBeLessThan(offCentre(0));
    expect(offCentre(50)).toBeLessThan(0.1);
  });

  it('is the default without lift tests, best-fit with them, and refuses to mix them', async () => {
    expect(defaultSelection()).toBe('posterior');
    expect(defaultSelection([{ channel: 'tv', start: 0, end: 3, lift: 1 }])).toBe('best-fit');
    expect(defaultPosteriorSteps(600)).toBe(1000);
    expect(defaultPosteriorSteps(10_000)).toBe(2500);
    expect(defaultPosteriorSteps(1e6)).toBe(10_000);
    const result = await searchMediaMix(input, { iterations: 300, trials: 2, seed: 2, workers: 0 });
    expect(result.selection).toBe('posterior');
    expect(result.posterior!.steps).toBe(1000);
    expect(Array.from(result.chosenParameters)).toEqual(Array.from(result.posterior!.mean));
    const nrmse = createCandidateEvaluator(context).evaluate(result.chosenParameters).nrmse;
    expect(result.chosenObjectives[0]).toBeCloseTo(nrmse, 12);
    await expect(
      searchMediaMix(input, {
        iterations: 100,
        trials: 1,
        workers: 0,
        selection: 'posterior',
        liftTests: [{ channel: 'tv', start: 0, end: 3, lift: 1 }],
      }),
    ).rejects.toThrow("selection 'posterior' does not take lift tests; use 'best-fit' or 'knee'");
  });

  it('gives the same summary whatever order the independent chains run in', () => {
    const settings = resolvePosteriorSettings({ chains: 3, steps: 300, seed: 6 });
    const starts = [
      truth,
      Float64Array.from(layout.lower.map((lo, j) => (lo + layout.upper[j]) / 2)),
    ];
    const tasks = posteriorChainTasks(layout, starts, settings);
    const reversed = tasks
      .slice()
      .reverse()
      .map((task) => ({ chain: task.chain, result: runPosteriorChain(context, task) }))
      .sort((a, b) => a.chain - b.chain)
      .map((c) => c.result);
    const steps: number[] = [];
    const serial = samplePosterior(context, starts, settings, (done, total) => {
      expect(total).toBe(900);
      steps.push(done);
    });
    expect(summarisePosterior(layout, settings, truth[layout.lambdaIndex], reversed)).toEqual(
      serial,
    );
    expect(steps[steps.length - 1]).toBe(900);
    expect(steps).toEqual(steps.slice().sort((a, b) => a - b));
  });

  it('runs the chains on 0, 1 or 3 workers with identical results and reports their progress', async () => {
    const run = async (workers: number) => {
      const progress: SearchProgress[] = [];
      const result = await searchMediaMix(input, {
        iterations: 200,
        trials: 2,
        seed: 7,
        workers,
        posterior: { chains: 3, steps: 400 },
        onProgress: (p) => progress.push(p),
      });
      return { result, progress };
    };
    const serial = await run(0);
    const { result, progress } = serial;
    // The chosen model is the posterior mean; `chosen` stays the start candidate's index.
    expect(result.posteriorStart).not.toBeNull();
    expect(result.chosen).toBe(result.posteriorStart);
    let best = Infinity;
    for (let i = 0; i < result.count; i++) best = Math.min(best, result.objectives[i * 2]);
    expect(result.objectives[result.posteriorStart! * 2]).toBe(best);
    const sampler = progress.filter((p) => p.phase === 'posterior');
    expect(progress.filter((p) => p.phase === 'search')).toHaveLength(
      progress.length - sampler.length,
    );
    expect(sampler.length).toBeGreaterThanOrEqual(3);
    expect(sampler[sampler.length - 1]).toMatchObject({ step: 1200, steps: 1200, evaluated: 400 });
    for (let i = 1; i < sampler.length; i++) {
      expect(sampler[i].step!).toBeGreaterThanOrEqual(sampler[i - 1].step!);
    }
    for (const workers of [1, 3]) {
      const pooled = await run(workers);
      expect(pooled.result.settings.workers).toBe(workers);
      expect(pooled.result.posterior).toEqual(result.posterior);
      expect(Array.from(pooled.result.chosenParameters)).toEqual(
        Array.from(result.chosenParameters),
      );
      expect(pooled.result.chosenObjectives).toEqual(result.chosenObjectives);
      const last = pooled.progress[pooled.progress.length - 1];
      expect(last).toMatchObject({ phase: 'posterior', step: 1200, steps: 1200 });
    }
  });

  it('leaves posteriorStart null and chosen on the front under a front rule', async () => {
    const result = await searchMediaMix(input, {
      iterations: 200,
      trials: 1,
      workers: 0,
      selection: 'knee',
    });
    expect(result.posteriorStart).toBeNull();
    expect(result.paretoFront).toContain(result.chosen);
  });
});
