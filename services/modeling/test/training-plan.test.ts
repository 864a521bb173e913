import { planTasks, resolveTrainingSettings } from '../src';

const settings = (fields: Parameters<typeof resolveTrainingSettings>[0]) =>
  resolveTrainingSettings(fields);

describe('how a job is cut into parts', () => {
  it('keeps a search whole when it would not give two parts of trials', () => {
    const policy = { shardCandidates: 20_000, chainsPerTask: 2 };
    expect(planTasks('job_a', settings({}), policy)).toEqual([
      [{ id: 'job_a-fit', kind: 'fit', from: 0, to: 0, work: 10_000 + 4 * 2_500 }],
    ]);
    // 4,000 x 5 = 20,000: five trials fit in one part, so no split.
    expect(planTasks('job_a', settings({ iterations: 4000 }), policy)).toHaveLength(1);
    expect(planTasks('job_a', settings({}), { ...policy, shardCandidates: 0 })).toHaveLength(1);
  });

  it('cuts a large search into trial ranges, chain ranges and a finishing part', () => {
    const phases = planTasks('job_b', settings({ iterations: 10_000, trials: 10 }), {
      shardCandidates: 20_000,
      chainsPerTask: 3,
    });
    expect(phases.map((p) => p.map((t) => `${t.kind}:${t.from}-${t.to}`))).toEqual([
      ['trials:0-2', 'trials:2-4', 'trials:4-6', 'trials:6-8', 'trials:8-10'],
      ['chains:0-3', 'chains:3-4'],
      ['finish:0-0'],
    ]);
    expect(phases[0].reduce((sum, t) => sum + t.work, 0)).toBe(100_000);
    // Ids are the job's and the range's: a redelivered job finds the parts it already did.
    expect(phases[1][0].id).toBe('job_b-chains-0-3');
  });

  it('has no posterior phase when the model is chosen on the front', () => {
    const phases = planTasks('job_c', settings({ trials: 4, selection: 'knee' }), {
      shardCandidates: 2000,
      chainsPerTask: 2,
    });
    expect(phases.map((p) => p[0].kind)).toEqual(['trials', 'finish']);
  });
});
