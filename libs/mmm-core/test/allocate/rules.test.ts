/**
 * Rules: every returned allocation meets every rule to 1e-9 of the budget, never earns less
 * than the current mix under the same rules, and rule sets that cannot hold name the rules.
 */
import fc from 'fast-check';
import {
  allocateBudget,
  AllocationScenarioError,
  InfeasibleAllocationError,
  type AllocationScenario,
  type GroupRule,
} from '../../src/allocate';
import { handModel, type ChannelSpec } from './models';

const channelArb = fc.record({
  coefficient: fc.double({ min: 1000, max: 1e5, noNaN: true }),
  alpha: fc.double({ min: 0.5, max: 3.5, noNaN: true }),
  inflexion: fc.double({ min: 20, max: 400, noNaN: true }),
  meanSpend: fc.double({ min: 10, max: 200, noNaN: true }),
  theta: fc.double({ min: 0, max: 0.7, noNaN: true }),
});

/** arb one time in `every`, otherwise undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, every: number) =>
  fc.oneof({ arbitrary: arb, weight: 1 }, { arbitrary: fc.constant(undefined), weight: every - 1 });

const ruleArb = fc.record({
  min: sometimes(fc.double({ min: 0, max: 20, noNaN: true }), 3),
  max: sometimes(fc.double({ min: 100, max: 600, noNaN: true }), 3),
  minMultiple: sometimes(fc.double({ min: 0, max: 0.8, noNaN: true }), 2),
  maxMultiple: sometimes(fc.double({ min: 1.2, max: 4, noNaN: true }), 2),
  locked: sometimes(fc.constant(true), 8),
});

const scenarioArb = fc
  .tuple(
    fc.array(channelArb, { minLength: 2, maxLength: 6 }),
    fc.array(ruleArb, { minLength: 6, maxLength: 6 }),
    fc.double({ min: 0.5, max: 2, noNaN: true }),
    fc.constantFrom('horizon', 'steady-state', 'historical-mean' as const),
    fc.double({ min: 0, max: 0.45, noNaN: true }),
    fc.double({ min: 0.55, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 100, noNaN: true }),
    fc.boolean(),
  )
  .map(([channels, rules, scale, carryover, minShare, maxShare, competitor, nested]) => {
    const specs: ChannelSpec[] = channels.map((c, i) => ({ name: `c${i}`, ...c }));
    const current = channels.reduce((a, c) => a + c.meanSpend, 0);
    const periods = 3;
    const k = channels.length;
    // A group of the first half; a share-of-voice floor nested in it, or on the last channel.
    const group: GroupRule = {
      name: 'first',
      channels: specs.slice(0, Math.ceil(k / 2)).map((s) => s.name),
      minShare,
      maxShare,
    };
    const scenario: AllocationScenario = {
      periods,
      budget: scale * current * periods,
      carryover,
      channels: Object.fromEntries(specs.map((s, i) => [s.name, rules[i]])),
      groups: [group],
      shareOfVoice: [
        {
          name: 'parity',
          channels: nested ? [specs[0].name] : [specs[k - 1].name],
          competitorSpend: competitor,
          minShare: 0.2,
        },
      ],
    };
    return { model: handModel(specs), scenario };
  });

function checkRules(model: ReturnType<typeof handModel>, scenario: AllocationScenario) {
  const result = allocateBudget(model, scenario, { gridSteps: 300 });
  const x = result.channels.map((c) => c.recommended);
  const total = x.reduce((a, v) => a + v, 0);
  const budget =
    (scenario.budget ?? model.channels.reduce((a, c) => a + c.meanSpend, 0) * scenario.periods) /
    scenario.periods;
  const tol = 1e-9 * budget;
  expect(Math.abs(total - budget)).toBeLessThanOrEqual(tol);
  result.channels.forEach((c, i) => {
    const rule = scenario.channels?.[c.channel] ?? {};
    const current = model.channels[i].meanSpend;
    expect(c.recommended).toBeGreaterThanOrEqual(-tol);
    if (rule.min !== undefined) expect(c.recommended).toBeGreaterThanOrEqual(rule.min - tol);
    if (rule.max !== undefined) expect(c.recommended).toBeLessThanOrEqual(rule.max + tol);
    if (rule.minMultiple !== undefined) {
      expect(c.recommended).toBeGreaterThanOrEqual(rule.minMultiple * current - tol);
    }
    if (rule.maxMultiple !== undefined) {
      expect(c.recommended).toBeLessThanOrEqual(rule.maxMultiple * current + tol);
    }
    if (rule.locked) expect(Math.abs(c.recommended - current)).toBeLessThanOrEqual(tol);
  });
  const spendOf = (names: string[]) =>
    result.channels.filter((c) => names.includes(c.channel)).reduce((a, c) => a + c.recommended, 0);
  for (const g of scenario.groups ?? []) {
    const s = spendOf(g.channels);
    expect(s).toBeGreaterThanOrEqual((g.minShare ?? 0) * total - tol);
    expect(s).toBeLessThanOrEqual((g.maxShare ?? 1) * total + tol);
  }
  for (const v of scenario.shareOfVoice ?? []) {
    const s = spendOf(v.channels);
    expect(s).toBeGreaterThanOrEqual((v.minShare / (1 - v.minShare)) * v.competitorSpend - tol);
  }
  // Never below the current mix (scaled to the budget) when that mix meets the rules.
  if (result.reference.feasible) {
    expect(result.response.recommended.estimate).toBeGreaterThanOrEqual(
      result.reference.response * (1 - 1e-9),
    );
  }
  return result;
}

describe('allocation rules', () => {
  it('every allocation meets every rule to 1e-9 and never earns less than the current mix', () => {
    let feasible = 0;
    let infeasible = 0;
    const reasons: string[] = [];
    fc.assert(
      fc.property(scenarioArb, ({ model, scenario }) => {
        try {
          checkRules(model, scenario);
          feasible++;
        } catch (error) {
          if (!(error instanceof InfeasibleAllocationError)) throw error;
          reasons.push(error.message);
          // The error names rules of the scenario.
          expect(error.rules.length).toBeGreaterThan(0);
          for (const rule of error.rules) {
            expect(rule).toMatch(
              /^(budget|spend >= 0|channels\.c\d\.\w+|groups\[first\]\.\w+|shareOfVoice\[parity\])$/,
            );
          }
          infeasible++;
        }
      }),
      { numRuns: 80, seed: 5 },
    );
    // Both kinds of scenario were drawn.
    if (feasible <= 25) console.log(reasons.slice(0, 20));
    expect(feasible).toBeGreaterThan(25);
    expect(infeasible).toBeGreaterThan(0);
  });

  const specs: ChannelSpec[] = [
    { name: 'tv', coefficient: 90000, alpha: 2, inflexion: 300, meanSpend: 100, theta: 0.5 },
    { name: 'search', coefficient: 40000, alpha: 1, inflexion: 90, meanSpend: 50 },
    { name: 'social', coefficient: 30000, alpha: 0.8, inflexion: 60, meanSpend: 50 },
    { name: 'display', coefficient: 8000, alpha: 1.2, inflexion: 40, meanSpend: 20 },
  ];
  const model = handModel(specs);

  it('keeps digital between 40% and 60% of the budget and reports the binding share', () => {
    const scenario: AllocationScenario = {
      periods: 4,
      groups: [
        {
          name: 'digital',
          channels: ['search', 'social', 'display'],
          minShare: 0.4,
          maxShare: 0.6,
        },
      ],
      channels: { tv: { locked: true } },
    };
    const result = checkRules(model, scenario);
    const digital = result.channels.slice(1).reduce((a, c) => a + c.recommended, 0);
    expect(digital / 220).toBeGreaterThanOrEqual(0.4 - 1e-12);
    expect(result.channels[0]).toMatchObject({ recommended: 100, bound: 'locked' });
    expect(result.binding.map((b) => b.rule)).toEqual(
      expect.arrayContaining(['budget', 'channels.tv.locked']),
    );
  });

  it('nests a share-of-voice floor inside a group and respects both', () => {
    const result = checkRules(model, {
      periods: 2,
      groups: [{ name: 'digital', channels: ['search', 'social', 'display'], maxShare: 0.5 }],
      shareOfVoice: [
        { name: 'display parity', channels: ['display'], competitorSpend: 300, minShare: 0.25 },
      ],
    });
    // display >= 0.25/0.75 x 300 = 100 per period, digital <= 110.
    expect(result.channels[3].recommended).toBeGreaterThanOrEqual(100 - 1e-9);
    const rules = result.binding.map((b) => b.rule);
    expect(rules).toContain('shareOfVoice[display parity]');
    expect(rules).toContain('groups[digital].maxShare');
    expect(result.kkt.maxViolation).toBeLessThan(1e-9);
  });

  it('names the rules that conflict', () => {
    const run = (scenario: Partial<AllocationScenario>) => () =>
      allocateBudget(model, { periods: 4, ...scenario });
    expect(
      run({
        budget: 4 * 1000,
        channels: {
          tv: { max: 200 },
          search: { maxMultiple: 2 },
          social: { max: 100 },
          display: { max: 10 },
        },
      }),
    ).toThrow(
      new InfeasibleAllocationError(
        [
          'budget',
          'channels.tv.max',
          'channels.search.maxMultiple',
          'channels.social.max',
          'channels.display.max',
        ],
        'the total spend: the budget is 1,000 per period but at most 410 per period is allowed',
      ),
    );
    expect(run({ channels: { tv: { minMultiple: 3 } } })).toThrow(
      'rules conflict (channels.tv.minMultiple, budget): the total spend: at least 300 per period is needed but the budget is 220 per period',
    );
    expect(
      run({
        groups: [{ name: 'digital', channels: ['search', 'social'], minShare: 0.7 }],
        channels: { search: { max: 60 }, social: { max: 60 } },
      }),
    ).toThrow(
      'rules conflict (groups[digital].minShare, channels.search.max, channels.social.max)',
    );
    expect(run({ channels: { tv: { min: 50, max: 40 } } })).toThrow(
      'rules conflict (channels.tv.min, channels.tv.max): tv needs at least 50 and at most 40 per period',
    );
    expect(run({ channels: { tv: { locked: 10, min: 20 } } })).toThrow(
      'rules conflict (channels.tv.locked, channels.tv.min)',
    );
    expect(
      run({ groups: [{ name: 'g', channels: ['tv'], minShare: 0.6, maxShare: 0.5 }] }),
    ).toThrow(InfeasibleAllocationError);
    try {
      run({ channels: { tv: { minMultiple: 3 } } })();
    } catch (error) {
      expect((error as InfeasibleAllocationError).rules).toEqual([
        'channels.tv.minMultiple',
        'budget',
      ]);
    }
  });

  it('refuses bad fields with the field named', () => {
    const bad = (scenario: unknown, field: string, problem: RegExp) => {
      try {
        allocateBudget(model, scenario as AllocationScenario);
        throw new Error('no error');
      } catch (error) {
        expect(error).toBeInstanceOf(AllocationScenarioError);
        expect((error as AllocationScenarioError).field).toBe(field);
        expect((error as AllocationScenarioError).problem).toMatch(problem);
      }
    };
    bad(
      { periods: 4, channels: { radio: { max: 1 } } },
      'channels.radio',
      /no paid channel 'radio' \(paid channels: tv, search, social, display\)/,
    );
    bad({ periods: 4, budget: -5 }, 'budget', /must be >= 0, got -5/);
    bad({ periods: 4, budget: Infinity }, 'budget', /expected a finite number/);
    bad({ periods: 4, budget: NaN }, 'budget', /expected a finite number/);
    bad({ periods: 0 }, 'periods', /integer >= 1/);
    bad(
      { periods: 4, channels: { tv: { maxMultiplier: 2 } } },
      'channels.tv.maxMultiplier',
      /unknown field/,
    );
    bad({ periods: 4, channels: { tv: { max: -1 } } }, 'channels.tv.max', />= 0/);
    bad(
      { periods: 4, groups: [{ name: 'g', channels: ['tv', 'radio'] }] },
      'groups[g].channels[1]',
      /no paid channel "radio"/,
    );
    bad(
      { periods: 4, groups: [{ name: 'g', channels: ['tv'], maxShare: 1.5 }] },
      'groups[g].maxShare',
      /between 0 and 1/,
    );
    bad({ periods: 4, objective: 'max-everything' }, 'objective', /expected one of response, roi/);
    bad({ periods: 4, objective: 'target-roas' }, 'target', /needs a target > 0/);
    bad({ periods: 4, objective: 'target-cpa', target: 3 }, 'objective', /needs a conversions KPI/);
    bad({ periods: 4, target: 3 }, 'target', /only the target-roas and target-cpa/);
    bad(
      { periods: 4, shareOfVoice: [{ channels: ['tv'], competitorSpend: 10, minShare: 1 }] },
      'shareOfVoice[0].minShare',
      /below 1/,
    );
    bad(
      {
        periods: 4,
        groups: [
          { name: 'a', channels: ['tv', 'search'] },
          { name: 'b', channels: ['search', 'social'] },
        ],
      },
      'groups[b]',
      /cross those of groups\[a\] \(both have search/,
    );
  });
});
