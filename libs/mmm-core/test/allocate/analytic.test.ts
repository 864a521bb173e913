/**
 * Concave curves with a closed-form optimum. With Hill alpha = 1 the response of spend x per
 * period over N periods is R(x) = N b (x + c) / (x + c + I) - const (c: carryover, I: the
 * inflexion, both in spend units here), so R'(x) = N b I / (x + c + I)^2 and the channel's
 * spend at a marginal return lambda is x(lambda) = sqrt(N b I / lambda) - I - c (clamped to its
 * bounds). With every channel inside its bounds, sum x = B gives
 * sqrt(lambda) = sum sqrt(N b I) / (B + sum (I + c)).
 */
import fc from 'fast-check';
import { allocateBudget } from '../../src/allocate';
import { handModel, type ChannelSpec } from './models';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

const channelArb = fc.record({
  coefficient: fc.double({ min: 100, max: 1e5, noNaN: true }),
  inflexion: fc.double({ min: 5, max: 5000, noNaN: true }),
  carryoverMean: fc.double({ min: 0, max: 500, noNaN: true }),
  meanSpend: fc.double({ min: 10, max: 3000, noNaN: true }),
});

function specs(
  channels: { coefficient: number; inflexion: number; carryoverMean: number; meanSpend: number }[],
): ChannelSpec[] {
  return channels.map((c, i) => ({ name: `c${i}`, alpha: 1, ...c }));
}

describe('the allocator on concave curves with a known optimum', () => {
  it('matches the closed form when every channel is inside its bounds (1e-6 relative)', () => {
    fc.assert(
      fc.property(
        fc.array(channelArb, { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 52 }),
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        (channels, periods, budgetScale) => {
          const model = handModel(specs(channels));
          const current = channels.reduce((a, c) => a + c.meanSpend, 0);
          const b = budgetScale * current;
          const n = periods;
          const root = channels.reduce((a, c) => a + Math.sqrt(n * c.coefficient * c.inflexion), 0);
          const sqrtLambda =
            root / (b + channels.reduce((a, c) => a + c.inflexion + c.carryoverMean, 0));
          const expected = channels.map(
            (c) =>
              Math.sqrt(n * c.coefficient * c.inflexion) / sqrtLambda -
              c.inflexion -
              c.carryoverMean,
          );
          fc.pre(expected.every((x) => x > 1e-6 * b));
          const result = allocateBudget(model, {
            periods,
            budget: b * periods,
            carryover: 'historical-mean',
          });
          expect(result.method).toBe('kkt');
          expect(result.status).toBe('optimal');
          result.channels.forEach((c, i) => {
            expect(rel(c.recommended, expected[i])).toBeLessThan(1e-6);
            // Equal marginal returns: the common one is lambda / N.
            expect(rel(c.marginalRoas, (sqrtLambda * sqrtLambda) / n)).toBeLessThan(1e-6);
          });
          expect(result.kkt.maxViolation).toBeLessThan(1e-9);
          expect(rel(result.marginalRoas!, (sqrtLambda * sqrtLambda) / n)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it('matches the clamped closed form under channel bounds (1e-6 relative)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            channel: channelArb,
            minMultiple: fc.double({ min: 0, max: 1, noNaN: true }),
            maxMultiple: fc.double({ min: 1, max: 3, noNaN: true }),
          }),
          { minLength: 2, maxLength: 8 },
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (rows, position) => {
          const channels = rows.map((r) => r.channel);
          const model = handModel(specs(channels));
          const lo = rows.map((r) => r.minMultiple * r.channel.meanSpend);
          const hi = rows.map((r) => r.maxMultiple * r.channel.meanSpend);
          const sumLo = lo.reduce((a, v) => a + v, 0);
          const sumHi = hi.reduce((a, v) => a + v, 0);
          const b = sumLo + position * (sumHi - sumLo);
          const n = 4;
          // The closed form per channel at a price; the price by bisection (an independent check).
          const at = (lambda: number) =>
            channels.map((c, i) =>
              Math.min(
                hi[i],
                Math.max(
                  lo[i],
                  Math.sqrt((n * c.coefficient * c.inflexion) / lambda) -
                    c.inflexion -
                    c.carryoverMean,
                ),
              ),
            );
          let a = 1e-30;
          let z = 1e30;
          for (let it = 0; it < 3000; it++) {
            const m = Math.sqrt(a * z);
            if (at(m).reduce((s, v) => s + v, 0) > b) a = m;
            else z = m;
          }
          const expected = at(Math.sqrt(a * z));
          const result = allocateBudget(model, {
            periods: n,
            budget: b * n,
            carryover: 'historical-mean',
            channels: Object.fromEntries(
              rows.map((r, i) => [
                `c${i}`,
                { minMultiple: r.minMultiple, maxMultiple: r.maxMultiple },
              ]),
            ),
          });
          const scale = Math.max(...expected, b);
          result.channels.forEach((c, i) => {
            expect(Math.abs(c.recommended - expected[i])).toBeLessThan(1e-6 * scale + 1e-12);
          });
          expect(result.kkt.maxViolation).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 100, seed: 11 },
    );
  });

  it('matches the closed form in the steady-state and horizon modes', () => {
    // Steady state with geometric theta: the adstock of spend held at x is x / (1 - theta), so
    // the inflexion in spend units is I (1 - theta). Horizon with theta = 0 and no carryover:
    // every period is the saturation of its own spend.
    const n = 13;
    const channels = [
      { name: 'a', coefficient: 4000, alpha: 1, inflexion: 300, meanSpend: 200, theta: 0.5 },
      { name: 'b', coefficient: 9000, alpha: 1, inflexion: 900, meanSpend: 200, theta: 0.7 },
      { name: 'c', coefficient: 1500, alpha: 1, inflexion: 80, meanSpend: 200, theta: 0.2 },
    ];
    const b = 600;
    const solve = (inflexions: number[]) => {
      const root = channels.reduce((a, c, i) => a + Math.sqrt(c.coefficient * inflexions[i]), 0);
      const s = root / (b + inflexions.reduce((a, v) => a + v, 0));
      return channels.map((c, i) => Math.sqrt(c.coefficient * inflexions[i]) / s - inflexions[i]);
    };
    const steady = allocateBudget(handModel(channels), { periods: n, carryover: 'steady-state' });
    const expectSteady = solve(channels.map((c) => c.inflexion * (1 - c.theta)));
    steady.channels.forEach((c, i) =>
      expect(rel(c.recommended, expectSteady[i])).toBeLessThan(1e-6),
    );

    const memoryless = channels.map((c) => ({ ...c, theta: 0 }));
    const horizon = allocateBudget(handModel(memoryless), { periods: n, carryover: 'horizon' });
    const expectHorizon = solve(channels.map((c) => c.inflexion));
    horizon.channels.forEach((c, i) =>
      expect(rel(c.recommended, expectHorizon[i])).toBeLessThan(1e-6),
    );
    expect(horizon.carryover).toBe('horizon');
    expect(rel(horizon.budget, b * n)).toBeLessThan(1e-12);
  });

  it('gives a channel nothing when its first unit returns less than the others at the optimum', () => {
    // c1's marginal return at zero spend, N b / I = 4 x 10 / 100, is far below the others'.
    const model = handModel([
      { name: 'strong', coefficient: 50000, alpha: 1, inflexion: 200, meanSpend: 100 },
      { name: 'weak', coefficient: 10, alpha: 1, inflexion: 100, meanSpend: 100 },
    ]);
    const result = allocateBudget(model, { periods: 4, carryover: 'historical-mean' });
    expect(result.channels[1].recommended).toBe(0);
    expect(result.channels[1].bound).toBe('lower');
    expect(result.channels[0].recommended).toBeCloseTo(200, 9);
    const lower = result.binding.find((r) => r.kind === 'channel-lower')!;
    expect(lower).toMatchObject({ rule: 'spend >= 0', channels: ['weak'] });
    // Its shadow price: what the budget's marginal return exceeds the weak channel's first unit by.
    expect(lower.shadowPrice).toBeCloseTo(result.marginalRoas! - 10 / 100, 9);
  });
});
