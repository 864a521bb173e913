import { AttributionOptionError, attributeJourneys } from '../../src';
import { byChannel, journeyTable } from './journeys';

/*
 * Worked example (touchpoints on days 0, 1, 2, ... of the journey unless `days` says otherwise):
 *   j1: A(0) B(1) C(2)  converted, value 90
 *   j2: B(0) A(3)       converted, value 30
 *   j3: C(0)            converted, value 10
 *   j4: A(0) C(1)       did not convert (credits nothing under every rule)
 * Observed: 3 conversions, value 130.
 */
const table = journeyTable([
  { id: 'j1', path: ['A', 'B', 'C'], converted: true, value: 90 },
  { id: 'j2', path: ['B', 'A'], days: [0, 3], converted: true, value: 30 },
  { id: 'j3', path: ['C'], converted: true, value: 10 },
  { id: 'j4', path: ['A', 'C'], converted: false },
]);

function credit(method: string, options = {}) {
  const run = attributeJourneys(table, [method], options);
  const [result] = run.results;
  return {
    conversions: byChannel(run.channels, result.conversions),
    value: byChannel(run.channels, result.value),
  };
}

function expectCredit(
  actual: ReturnType<typeof credit>,
  conversions: Record<string, number>,
  value: Record<string, number>,
) {
  for (const [c, v] of Object.entries(conversions))
    expect(actual.conversions[c]).toBeCloseTo(v, 12);
  for (const [c, v] of Object.entries(value)) expect(actual.value[c]).toBeCloseTo(v, 10);
}

describe('rule-based attribution on the worked example', () => {
  it('last touch gives each conversion to the last touchpoint: j1 -> C, j2 -> A, j3 -> C', () => {
    expectCredit(credit('last_touch'), { A: 1, B: 0, C: 2 }, { A: 30, B: 0, C: 100 });
  });

  it('first touch gives each conversion to the first touchpoint: j1 -> A, j2 -> B, j3 -> C', () => {
    expectCredit(credit('first_touch'), { A: 1, B: 1, C: 1 }, { A: 90, B: 30, C: 10 });
  });

  it('linear splits each conversion equally: A = 1/3 + 1/2, B = 1/3 + 1/2, C = 1/3 + 1', () => {
    expectCredit(
      credit('linear'),
      { A: 5 / 6, B: 5 / 6, C: 4 / 3 },
      { A: 30 + 15, B: 30 + 15, C: 30 + 10 },
    );
  });

  it('time decay weighs 2^(-(t_last - t)/half-life), normalised per journey', () => {
    // Half-life 1 day. j1: weights 1/4, 1/2, 1 (sum 7/4) -> A 1/7, B 2/7, C 4/7.
    // j2: B is 3 days before A: weights 1/8, 1 (sum 9/8) -> B 1/9, A 8/9. j3: C 1.
    // A = 1/7 + 8/9 = 65/63, B = 2/7 + 1/9 = 25/63, C = 4/7 + 1 = 99/63.
    // Value: A = 90/7 + 30*8/9, B = 90*2/7 + 30/9, C = 90*4/7 + 10.
    expectCredit(
      credit('time_decay', { halfLifeDays: 1 }),
      { A: 65 / 63, B: 25 / 63, C: 99 / 63 },
      { A: 90 / 7 + 240 / 9, B: 180 / 7 + 30 / 9, C: 360 / 7 + 10 },
    );
  });

  it('time decay with the default half-life of 7 days', () => {
    // j1: weights 2^(-2/7), 2^(-1/7), 1; j2: 2^(-3/7), 1.
    const w1 = [2 ** (-2 / 7), 2 ** (-1 / 7), 1];
    const s1 = w1[0] + w1[1] + w1[2];
    const w2 = [2 ** (-3 / 7), 1];
    const s2 = w2[0] + w2[1];
    expectCredit(
      credit('time_decay'),
      { A: w1[0] / s1 + w2[1] / s2, B: w1[1] / s1 + w2[0] / s2, C: w1[2] / s1 + 1 },
      {},
    );
  });

  it('position-based gives 40/20/40 on three touches, halves on two, all on one', () => {
    // j1: A .4, B .2, C .4; j2: B .5, A .5; j3: C 1.
    expectCredit(
      credit('position_based'),
      { A: 0.9, B: 0.7, C: 1.4 },
      { A: 36 + 15, B: 18 + 15, C: 36 + 10 },
    );
  });

  it('position-based takes other first/last weights and splits the rest over the middle', () => {
    const long = journeyTable([
      { id: 'x', path: ['A', 'B', 'C', 'D'], converted: true, value: 100 },
      { id: 'y', path: ['D', 'A'], converted: true, value: 10 },
    ]);
    const run = attributeJourneys(long, ['position_based'], { firstWeight: 0.3, lastWeight: 0.5 });
    // x: A .3, B .1, C .1, D .5; y (two touches): D .5, A .5 whatever the weights.
    expect(byChannel(run.channels, run.results[0].conversions)).toEqual({
      A: 0.8,
      B: expect.closeTo(0.1, 12),
      C: expect.closeTo(0.1, 12),
      D: 1,
    });
    expect(byChannel(run.channels, run.results[0].value)).toEqual({
      A: 35,
      B: expect.closeTo(10, 10),
      C: expect.closeTo(10, 10),
      D: 55,
    });
  });
});

describe('lookback window', () => {
  it('drops touchpoints more than windowDays before the last touchpoint of their journey', () => {
    // Window 1.5 days: j1 keeps B(1) C(2), j2 keeps A(3) only, j3 keeps C.
    expectCredit(credit('first_touch', { windowDays: 1.5 }), { A: 1, B: 1, C: 1 }, {});
    expectCredit(credit('linear', { windowDays: 1.5 }), { A: 1, B: 0.5, C: 1.5 }, {});
    const run = attributeJourneys(table, ['linear'], { windowDays: 1.5 });
    // 8 touchpoints, of which j1's A and j2's B fall out (j4: A(0) C(1) stays).
    expect(run.totals).toEqual({ journeys: 4, touchpoints: 6, conversions: 3, value: 130 });
  });

  it('keeps a touchpoint exactly windowDays before the last', () => {
    // j2's B is 3 days before A: in at 3 days, out at 2; j1 keeps A (exactly 2 days) at 2.
    expectCredit(credit('first_touch', { windowDays: 3 }), { A: 1, B: 1, C: 1 }, {});
    expectCredit(credit('first_touch', { windowDays: 2 }), { A: 2, B: 0, C: 1 }, {});
  });

  it('refuses a window longer than the data, naming the option', () => {
    // The touchpoints span days 0 .. 3 of January 2024.
    expect(() => attributeJourneys(table, ['linear'], { windowDays: 3.5 })).toThrow(
      new AttributionOptionError(
        'windowDays',
        '3.5 days is longer than the data (the touchpoints span 3 days, 2024-01-01T00:00:00.000Z .. 2024-01-04T00:00:00.000Z)',
      ),
    );
    expect(attributeJourneys(table, ['linear'], { windowDays: 3 }).totals.touchpoints).toBe(8);
  });
});

describe('options', () => {
  it('refuses unknown methods and bad option values, naming each', () => {
    const fails = (methods: string[], options: object) => {
      try {
        attributeJourneys(table, methods, options);
      } catch (error) {
        return [(error as AttributionOptionError).option, (error as Error).message];
      }
      return null;
    };
    expect(fails(['linear', 'u_shaped'], {})).toEqual([
      'methods',
      "methods: unknown method 'u_shaped'",
    ]);
    expect(fails([], {})).toEqual(['methods', 'methods: name at least one']);
    expect(fails(['time_decay'], { halfLifeDays: 0 })).toEqual([
      'halfLifeDays',
      'halfLifeDays: must be above 0',
    ]);
    expect(fails(['position_based'], { firstWeight: 0.7, lastWeight: 0.4 })).toEqual([
      'lastWeight',
      'lastWeight: firstWeight + lastWeight must be at most 1, got 0.7 + 0.4',
    ]);
    expect(fails(['markov'], { markovOrder: 1.5 })).toEqual([
      'markovOrder',
      'markovOrder: must be an integer, got 1.5',
    ]);
    expect(fails(['markov'], { nonConverting: 'drop' })).toEqual([
      'nonConverting',
      "nonConverting: must be 'include' or 'exclude', got 'drop'",
    ]);
    expect(fails(['linear'], {})).toBeNull();
  });

  it('resolves every default once and reports them with the run', () => {
    expect(attributeJourneys(table, ['linear']).settings).toEqual({
      windowDays: null,
      nonConverting: 'include',
      halfLifeDays: 7,
      firstWeight: 0.4,
      lastWeight: 0.4,
      markovOrder: 1,
      shapleyWorth: 'conversion_rate',
      shapleyExactMaxChannels: 15,
      shapleySamples: 1000,
      seed: 1,
    });
  });

  it('runs each method once, in the order asked', () => {
    const run = attributeJourneys(table, ['shapley', 'linear', 'shapley', 'last_touch']);
    expect(run.results.map((r) => r.method)).toEqual(['shapley', 'linear', 'last_touch']);
  });
});
