import fc from 'fast-check';
import { ATTRIBUTION_METHODS, attributeJourneys, type AttributionOptions } from '../../src';
import { journeyTable } from './journeys';

const journey = fc.record({
  path: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 7 }),
  days: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 7, maxLength: 7 }),
  converted: fc.boolean(),
  value: fc.double({ min: 0, max: 1000, noNaN: true }),
});

const options: fc.Arbitrary<AttributionOptions> = fc.record(
  {
    windowDays: fc.double({ min: 0.5, max: 60, noNaN: true }),
    nonConverting: fc.constantFrom('include' as const, 'exclude' as const),
    halfLifeDays: fc.double({ min: 0.01, max: 100, noNaN: true }),
    firstWeight: fc.double({ min: 0, max: 0.5, noNaN: true }),
    lastWeight: fc.double({ min: 0, max: 0.5, noNaN: true }),
    markovOrder: fc.integer({ min: 1, max: 3 }),
    shapleyWorth: fc.constantFrom('conversion_rate' as const, 'conversions' as const),
    // 0-2 forces the sampled Shapley value on most tables.
    shapleyExactMaxChannels: fc.integer({ min: 0, max: 15 }),
    shapleySamples: fc.integer({ min: 1, max: 50 }),
    seed: fc.nat(),
  },
  { requiredKeys: [] },
);

describe('conservation', () => {
  it('every method credits exactly the observed conversions and value', () => {
    fc.assert(
      fc.property(fc.array(journey, { minLength: 1, maxLength: 40 }), options, (journeys, opts) => {
        const specs = journeys.map((j, k) => ({
          ...j,
          id: `j${k}`,
          days: [...j.days].sort((x, y) => x - y),
        }));
        const table = journeyTable(specs);
        const span = (Math.max(...table.timestamps) - Math.min(...table.timestamps)) / 86_400_000;
        const windowDays =
          opts.windowDays !== undefined && opts.windowDays <= span ? opts.windowDays : undefined;
        const run = attributeJourneys(table, ATTRIBUTION_METHODS, { ...opts, windowDays });
        const conversions = specs.filter((j) => j.converted).length;
        const value = specs.reduce((a, j) => a + (j.converted ? j.value : 0), 0);
        expect(run.totals.conversions).toBe(conversions);
        expect(run.totals.value).toBeCloseTo(value, 6);
        expect(run.results).toHaveLength(ATTRIBUTION_METHODS.length);
        for (const result of run.results) {
          const sum = result.conversions.reduce((a, b) => a + b, 0);
          const sumValue = result.value.reduce((a, b) => a + b, 0);
          expect([result.method, sum]).toEqual([result.method, expect.closeTo(conversions, 8)]);
          expect([result.method, sumValue]).toEqual([result.method, expect.closeTo(value, 6)]);
          // Only the conversion-rate Shapley value can take credit away from a channel.
          if (result.method !== 'shapley' || result.worth === 'conversions') {
            for (const c of result.conversions) expect(c).toBeGreaterThanOrEqual(-1e-12);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
