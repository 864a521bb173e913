import { createCandidateContext, createCandidateEvaluator } from '../../src/candidate';
import {
  defaultPosteriorSteps,
  defaultSelection,
  samplePosterior,
  searchMediaMix,
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
});
