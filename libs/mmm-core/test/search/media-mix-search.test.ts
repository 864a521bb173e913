import { createCandidateContext, createCandidateEvaluator } from '../../src/candidate';
import {
  chooseOnFront,
  createMediaMixObjectives,
  searchMediaMix,
  type SearchProgress,
} from '../../src/search';
import { smallMediaMix } from '../outputs/fixture';

describe('media mix search', () => {
  const { input, truth } = smallMediaMix(5);

  it('scores a genome with the candidate evaluator NRMSE and DECOMP.RSSD', () => {
    const objectives = createMediaMixObjectives({ input });
    const out = new Float64Array(2);
    objectives.evaluateInto(truth, 1, out);
    const r = createCandidateEvaluator(createCandidateContext(input)).evaluate(truth);
    expect(out[0]).toBe(r.nrmse);
    expect(out[1]).toBe(r.decompRssd);
  });

  it('scores MAPE.LIFT as the relative miss of the modelled contribution over the test periods', () => {
    const context = createCandidateContext(input);
    const evaluator = createCandidateEvaluator(context);
    const r = evaluator.evaluate(truth);
    const n = context.end - context.start;
    const beta = r.coefficients[context.baseline.length + 1];
    let modelled = 0;
    for (let t = 10; t <= 17; t++) modelled += beta * evaluator.media[1 * n + t];
    const objectives = createMediaMixObjectives({
      input,
      liftTests: [
        { channel: 'search', start: 10, end: 17, lift: modelled * 1.25 },
        { channel: 'search', start: 10, end: 17, lift: modelled },
      ],
    });
    const out = new Float64Array(3);
    objectives.evaluateInto(truth, 1, out);
    expect(out[2]).toBeCloseTo((0.2 + 0) / 2, 10);
  });

  it('refuses lift tests on unknown channels or outside the fitted rows', () => {
    const windowed = { ...input, window: { start: 0, end: 90 } };
    expect(() =>
      createMediaMixObjectives({
        input,
        liftTests: [{ channel: 'radio', start: 0, end: 3, lift: 1 }],
      }),
    ).toThrow("lift test 0: unknown channel 'radio'");
    expect(() =>
      createMediaMixObjectives({
        input: windowed,
        liftTests: [{ channel: 'tv', start: 85, end: 95, lift: 1 }],
      }),
    ).toThrow('lift test 0: periods 85..95 are outside the fitted rows 0..89');
  });

  it('finds a fit close to the true hyperparameters and reports progress', async () => {
    const progress: SearchProgress[] = [];
    const result = await searchMediaMix(input, {
      iterations: 600,
      trials: 2,
      seed: 3,
      workers: 0,
      onProgress: (p) => progress.push(p),
    });
    expect(result.count).toBe(1200);
    expect(result.parameters.length).toBe(1200 * result.layout.size);
    expect(result.objectiveNames).toEqual(['nrmse', 'decompRssd']);
    const truthNrmse = createCandidateEvaluator(createCandidateContext(input)).evaluate(
      truth,
    ).nrmse;
    let best = Infinity;
    for (let i = 0; i < result.count; i++) best = Math.min(best, result.objectives[i * 2]);
    expect(best).toBeLessThan(truthNrmse * 1.05);
    expect(result.paretoFront).toContain(result.chosen);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ trial: 1, iteration: 600, evaluated: 1200, total: 1200 });
    expect(last.best[0]).toBeLessThan(progress[1].best[0] + 1e-12);
  });

  it('chooses on the front by the knee, by fit, or by the knee within an NRMSE tolerance', () => {
    // Front: (nrmse, rssd) = (0.10, 0.9), (0.11, 0.3), (0.20, 0.1).
    const objectives = Float64Array.from([0.1, 0.9, 0.11, 0.3, 0.2, 0.1]);
    const front = [0, 1, 2];
    expect(chooseOnFront(objectives, 2, front, 'knee')).toBe(1);
    expect(chooseOnFront(objectives, 2, front, 'best-fit')).toBe(0);
    expect(chooseOnFront(objectives, 2, front, { nrmseTolerance: 0.05 })).toBe(0);
    expect(chooseOnFront(objectives, 2, front, { nrmseTolerance: 1 })).toBe(1);
  });
});
