import fc from 'fast-check';
import { attributeJourneys, type AttributionResult, type JourneyTable } from '../../src';
import { byChannel, journeyTable, repeat, type JourneySpec } from './journeys';

function shapley(table: JourneyTable, options = {}) {
  const run = attributeJourneys(table, ['shapley'], options);
  const result = run.results[0] as Extract<AttributionResult, { method: 'shapley' }>;
  return {
    ...result,
    credit: byChannel(run.channels, result.conversions),
    value: byChannel(run.channels, result.value),
  };
}

/*
 * Worked example, 3 channels. Journeys by the set of channels they touched:
 *   {A}: 4 journeys, 1 converted (value 40)      {C}: 2 journeys, none converted
 *   {B}: 2 journeys, 1 converted (value 20)      {A,C}: 2 journeys, 1 converted (value 60)
 *   {A,B}: 4 journeys, 2 converted (10 and 30)   {A,B,C}: 2 journeys, 2 converted (5 and 15)
 * 16 journeys, 7 conversions, value 180.
 *
 * Worth 'conversion_rate': v(S) = conversions / journeys over the journeys whose channels all
 * lie in S:
 *   v(A) = 1/4, v(B) = 1/2, v(C) = 0/2 = 0, v(AB) = (1+1+2)/(4+2+4) = 2/5,
 *   v(AC) = (1+0+1)/(4+2+2) = 1/4, v(BC) = (1+0)/(2+2) = 1/4, v(ABC) = 7/16.
 * phi_i = sum over S without i of |S|!(2-|S|)!/3! (v(S+i) - v(S)), weights 1/3, 1/6, 1/6, 1/3:
 *   phi_A = 1/3 (1/4) + 1/6 (2/5 - 1/2) + 1/6 (1/4 - 0) + 1/3 (7/16 - 1/4)
 *         = 1/12 - 1/60 + 1/24 + 1/16 = 41/240
 *   phi_B = 1/3 (1/2) + 1/6 (2/5 - 1/4) + 1/6 (1/4 - 0) + 1/3 (7/16 - 1/4)
 *         = 1/6 + 1/40 + 1/24 + 1/16 = 71/240
 *   phi_C = 1/3 (0) + 1/6 (1/4 - 1/4) + 1/6 (1/4 - 1/2) + 1/3 (7/16 - 2/5)
 *         = 0 + 0 - 1/24 + 1/80 = -7/240
 *   sum = 105/240 = 7/16 = v(ABC). Credit = phi / (7/16) x 7 = 16 phi:
 *   A = 41/15, B = 71/15, C = -7/15 (C's journeys convert less than the others: negative).
 * The value game (value per journey): vv(A) = 10, vv(B) = 10, vv(C) = 0, vv(AB) = 100/10 = 10,
 *   vv(AC) = 100/8 = 12.5, vv(BC) = 20/4 = 5, vv(ABC) = 180/16 = 11.25;
 *   phiv_A = 10/3 + 0 + 12.5/6 + 6.25/3 = 7.5, phiv_B = 10/3 + 0 + 5/6 - 1.25/3 = 3.75,
 *   phiv_C = 0 + 2.5/6 - 5/6 + 1.25/3 = 0. Value credit = phiv x 180/11.25 = 16 phiv:
 *   A = 120, B = 60, C = 0.
 *
 * Worth 'conversions' (Zhao et al. 2018): each conversion split equally over its distinct
 * channels: A = 1 + 2/2 + 1/2 + 2/3 = 19/6, B = 1 + 2/2 + 2/3 = 8/3, C = 1/2 + 2/3 = 7/6;
 * value: A = 40 + 40/2 + 60/2 + 20/3, B = 20 + 40/2 + 20/3, C = 60/2 + 20/3.
 */
const worked: JourneySpec[] = [
  { id: 'a1', path: ['A'], converted: true, value: 40 },
  ...repeat(3, 'a-', { path: ['A'], converted: false }),
  { id: 'b1', path: ['B'], converted: true, value: 20 },
  { id: 'b2', path: ['B'], converted: false },
  { id: 'ab1', path: ['A', 'B'], converted: true, value: 10 },
  { id: 'ab2', path: ['B', 'A', 'B'], converted: true, value: 30 },
  ...repeat(2, 'ab-', { path: ['A', 'B'], converted: false }),
  ...repeat(2, 'c-', { path: ['C'], converted: false }),
  { id: 'ac1', path: ['C', 'A'], converted: true, value: 60 },
  { id: 'ac2', path: ['A', 'C', 'C'], converted: false },
  { id: 'abc1', path: ['A', 'B', 'C'], converted: true, value: 5 },
  { id: 'abc2', path: ['C', 'B', 'A'], converted: true, value: 15 },
];

describe('Shapley value', () => {
  const table = journeyTable(worked);

  it('solves the 3-channel worked example (conversion-rate worth) exactly', () => {
    const s = shapley(table);
    expect(s).toMatchObject({ worth: 'conversion_rate', exact: true, players: 3, samples: null });
    expect(s.standardError).toBeNull();
    expect(s.credit).toEqual({
      A: expect.closeTo(41 / 15, 13),
      B: expect.closeTo(71 / 15, 13),
      C: expect.closeTo(-7 / 15, 13),
    });
    expect(s.value).toEqual({
      A: expect.closeTo(120, 11),
      B: expect.closeTo(60, 11),
      C: expect.closeTo(0, 11),
    });
  });

  it("solves it under Zhao et al.'s conversions worth (the simplified formula)", () => {
    const s = shapley(table, { shapleyWorth: 'conversions' });
    expect(s.worth).toBe('conversions');
    expect(s.credit).toEqual({
      A: expect.closeTo(19 / 6, 13),
      B: expect.closeTo(8 / 3, 13),
      C: expect.closeTo(7 / 6, 13),
    });
    expect(s.value).toEqual({
      A: expect.closeTo(90 + 20 / 3, 11),
      B: expect.closeTo(40 + 20 / 3, 11),
      C: expect.closeTo(30 + 20 / 3, 11),
    });
  });

  it('without the journeys that did not convert, the rate worth is 1 where a conversion lies', () => {
    // v(S) = 1 if a converted journey lies in S: v(A) = v(B) = 1, v(C) = 0, v(AB) = v(AC) =
    // v(BC) = v(ABC) = 1. phi_A = 1/3 + 0 + 1/6 + 0 = 1/2 = phi_B, phi_C = 0: A = B = 3.5.
    const s = shapley(table, { nonConverting: 'exclude' });
    expect(s.credit).toEqual({
      A: expect.closeTo(3.5, 13),
      B: expect.closeTo(3.5, 13),
      C: expect.closeTo(0, 13),
    });
  });

  it('matches the definition over every order of the players (random tables, both worths)', () => {
    const journey = fc.record({
      path: fc.array(fc.constantFrom('p', 'q', 'r', 's'), { minLength: 1, maxLength: 4 }),
      converted: fc.boolean(),
      value: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(
        fc.array(journey, { minLength: 1, maxLength: 25 }),
        fc.constantFrom('conversion_rate' as const, 'conversions' as const),
        (journeys, worth) => {
          const specs = journeys.map((j, k) => ({ ...j, id: `j${k}` }));
          const t = journeyTable(specs);
          const s = shapley(t, { shapleyWorth: worth });
          const players = t.channels;
          const sets = specs.map((j) => new Set(j.path));
          const v = (S: Set<string>, amount: (j: (typeof specs)[number]) => number) => {
            let n = 0;
            let sum = 0;
            specs.forEach((j, k) => {
              if ([...sets[k]].every((c) => S.has(c))) {
                n++;
                sum += j.converted ? amount(j) : 0;
              }
            });
            return worth === 'conversions' ? sum : n > 0 ? sum / n : 0;
          };
          // Mean marginal contribution over all n! orders.
          const orders = permutations(players);
          const phi = (amount: (j: (typeof specs)[number]) => number) => {
            const total = new Map(players.map((p) => [p, 0]));
            for (const order of orders) {
              const S = new Set<string>();
              let before = 0;
              for (const p of order) {
                S.add(p);
                const after = v(S, amount);
                total.set(p, (total.get(p) as number) + after - before);
                before = after;
              }
            }
            return players.map((p) => (total.get(p) as number) / orders.length);
          };
          const scale = (values: number[], observed: number) => {
            const sum = values.reduce((a, b) => a + b, 0);
            return values.map((x) => (sum !== 0 ? (x * observed) / sum : 0));
          };
          const conversions = specs.filter((j) => j.converted).length;
          const value = specs.reduce((a, j) => a + (j.converted ? j.value : 0), 0);
          const expected = scale(
            phi(() => 1),
            conversions,
          );
          const expectedValue = scale(
            phi((j) => j.value),
            value,
          );
          players.forEach((p, k) => {
            expect(s.credit[p]).toBeCloseTo(expected[k], 8);
            expect(s.value[p]).toBeCloseTo(expectedValue[k], 6);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('samples permutations beyond exactShapleyMaxChannels, seeded, and says so', () => {
    const exact = shapley(table);
    const sampled = shapley(table, { shapleyExactMaxChannels: 2, shapleySamples: 4000, seed: 3 });
    expect(sampled).toMatchObject({ exact: false, players: 3, samples: 4000 });
    const se = byChannel(['A', 'B', 'C'], sampled.standardError as Float64Array);
    for (const c of ['A', 'B', 'C']) {
      expect(se[c]).toBeGreaterThan(0);
      expect(Math.abs(sampled.credit[c] - exact.credit[c])).toBeLessThan(4 * se[c]);
    }
    // Every order's marginal contributions add up to v(N): the sampled credit still conserves.
    const sum = Object.values(sampled.credit).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(7, 10);
    const again = shapley(table, { shapleyExactMaxChannels: 2, shapleySamples: 4000, seed: 3 });
    expect(again.credit).toEqual(sampled.credit);
    const other = shapley(table, { shapleyExactMaxChannels: 2, shapleySamples: 4000, seed: 4 });
    expect(other.credit).not.toEqual(sampled.credit);
  });

  it('is exact at 15 channels by default and samples at 16', () => {
    const names = (n: number) => Array.from({ length: n }, (_, k) => `c${k + 10}`);
    const wide = (n: number) =>
      journeyTable(
        names(n).flatMap((c, k) => [
          { id: `x${k}`, path: [c], converted: k % 3 === 0, value: 1 },
          { id: `y${k}`, path: [c, names(n)[(k + 1) % n]], converted: k % 2 === 0, value: 2 },
        ]),
      );
    const at15 = shapley(wide(15));
    expect(at15).toMatchObject({ exact: true, players: 15 });
    expect(at15.conversions.reduce((a, b) => a + b, 0)).toBeCloseTo(13, 9);
    const at16 = shapley(wide(16), { shapleySamples: 50 });
    expect(at16).toMatchObject({ exact: false, players: 16, samples: 50 });
    expect(at16.conversions.reduce((a, b) => a + b, 0)).toBeCloseTo(14, 9);
  });

  it('samples beyond 30 channels too (sets keyed by their channel list)', () => {
    // 32 channels; journeys of one or two channels. Under the conversions worth the Shapley
    // value is known in closed form: each conversion split equally over its distinct channels.
    const names = Array.from({ length: 32 }, (_, k) => `ch${String(k).padStart(2, '0')}`);
    const specs: JourneySpec[] = names.flatMap((c, k) => [
      { id: `s${k}`, path: [c], converted: k % 2 === 0, value: 4 },
      { id: `p${k}`, path: [c, names[(k + 5) % 32], c], converted: k % 3 === 0, value: 6 },
    ]);
    const closed = new Map(names.map((c) => [c, 0]));
    for (const j of specs) {
      const distinct = [...new Set(j.path)];
      if (!j.converted) continue;
      for (const c of distinct) closed.set(c, (closed.get(c) as number) + 1 / distinct.length);
    }
    const s = shapley(journeyTable(specs), { shapleyWorth: 'conversions', shapleySamples: 400 });
    expect(s).toMatchObject({ exact: false, players: 32, samples: 400 });
    const se = byChannel(names, s.standardError as Float64Array);
    for (const c of names) {
      expect(Math.abs(s.credit[c] - (closed.get(c) as number))).toBeLessThanOrEqual(
        4 * se[c] + 1e-12,
      );
    }
    expect(Object.values(s.credit).reduce((a, b) => a + b, 0)).toBeCloseTo(16 + 11, 9);
  });
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, k) =>
    permutations([...items.slice(0, k), ...items.slice(k + 1)]).map((rest) => [x, ...rest]),
  );
}
