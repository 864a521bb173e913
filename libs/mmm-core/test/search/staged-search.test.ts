import {
  chooseModel,
  completeSearch,
  mergeTrialCandidates,
  planEvaluator,
  planMediaMixSearch,
  runChains,
  searchMediaMix,
  searchTrials,
  type MediaMixSearchOptions,
} from '../../src/search';
import { smallMediaMix } from '../outputs/fixture';

// The search in stages run apart (as the modeling service spreads one search over several
// machines) must give exactly the one-run search.
describe('a search run in stages', () => {
  const { input } = smallMediaMix(5);
  const options: MediaMixSearchOptions = { iterations: 60, trials: 3, seed: 11, workers: 0 };

  it('gives the one-run result from trial ranges and chains run apart, in any order', async () => {
    const whole = await searchMediaMix(input, options);

    const plan = planMediaMixSearch(input, options);
    const evaluator = await planEvaluator(plan, 0);
    // Out of order, as sub-jobs finish on different workers.
    const parts = [
      await searchTrials(plan, evaluator, { from: 2, to: 3 }),
      await searchTrials(plan, evaluator, { from: 0, to: 2 }),
    ];
    const candidates = mergeTrialCandidates(parts);
    const choice = chooseModel(plan, candidates);
    expect(choice.posterior?.tasks).toHaveLength(4);
    const tasks = choice.posterior?.tasks ?? [];
    const chains = [
      ...(await runChains(plan, evaluator, tasks.slice(0, 1))),
      ...(await runChains(plan, evaluator, tasks.slice(1))),
    ];
    const staged = completeSearch(plan, candidates, choice, chains, { seconds: 1, workers: 0 });

    expect(staged.parameters).toEqual(whole.parameters);
    expect(staged.objectives).toEqual(whole.objectives);
    expect(staged.trial).toEqual(whole.trial);
    expect(staged.paretoFront).toEqual(whole.paretoFront);
    expect(staged.chosenParameters).toEqual(whole.chosenParameters);
    expect(staged.chosenObjectives).toEqual(whole.chosenObjectives);
    expect(staged.posterior?.roas).toEqual(whole.posterior?.roas);
  });

  it('gives the same trials on worker threads as in this thread', async () => {
    const plan = planMediaMixSearch(input, options);
    const serial = await searchTrials(plan, await planEvaluator(plan, 0), { from: 1, to: 2 });
    const pool = await planEvaluator(plan, 2);
    try {
      const pooled = await searchTrials(plan, pool, { from: 1, to: 2 });
      expect(pooled.parameters).toEqual(serial.parameters);
      expect(pooled.objectives).toEqual(serial.objectives);
      expect(Array.from(new Set(pooled.trial))).toEqual([1]);
    } finally {
      await pool.close();
    }
  });

  it('refuses candidates that do not cover every trial once', async () => {
    const plan = planMediaMixSearch(input, options);
    const evaluator = await planEvaluator(plan, 0);
    const first = await searchTrials(plan, evaluator, { from: 0, to: 1 });
    const last = await searchTrials(plan, evaluator, { from: 2, to: 3 });
    expect(() => mergeTrialCandidates([first, last])).toThrow(
      'trial candidates do not cover trial 1 (next range starts at 2)',
    );
    expect(() => mergeTrialCandidates([first])).toThrow('trial candidates end at trial 1 of 3');
    await expect(searchTrials(plan, evaluator, { from: 2, to: 4 })).rejects.toThrow(
      'trials [2, 4) are not within 0..3',
    );
  });

  it('needs every chain of the posterior to complete', async () => {
    const plan = planMediaMixSearch(input, options);
    const evaluator = await planEvaluator(plan, 0);
    const candidates = await searchTrials(plan, evaluator);
    const choice = chooseModel(plan, candidates);
    const one = await runChains(plan, evaluator, choice.posterior?.tasks.slice(0, 1) ?? []);
    expect(() => completeSearch(plan, candidates, choice, one, { seconds: 1, workers: 0 })).toThrow(
      'the posterior needs its 4 chains, got 1',
    );
  });
});
