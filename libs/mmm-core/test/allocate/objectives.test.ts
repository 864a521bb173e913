/**
 * The objectives besides response: ROI under a ceiling, and the largest spend that meets a
 * total or marginal ROAS (CPA) target; checked against closed forms and the frontier.
 */
import {
  allocateBudget,
  efficientFrontier,
  InfeasibleAllocationError,
  type AllocationScenario,
} from '../../src/allocate';
import { handModel, type ChannelSpec } from './models';

const concave: ChannelSpec[] = [
  { name: 'a', coefficient: 8000, alpha: 1, inflexion: 120, meanSpend: 100, carryoverMean: 10 },
  { name: 'b', coefficient: 5000, alpha: 1, inflexion: 40, meanSpend: 60 },
  { name: 'c', coefficient: 3000, alpha: 1, inflexion: 300, meanSpend: 90 },
];
const sShaped: ChannelSpec[] = [
  { name: 'a', coefficient: 8000, alpha: 2.5, inflexion: 120, meanSpend: 100 },
  { name: 'b', coefficient: 5000, alpha: 1.7, inflexion: 40, meanSpend: 60 },
  { name: 'c', coefficient: 3000, alpha: 3, inflexion: 150, meanSpend: 90 },
];
const rules: AllocationScenario = {
  periods: 4,
  carryover: 'historical-mean',
  defaultChannelRule: { minMultiple: 0.2, maxMultiple: 3 },
};
const budgets = (lo: number, hi: number, k: number) =>
  Array.from({ length: k + 1 }, (_, i) => lo + ((hi - lo) * i) / k);

describe.each([
  ['concave', concave],
  ['S-shaped', sShaped],
])('objectives on %s curves', (_, specs) => {
  const model = handModel(specs);
  const ceiling = 4 * 600;
  const frontier = efficientFrontier(model, rules, budgets(4 * 50, ceiling, 400), {
    gridSteps: 400,
  });

  it('roi: no budget on the frontier has a better ROAS', () => {
    const result = allocateBudget(model, { ...rules, objective: 'roi', budget: ceiling });
    const best = Math.max(...frontier.map((p) => p.roas ?? 0));
    expect(result.roas.recommended!).toBeGreaterThanOrEqual(best * (1 - 1e-9));
    expect(result.spend.recommended).toBeLessThanOrEqual(ceiling * (1 + 1e-12));
    // It is the frontier's best point, to the frontier's resolution.
    const at = frontier.reduce((a, p) => ((p.roas ?? 0) > (a.roas ?? 0) ? p : a));
    expect(Math.abs(result.spend.recommended - at.budget)).toBeLessThan(
      (2 * (ceiling - 200)) / 400,
    );
  });

  it('target-roas: the largest spend whose ROAS meets the target', () => {
    const roi = allocateBudget(model, { ...rules, objective: 'roi', budget: ceiling });
    const target = 0.8 * roi.roas.recommended!;
    const result = allocateBudget(model, {
      ...rules,
      objective: 'target-roas',
      target,
      budget: ceiling,
    });
    expect(result.roas.recommended!).toBeCloseTo(target, 6);
    expect(result.spend.recommended).toBeGreaterThan(roi.spend.recommended);
    // A little more budget, spent at its best, falls below the target.
    const [more] = efficientFrontier(model, rules, [result.spend.recommended * 1.001]);
    expect(more.roas!).toBeLessThan(target);
    expect(result.binding.map((b) => b.rule)).not.toContain('budget');
  });

  it('target-roas spends the ceiling when the target holds there', () => {
    const result = allocateBudget(model, {
      ...rules,
      objective: 'target-roas',
      target: 0.01,
      budget: 4 * 300,
    });
    expect(result.spend.recommended).toBeCloseTo(4 * 300, 6);
    expect(result.binding[0]).toMatchObject({ rule: 'budget', kind: 'budget' });
  });

  it('refuses a target no spend meets, naming the best there is', () => {
    const roi = allocateBudget(model, { ...rules, objective: 'roi', budget: ceiling });
    const run = () =>
      allocateBudget(model, {
        ...rules,
        objective: 'target-roas',
        target: 2 * roi.roas.recommended!,
        budget: ceiling,
      });
    expect(run).toThrow(InfeasibleAllocationError);
    expect(run).toThrow(/no spend meets the ROAS target .*: the highest ROAS the rules allow is/);
  });

  it('target-cpa on a conversions model is target-roas with the inverse', () => {
    const conversions = handModel(specs, { kpiType: 'conversions' });
    const roi = allocateBudget(conversions, { ...rules, objective: 'roi', budget: ceiling });
    const cpa = 1.25 / roi.roas.recommended!;
    const result = allocateBudget(conversions, {
      ...rules,
      objective: 'target-cpa',
      target: cpa,
      budget: ceiling,
    });
    const spent = result.spend.recommended;
    expect(spent / result.response.recommended.estimate).toBeCloseTo(cpa, 6);
    const asRoas = allocateBudget(model, {
      ...rules,
      objective: 'target-roas',
      target: 1 / cpa,
      budget: ceiling,
    });
    expect(spent).toBeCloseTo(asRoas.spend.recommended, 6);
    expect(result.channels[0].cpa).toBeCloseTo(
      (4 * result.channels[0].recommended) / result.channels[0].response.recommended,
      9,
    );
  });
});

describe('marginal targets', () => {
  it('matches the closed form: every channel spends until its marginal ROAS is the target', () => {
    // R'(x) = N b I / (x + c + I)^2 = N T  =>  x = sqrt(b I / T) - I - c.
    const model = handModel(concave);
    const target = 2;
    const result = allocateBudget(model, {
      periods: 4,
      carryover: 'historical-mean',
      objective: 'target-roas',
      targetOn: 'marginal',
      target,
      budget: 1e6,
    });
    result.channels.forEach((c, i) => {
      const s = concave[i];
      const expected =
        Math.sqrt((s.coefficient * s.inflexion) / target) - s.inflexion - (s.carryoverMean ?? 0);
      expect(c.recommended).toBeCloseTo(expected, 6);
      expect(c.marginalRoas).toBeCloseTo(target, 9);
    });
    expect(result.marginalRoas).toBeCloseTo(target, 9);
  });

  it('on S-shaped curves stops where the frontier slope falls below the target', () => {
    const model = handModel(sShaped);
    // The slope falls from 26 to 7.5 by 420 per period, jumps to 16 when c passes its take-off,
    // and falls to 9 near 575: the answer is the last crossing, not the first.
    const target = 9;
    const result = allocateBudget(model, {
      ...rules,
      objective: 'target-roas',
      targetOn: 'marginal',
      target,
      budget: 4 * 650,
    });
    expect(result.spend.recommended / 4).toBeGreaterThan(560);
    expect(result.spend.recommended / 4).toBeLessThan(590);
    const at = result.spend.recommended;
    const slope = (a: number, b: number) => {
      const [p, q] = efficientFrontier(model, rules, [a, b]);
      return (q.response - p.response) / (q.budget - p.budget);
    };
    // Just below the answer the frontier still returns the target; just above, less (the
    // slope may jump down there, where a channel reaches a bound).
    expect(slope(at * 0.995, at * 0.9995)).toBeGreaterThan(target * 0.999);
    expect(slope(at * 1.0005, at * 1.005)).toBeLessThan(target * 1.001);
  });
});

describe('budget ceiling', () => {
  it('spends what the rules allow when that is below the ceiling', () => {
    const model = handModel(concave);
    const result = allocateBudget(model, {
      periods: 2,
      carryover: 'historical-mean',
      budget: 2 * 10000,
      budgetMode: 'ceiling',
      defaultChannelRule: { maxMultiple: 2 },
    });
    expect(result.spend.recommended).toBeCloseTo(2 * 2 * 250, 9);
    expect(result.channels.every((c) => c.bound === 'upper')).toBe(true);
    expect(result.binding.map((b) => b.rule)).not.toContain('budget');
    expect(() =>
      allocateBudget(model, {
        periods: 2,
        carryover: 'historical-mean',
        budget: 2 * 10000,
        defaultChannelRule: { maxMultiple: 2 },
      }),
    ).toThrow(/rules conflict \(budget, defaultChannelRule.maxMultiple\)/);
  });
});
