import {
  allocateBudget,
  AllocationScenarioError,
  allocationIntervals,
  efficientFrontier,
  evaluateAllocation,
  InfeasibleAllocationError,
} from '../../src/allocate';
import type { MediaMixModel } from '../../src/model';
import { handModel, type ChannelSpec } from './models';

const specs: ChannelSpec[] = [
  { name: 'tv', coefficient: 60000, alpha: 2.4, inflexion: 250, meanSpend: 100, theta: 0.6 },
  { name: 'search', coefficient: 30000, alpha: 1, inflexion: 80, meanSpend: 60, theta: 0.1 },
  { name: 'social', coefficient: 20000, alpha: 1.6, inflexion: 70, meanSpend: 50, theta: 0.3 },
];
const model = handModel(specs);

describe('efficient frontier', () => {
  it('gives for each budget what allocateBudget gives, in one call', () => {
    const scenario = { periods: 8, defaultChannelRule: { maxMultiple: 4 } };
    const budgets = Array.from({ length: 50 }, (_, i) => 8 * (60 + 12 * i));
    const frontier = efficientFrontier(model, scenario, budgets);
    expect(frontier).toHaveLength(50);
    for (const i of [0, 7, 23, 49]) {
      const single = allocateBudget(model, { ...scenario, budget: budgets[i] });
      expect(frontier[i].budget).toBe(budgets[i]);
      expect(frontier[i].response).toBeCloseTo(single.response.recommended.estimate, 6);
      for (const c of single.channels)
        expect(frontier[i].spend[c.channel]).toBeCloseTo(c.recommended, 4);
    }
    // More budget never earns less.
    for (let i = 1; i < 50; i++)
      expect(frontier[i].response).toBeGreaterThanOrEqual(frontier[i - 1].response);
  });

  it('reports the marginal ROAS of the last unit of budget on concave curves', () => {
    const concave = handModel(specs.map((s) => ({ ...s, alpha: 0.9 })));
    const budgets = [800, 800 * 1.0001, 1600, 1600 * 1.0001];
    const [a, b, c, d] = efficientFrontier(concave, { periods: 8 }, budgets);
    expect(a.method).toBe('kkt');
    const rel = (x: number, y: number) => Math.abs(x - y) / y;
    expect(rel(a.marginalRoas!, (b.response - a.response) / (b.budget - a.budget))).toBeLessThan(
      1e-4,
    );
    expect(rel(c.marginalRoas!, (d.response - c.response) / (d.budget - c.budget))).toBeLessThan(
      1e-4,
    );
    expect(c.marginalRoas!).toBeLessThan(a.marginalRoas!);
  });

  it('names the budget below what the rules need', () => {
    expect(() =>
      efficientFrontier(model, { periods: 2, channels: { tv: { min: 100 } } }, [100, 1000]),
    ).toThrow(InfeasibleAllocationError);
    expect(() => efficientFrontier(model, { periods: 2 }, [100, -1])).toThrow(
      new AllocationScenarioError('budgets[1]', 'must be a finite number >= 0, got -1'),
    );
  });
});

describe('intervals over model draws', () => {
  // Draws with every coefficient scaled: every response scales with it exactly, so the
  // intervals are known quantiles of the scales.
  const scaled = (k: number): MediaMixModel => ({
    ...model,
    channels: model.channels.map((c) => ({ ...c, coefficient: c.coefficient * k })),
  });
  const factors = Array.from({ length: 21 }, (_, i) => 0.8 + 0.02 * i);
  const draws = factors.map(scaled);

  it('gives the central interval of a fixed plan over the draws', () => {
    const plan = { tv: 80, search: 90, social: 40 };
    const settings = { periods: 6 };
    const main = evaluateAllocation(model, settings, plan);
    const current = evaluateAllocation(model, settings, {});
    const iv = allocationIntervals(model, draws, settings, plan, undefined, 0.9);
    expect(iv.draws).toBe(21);
    expect(iv.response.recommended.estimate).toBeCloseTo(main.response, 9);
    // Quantiles 5% and 95% of 0.80, 0.82, ..., 1.20: 0.82 and 1.18.
    expect(iv.response.recommended.lower).toBeCloseTo(0.82 * main.response, 6);
    expect(iv.response.recommended.upper).toBeCloseTo(1.18 * main.response, 6);
    const lift = main.response - current.response;
    expect(iv.response.lift.estimate).toBeCloseTo(lift, 9);
    expect(iv.response.lift.lower).toBeCloseTo(Math.min(0.82 * lift, 1.18 * lift), 6);
    // The expected KPI moves by the media part only (the baseline is the same in every draw).
    const mediaShift = (k: number) =>
      (k - 1) *
      (main.expectedKpi -
        evaluateAllocation(
          { ...model, channels: model.channels.map((c) => ({ ...c, coefficient: 0 })) },
          settings,
          plan,
        ).expectedKpi);
    expect(iv.expectedKpi.recommended.lower).toBeCloseTo(main.expectedKpi + mediaShift(0.82), 4);
    // No draws: no interval.
    const none = allocationIntervals(model, [], settings, plan);
    expect(none.response.recommended).toEqual({
      estimate: main.response,
      lower: null,
      upper: null,
    });
  });

  it('attaches the intervals to an allocation', () => {
    const result = allocateBudget(model, { periods: 6 }, { draws, intervalLevel: 0.5 });
    expect(result.draws).toBe(21);
    const r = result.response.recommended;
    expect(r.lower!).toBeLessThan(r.estimate);
    expect(r.upper!).toBeGreaterThan(r.estimate);
    expect(r.lower).toBeCloseTo(0.9 * r.estimate, 6);
    expect(result.response.lift.lower).toBeCloseTo(0.9 * result.response.lift.estimate, 6);
    const missing = { ...model, channels: model.channels.slice(1) };
    expect(() => allocateBudget(model, { periods: 6 }, { draws: [missing] })).toThrow(
      new AllocationScenarioError(
        'draws[0]',
        "has no paid channel 'tv' (draws must share the model's channels)",
      ),
    );
  });
});

describe('models with synergy terms', () => {
  it('allocates on each channel curve, says so, and forecasts the synergy in the expected KPI', () => {
    const withSynergy: MediaMixModel = {
      ...model,
      interactions: [{ a: 'tv', b: 'search', coefficient: 50000 }],
    };
    const plain = allocateBudget(model, { periods: 4 });
    const result = allocateBudget(withSynergy, { periods: 4 });
    // The same split: synergy is not part of the allocation.
    result.channels.forEach((c, i) =>
      expect(c.recommended).toBeCloseTo(plain.channels[i].recommended, 9),
    );
    expect(result.notes.join(' ')).toContain('synergy terms');
    // The expected KPI includes it: more than without it, by a positive synergy.
    expect(result.expectedKpi.recommended.estimate).toBeGreaterThan(
      plain.expectedKpi.recommended.estimate,
    );
  });
});
