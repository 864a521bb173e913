import {
  createCandidateContext,
  createCandidateEvaluator,
  copyCandidateResult,
  decompRssd,
  generateSyntheticDataset,
  geometricAdstock,
  hillSaturation,
  lambdaFromHyperparameter,
  logisticSaturation,
  nrmse,
  ridgeFit,
  robynOrder,
  scaleUnitToBounds,
  weibullAdstock,
  type CandidateContextInput,
} from '../src';

const ds = generateSyntheticDataset({ seed: 21, periods: 104 });
const channelNames = ds.truth.channels.map((c) => c.name);

function baseInput(over: Partial<CandidateContextInput> = {}): CandidateContextInput {
  return {
    kpi: ds.columns.revenue,
    baseline: [
      { name: 'trend', values: ds.truth.trend.map((_, t) => t) },
      { name: 'promo', values: ds.columns.promo },
      { name: 'price_index', values: ds.columns.price_index, upper: 0 },
    ],
    channels: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
    ...over,
  };
}

/** The same candidate computed the slow way, from the allocating public functions. */
function slowPath(input: CandidateContextInput, params: Float64Array, lambdaMax: number) {
  const n = input.kpi.length;
  const start = input.window?.start ?? 0;
  const end = input.window?.end ?? n;
  const adstock = input.adstock ?? 'geometric';
  const per = (adstock === 'geometric' ? 1 : 2) + (input.saturation === 'logistic' ? 1 : 2);
  const media = input.channels.map((c, i) => {
    const o = i * per;
    const ad =
      adstock === 'geometric'
        ? geometricAdstock(c.values, params[o])
        : weibullAdstock(c.values, adstock === 'weibull_cdf' ? 'cdf' : 'pdf', {
            shape: params[o],
            scale: params[o + 1],
          });
    const s = o + (adstock === 'geometric' ? 1 : 2);
    if (input.saturation === 'logistic') {
      return logisticSaturation(ad, params[s], { start, end });
    }
    return hillSaturation(ad, params[s], params[s + 1], { start, end }).saturated;
  });
  const inter = (input.interactions ?? []).map(([a, b]) => {
    const x = media[input.channels.findIndex((c) => c.name === a)];
    const y = media[input.channels.findIndex((c) => c.name === b)];
    return x.map((v, t) => v * y[t]);
  });
  const cols = [...(input.baseline ?? []).map((b) => b.values), ...media, ...inter].map((c) =>
    Float64Array.from(c).subarray(start, end),
  );
  const y = Float64Array.from(input.kpi).subarray(start, end);
  const lambda = lambdaFromHyperparameter(params[params.length - 1], lambdaMax);
  const fit = ridgeFit(cols, y, {
    lambda,
    interceptSign: 'non_negative',
    lower: [
      ...(input.baseline ?? []).map((b) => b.lower ?? -Infinity),
      ...input.channels.map(() => 0),
      ...inter.map(() => 0),
    ],
    upper: [
      ...(input.baseline ?? []).map((b) => b.upper ?? Infinity),
      ...input.channels.map(() => Infinity),
      ...inter.map(() => Infinity),
    ],
  });
  const nb = (input.baseline ?? []).length;
  const paid = input.channels
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => (c.kind ?? 'paid') === 'paid');
  const effect = paid.map(
    ({ i }) => fit.coefficients[nb + i] * cols[nb + i].reduce((a, b) => a + b, 0),
  );
  const spend = paid.map(({ c }) =>
    Array.from(c.values)
      .slice(start, end)
      .reduce((a, b) => a + b, 0),
  );
  return { fit, nrmse: nrmse(y, fit.fitted), rssd: decompRssd(effect, spend) };
}

function sampleParams(input: CandidateContextInput, u: number): Float64Array {
  const ctx = createCandidateContext(input);
  const unit = Float64Array.from({ length: ctx.layout.size }, (_, i) => (0.37 * (i + 1) + u) % 1);
  return scaleUnitToBounds(ctx.layout, unit);
}

describe.each([
  ['geometric + Hill', {}],
  ['Weibull CDF + Hill', { adstock: 'weibull_cdf' as const }],
  ['Weibull PDF + Hill', { adstock: 'weibull_pdf' as const }],
  ['geometric + logistic', { saturation: 'logistic' as const }],
  ['a fitting window', { window: { start: 20, end: 90 } }],
  [
    'an interaction and an organic channel',
    {
      interactions: [['tv', 'search']] as Array<[string, string]>,
      channels: ds.truth.channels.map((c, i) => ({
        name: c.name,
        values: ds.columns[c.spendColumn],
        kind: i === 7 ? ('organic' as const) : ('paid' as const),
      })),
    },
  ],
])('candidate evaluator with %s', (_, over) => {
  test('equals the slow path built from transforms, ridgeFit and metrics', () => {
    const input = baseInput(over);
    const ctx = createCandidateContext(input);
    const ev = createCandidateEvaluator(ctx);
    for (const u of [0.05, 0.5, 0.93]) {
      const params = sampleParams(input, u);
      const r = ev.evaluate(params);
      const slow = slowPath(input, params, ctx.lambdaMax);
      expect(r.ok).toBe(true);
      expect(r.nrmse).toBeCloseTo(slow.nrmse, 10);
      expect(Math.abs(r.decompRssd - slow.rssd)).toBeLessThan(1e-9);
      expect(r.intercept).toBeCloseTo(slow.fit.intercept, 4);
      r.coefficients.forEach((b, j) => {
        expect(Math.abs(b - slow.fit.coefficients[j])).toBeLessThanOrEqual(
          1e-7 * Math.max(1, Math.abs(b)),
        );
      });
      for (let c = 0; c < input.channels.length; c++)
        expect(r.coefficients[3 + c]).toBeGreaterThanOrEqual(0);
      expect(r.coefficients[2]).toBeLessThanOrEqual(0);
    }
  });
});

describe('candidate evaluator contract', () => {
  test('returns the same result object each call; copyCandidateResult keeps one', () => {
    const ctx = createCandidateContext(baseInput());
    const ev = createCandidateEvaluator(ctx);
    const a = ev.evaluate(sampleParams(baseInput(), 0.1));
    const kept = copyCandidateResult(a);
    const b = ev.evaluate(sampleParams(baseInput(), 0.6));
    expect(b).toBe(a);
    expect(kept.nrmse).not.toBe(b.nrmse);
    expect(kept.coefficients).not.toBe(b.coefficients);
  });

  test('the layout names, bounds and Robyn order are documented and consistent', () => {
    const ctx = createCandidateContext(
      baseInput({
        channels: [
          { name: 'tv', values: ds.columns.tv_spend, bounds: { theta: [0.3, 0.8] } },
          { name: 'display', values: ds.columns.display_spend },
        ],
      }),
    );
    const L = ctx.layout;
    expect(L.names).toEqual([
      'tv_thetas',
      'tv_alphas',
      'tv_gammas',
      'display_thetas',
      'display_alphas',
      'display_gammas',
      'lambda',
    ]);
    expect([L.lower[0], L.upper[0]]).toEqual([0.3, 0.8]);
    expect([L.lower[4], L.upper[4]]).toEqual([0.5, 3]);
    expect([L.lower[6], L.upper[6]]).toEqual([0, 1]);
    expect(Array.from(robynOrder(L)).map((i) => L.names[i])).toEqual([
      'display_alphas',
      'display_gammas',
      'display_thetas',
      'tv_alphas',
      'tv_gammas',
      'tv_thetas',
      'lambda',
    ]);
    const weibull = createCandidateContext(baseInput({ adstock: 'weibull_pdf' })).layout;
    expect(weibull.names.slice(0, 4)).toEqual(['tv_shapes', 'tv_scales', 'tv_alphas', 'tv_gammas']);
    expect([weibull.lower[0], weibull.upper[0]]).toEqual([0.0001, 10]);
  });

  test('an all-zero channel gets no effect and counts in the zero penalty', () => {
    const input = baseInput({
      channels: [
        { name: 'tv', values: ds.columns.tv_spend },
        { name: 'silent', values: new Array(104).fill(0), spend: new Array(104).fill(1) },
      ],
    });
    const ctx = createCandidateContext(input);
    const r = createCandidateEvaluator(ctx).evaluate(sampleParams(input, 0.2));
    expect(r.coefficients[4]).toBe(0);
    expect(r.effectShare[1]).toBe(0);
    expect(Number.isFinite(r.decompRssd)).toBe(true);
  });

  test('inputs are checked once with clear messages', () => {
    expect(() => createCandidateContext(baseInput({ window: { start: 50, end: 10 } }))).toThrow(
      'window [50, 10) is not inside [0, 104)',
    );
    expect(() => createCandidateContext(baseInput({ interactions: [['tv', 'nope']] }))).toThrow(
      'interaction tv x nope: unknown channel',
    );
    expect(() => createCandidateContext(baseInput({ channels: [] }))).toThrow(
      'at least one media channel is needed',
    );
    expect(() =>
      createCandidateContext(baseInput({ kpi: [...ds.columns.revenue.slice(0, 103), NaN] })),
    ).toThrow('kpi: row 103 is not a finite number');
  });

  test('channel names follow the synthetic truth', () => {
    expect(createCandidateContext(baseInput()).channelNames).toEqual(channelNames);
  });
});
