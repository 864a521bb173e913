import { channelResponseCurve, saturationSlopes } from '../../src/allocate';
import { allocatorResponse, forecast, saturationValue } from '../../src/model';
import { handModel } from './models';

/** A flighted history: on for three periods, off for two. */
const flighted = (n: number, level: number) =>
  Array.from({ length: n }, (_, t) => (t % 5 < 3 ? level * (1 + 0.3 * Math.sin(t)) : 0));

describe('saturation slopes', () => {
  const cases = [
    { type: 'hill' as const, alpha: 0.6, gamma: 0.5, inflexion: 80 },
    { type: 'hill' as const, alpha: 1, gamma: 0.5, inflexion: 80 },
    { type: 'hill' as const, alpha: 2.7, gamma: 0.5, inflexion: 80 },
    { type: 'logistic' as const, lam: 3, scale: 150 },
  ];
  it.each(cases)('match central differences of the model saturation (%o)', (saturation) => {
    for (const d of [1, 20, 79, 80, 81, 300, 5000]) {
      const h = 1e-4 * d;
      const f = (v: number) => saturationValue(saturation, v);
      const [slope, curvature] = saturationSlopes(saturation, d);
      expect(slope).toBeCloseTo((f(d + h) - f(d - h)) / (2 * h), 8);
      // Second differences of the slope (exact above), so rounding stays small.
      const g = (v: number) => saturationSlopes(saturation, v)[0];
      const fd2 = (g(d + h) - g(d - h)) / (2 * h);
      expect(Math.abs(curvature - fd2)).toBeLessThan(1e-5 * Math.max(1e-6, Math.abs(fd2)) + 1e-9);
    }
  });
  it('has the right limits at zero', () => {
    const hill = (alpha: number) => ({ type: 'hill' as const, alpha, gamma: 0.5, inflexion: 4 });
    expect(saturationSlopes(hill(0.5), 0)).toEqual([Infinity, -Infinity]);
    expect(saturationSlopes(hill(1), 0)).toEqual([0.25, -2 / 16]);
    expect(saturationSlopes(hill(1.5), 0)).toEqual([0, Infinity]);
    expect(saturationSlopes(hill(2), 0)).toEqual([0, 2 / 16]);
    expect(saturationSlopes(hill(3), 0)).toEqual([0, 0]);
  });
});

describe('channel response curves', () => {
  const n = 60;
  const model = handModel(
    [
      {
        name: 'tv',
        coefficient: 5000,
        alpha: 2.2,
        inflexion: 300,
        meanSpend: 120,
        theta: 0.6,
        carryoverMean: 95,
        costPerUnit: 2,
        history: flighted(n, 60),
      },
      { name: 'search', coefficient: 900, alpha: 0.8, inflexion: 40, meanSpend: 30, theta: 0.1 },
    ],
    { periods: n },
  );
  const [tv, search] = model.channels;

  it("historical-mean is Robyn's allocator curve (predict.ts), net of zero spend", () => {
    const curve = channelResponseCurve(model, tv, 8, 'historical-mean');
    for (const x of [0, 10, 120, 400]) {
      const robyn = 8 * (allocatorResponse(tv, x) - allocatorResponse(tv, 0));
      expect(curve.value(x)).toBeCloseTo(robyn, 9);
    }
  });

  it("horizon is the model's forecast with the plan, minus the forecast without it", () => {
    const periods = 6;
    const curve = channelResponseCurve(model, tv, periods, 'horizon');
    // The plan's carryover after the horizon counts: forecast far enough to see it fade.
    const h = curve.terms;
    expect(h).toBeGreaterThan(periods);
    const media = (x: number) => {
      const series = new Float64Array(h);
      series.fill(x / tv.costPerUnit, 0, periods);
      return { tv: series, search: new Float64Array(h).fill(search.meanSpend) };
    };
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    const without = sum(forecast(model, { periods: h, media: media(0) }).media.tv);
    for (const x of [5, 120, 333]) {
      const withPlan = sum(forecast(model, { periods: h, media: media(x) }).media.tv);
      expect(curve.value(x)).toBeCloseTo(withPlan - without, 6);
    }
    // The tail is cut where the plan's adstock is a millionth of its peak: 0.6^k < 1e-6.
    expect(h - periods).toBe(Math.ceil(Math.log(1e-6) / Math.log(0.6)) - 1);
  });

  it('horizon with Weibull adstock is the forecast difference too', () => {
    const weibull = handModel(
      [
        {
          name: 'tv',
          coefficient: 800,
          alpha: 1.6,
          inflexion: 90,
          meanSpend: 50,
          history: flighted(n, 70),
        },
      ],
      { periods: n, weibull: { shape: 2, scale: 0.05 } },
    );
    const channel = weibull.channels[0];
    const curve = channelResponseCurve(weibull, channel, 4, 'horizon');
    const h = curve.terms;
    const plan = (x: number) => ({ tv: new Float64Array(h).fill(x, 0, 4) });
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    const base = sum(forecast(weibull, { periods: h, media: plan(0) }).media.tv);
    const withPlan = sum(forecast(weibull, { periods: h, media: plan(65) }).media.tv);
    expect(curve.value(65)).toBeCloseTo(withPlan - base, 6);
  });

  it('derivatives match differences of the value, in every mode', () => {
    for (const mode of ['horizon', 'steady-state', 'historical-mean'] as const) {
      for (const channel of [tv, search]) {
        const curve = channelResponseCurve(model, channel, 5, mode);
        for (const x of [3, 50, 200]) {
          const h = 1e-4 * x;
          const fd = (curve.value(x + h) - curve.value(x - h)) / (2 * h);
          expect(curve.marginal(x)).toBeCloseTo(fd, 5);
          const fd2 = (curve.marginal(x + h) - curve.marginal(x - h)) / (2 * h);
          expect(Math.abs(curve.curvature(x) - fd2)).toBeLessThan(1e-5 * Math.abs(fd2) + 1e-9);
        }
      }
    }
  });

  it('steady state is the per-period limit of a long horizon without history', () => {
    const quiet = handModel(
      [
        {
          name: 'tv',
          coefficient: 5000,
          alpha: 2.2,
          inflexion: 300,
          meanSpend: 120,
          theta: 0.6,
          history: new Array(n).fill(0),
        },
      ],
      { periods: n },
    );
    const long = channelResponseCurve(quiet, quiet.channels[0], 2000, 'horizon');
    const steady = channelResponseCurve(quiet, quiet.channels[0], 2000, 'steady-state');
    // The long horizon differs only by the ramp-up of its first periods: well under 1%.
    expect(long.value(150) / steady.value(150)).toBeGreaterThan(0.99);
    expect(long.value(150) / steady.value(150)).toBeLessThan(1);
    // Steady state at spend x is the saturation at x / (1 - theta), held for every period.
    expect(steady.value(150) / 2000).toBeCloseTo(
      5000 * saturationValue(quiet.channels[0].saturation, 150 / 0.4),
      6,
    );
  });

  it('splits an S-shaped curve at its inflexion point', () => {
    const curve = channelResponseCurve(model, tv, 5, 'historical-mean');
    const pieces = curve.pieces(0, 1000);
    expect(pieces).toHaveLength(2);
    expect(pieces[0].concave).toBe(false);
    expect(curve.curvature(pieces[0].to * 0.999)).toBeGreaterThan(0);
    expect(curve.curvature(pieces[0].to * 1.001)).toBeLessThan(0);
    const horizon = channelResponseCurve(model, tv, 5, 'horizon');
    for (const p of horizon.pieces(0, 1000)) {
      const mid = 0.5 * (p.from + p.to);
      expect(horizon.curvature(mid) <= 0).toBe(p.concave);
    }
    // A concave channel is one piece.
    expect(channelResponseCurve(model, search, 5, 'horizon').pieces(0, 500)).toEqual([
      { from: 0, to: 500, concave: true },
    ]);
  });
});
