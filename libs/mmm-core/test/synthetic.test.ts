import {
  createCandidateContext,
  createCandidateEvaluator,
  generateSyntheticDataset,
  mediaMixInput,
  syntheticRows,
  toCsv,
} from '../src';

describe('synthetic dataset', () => {
  test('the same seed gives the same table, another seed another', () => {
    expect(toCsv(generateSyntheticDataset({ seed: 3 }))).toBe(
      toCsv(generateSyntheticDataset({ seed: 3 })),
    );
    expect(toCsv(generateSyntheticDataset({ seed: 3 }))).not.toBe(
      toCsv(generateSyntheticDataset({ seed: 4 })),
    );
  });

  test('has weekly ISO dates, a KPI, 8 spend columns and 2 controls by default', () => {
    const ds = generateSyntheticDataset();
    expect(ds.dates).toHaveLength(156);
    expect(ds.dates[0]).toBe('2022-01-03');
    expect(ds.dates[1]).toBe('2022-01-10');
    expect(ds.spendColumns).toHaveLength(8);
    expect(ds.controlColumns).toEqual(['promo', 'price_index']);
    expect(ds.columnOrder[0]).toBe('date');
    expect(ds.columnOrder[1]).toBe('revenue');
    for (const c of ds.spendColumns) expect(Math.min(...ds.columns[c])).toBeGreaterThanOrEqual(0);
  });

  test('true ROAS is total true contribution over total spend', () => {
    const ds = generateSyntheticDataset({ seed: 9 });
    for (const ch of ds.truth.channels) {
      const spend = ds.columns[ch.spendColumn].reduce((a, b) => a + b, 0);
      const contribution = ch.contribution.reduce((a, b) => a + b, 0);
      expect(ch.totalSpend).toBeCloseTo(spend, 6);
      expect(contribution / spend).toBeCloseTo(ch.roas, 10);
    }
  });

  test('the KPI is the sum of its true parts plus noise (to the cent)', () => {
    const ds = generateSyntheticDataset({ seed: 5, periods: 60 });
    const { truth } = ds;
    for (let t = 0; t < 60; t++) {
      let v = ds.options.baseline + truth.trend[t] + truth.seasonality[t] + truth.noise[t];
      for (const ch of truth.channels) v += ch.contribution[t];
      for (const c of Object.values(truth.controls)) v += c.contribution[t];
      expect(Math.abs(ds.columns.revenue[t] - v)).toBeLessThanOrEqual(0.006);
    }
  });

  test('daily data, Weibull adstock and a custom channel list', () => {
    const ds = generateSyntheticDataset({
      frequency: 'daily',
      periods: 10,
      adstock: 'weibull_pdf',
      channels: [{ name: 'tv', roas: 2, shape: 2, scale: 0.2 }],
      controls: false,
    });
    expect(ds.dates[1]).toBe('2022-01-04');
    expect(ds.spendColumns).toEqual(['tv_spend']);
    expect(ds.truth.channels[0].shape).toBe(2);
    expect(ds.truth.channels[0].roas).toBe(2);
  });

  test('CSV has a header and one line per period; rows carry ISO dates', () => {
    const ds = generateSyntheticDataset({ periods: 3 });
    const lines = toCsv(ds).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(ds.columnOrder.join(','));
    expect(syntheticRows(ds)[2].date).toBe('2022-01-17');
  });

  test('rejects a period count that is not a positive integer', () => {
    expect(() => generateSyntheticDataset({ periods: 0 })).toThrow(
      'periods must be a positive integer, got 0',
    );
  });
});

describe('synthetic media plans', () => {
  const ds = generateSyntheticDataset({ seed: 11 });
  const spend = (name: string) => ds.columns[`${name}_spend`];

  test('flighted channels have dark periods and bursts; always-on channels never go dark', () => {
    for (const name of ['tv', 'radio', 'ooh', 'print', 'display', 'video']) {
      const dark = spend(name).filter((v) => v === 0).length;
      expect(dark).toBeGreaterThan(0.1 * 156);
      expect(dark).toBeLessThan(0.7 * 156);
    }
    for (const name of ['search', 'social']) {
      const values = spend(name);
      expect(Math.min(...values)).toBeGreaterThan(0);
      // Campaign pushes and cuts: the busiest period is several times the quietest.
      expect(Math.max(...values) / Math.min(...values)).toBeGreaterThan(3);
    }
  });

  test('each channel spends its mean per period on average (to the cent)', () => {
    for (const spec of ds.options.channels) {
      const values = spend(spec.name);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      expect(Math.abs(mean - spec.meanSpend!)).toBeLessThan(0.01);
    }
  });

  test("channelPreset 'hard' keeps the earlier channel set: small print, always-on display", () => {
    const hard = generateSyntheticDataset({ seed: 11, channelPreset: 'hard' });
    expect(hard.options.channelPreset).toBe('hard');
    expect(hard.spendColumns).toEqual(ds.spendColumns);
    const display = hard.truth.channels.find((c) => c.name === 'display')!;
    expect(display.roas).toBe(0.9);
    expect(Math.min(...hard.columns.display_spend)).toBeGreaterThan(0);
    expect(hard.options.channels.find((c) => c.name === 'print')!.meanSpend).toBe(6000);
    expect(ds.options.channelPreset).toBe('standard');
  });

  test("spendPlan 'log-ar1' keeps the earlier plan, which the Robyn fixture was made on", () => {
    const old = generateSyntheticDataset({
      seed: 7,
      periods: 78,
      spendPlan: 'log-ar1',
      channelPreset: 'hard',
    });
    expect(old.options.spendPlan).toBe('log-ar1');
    expect(old.columns.tv_spend.every((v) => v > 0)).toBe(true);
    const flighted = generateSyntheticDataset({ seed: 7, periods: 78, channelPreset: 'hard' });
    expect(toCsv(old)).not.toBe(toCsv(flighted));
  });
});

describe('synthetic truth and the evaluator agree', () => {
  test.each([1, 2, 3])(
    'seed %i: with the true hyperparameters, median ROAS error < 15% at 3% noise (156 weeks, 8 channels)',
    (seed) => {
      const ds = generateSyntheticDataset({ seed, noise: 0.03 });
      const input = mediaMixInput({
        dates: ds.dates,
        kpi: ds.columns.revenue,
        fourierOrder: 2,
        controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
        paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
      });
      const ctx = createCandidateContext(input);
      const L = ctx.layout;
      const params = new Float64Array(L.size);
      ds.truth.channels.forEach((c, i) => {
        params[L.channelOffset[i]] = c.theta ?? 0;
        params[L.channelOffset[i] + 1] = c.alpha;
        params[L.channelOffset[i] + 2] = c.gamma;
      });
      params[L.lambdaIndex] = 0;
      const r = createCandidateEvaluator(ctx).evaluate(params);
      const errors = ds.truth.channels
        .map((c, i) => Math.abs(r.effect[i] / c.totalSpend / c.roas - 1))
        .sort((a, b) => a - b);
      expect((errors[3] + errors[4]) / 2).toBeLessThan(0.15);
    },
  );
});
