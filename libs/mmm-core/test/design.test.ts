import {
  buildBaselineDesign,
  extendBaselineTerm,
  fitMediaMix,
  generateSyntheticDataset,
  inferFrequency,
  mediaMixInput,
  WEEKLY_PERIOD,
} from '../src';

/** Consecutive ISO days from 2024-01-01 (a Monday). */
function days(count: number): string[] {
  const start = Date.parse('2024-01-01T00:00:00Z');
  return Array.from({ length: count }, (_, i) =>
    new Date(start + i * 86_400_000).toISOString().slice(0, 10),
  );
}

const weeks = ['2024-01-01', '2024-01-08', '2024-01-15', '2024-01-22', '2024-01-29'];

describe('baseline design', () => {
  test('has a trend, Fourier pairs and signed controls in order', () => {
    const d = buildBaselineDesign({
      dates: weeks,
      fourierOrder: 2,
      controls: [
        { name: 'price', values: [1, 1.1, 0.9, 1, 1], sign: 'negative' },
        { name: 'promo', values: [0, 1, 0, 0, 1], sign: 'positive' },
        { name: 'macro', values: [3, 2, 3, 4, 5] },
      ],
    });
    expect(d.frequency).toBe('weekly');
    expect(d.period).toBe(WEEKLY_PERIOD);
    expect(d.names).toEqual([
      'trend',
      'season_sin1',
      'season_cos1',
      'season_sin2',
      'season_cos2',
      'price',
      'promo',
      'macro',
    ]);
    expect(Array.from(d.columns[0])).toEqual([0, 1, 2, 3, 4]);
    expect(d.columns[1][1]).toBeCloseTo(Math.sin((2 * Math.PI) / 52.18), 14);
    expect(d.columns[4][2]).toBeCloseTo(Math.cos((2 * Math.PI * 2 * 2) / 52.18), 14);
    expect([d.lower[5], d.upper[5]]).toEqual([-Infinity, 0]);
    expect([d.lower[6], d.upper[6]]).toEqual([0, Infinity]);
    expect([d.lower[7], d.upper[7]]).toEqual([-Infinity, Infinity]);
    expect(d.scaling[0].mean).toBe(2);
    expect(d.scaling[0].sd).toBeCloseTo(Math.sqrt(2), 14);
  });

  test('daily data uses a 365.25-day period', () => {
    const dates = ['2024-01-01', '2024-01-02', '2024-01-03'];
    expect(inferFrequency(dates)).toBe('daily');
    const d = buildBaselineDesign({ dates, fourierOrder: 1, trend: false });
    expect(d.columns[0][2]).toBeCloseTo(Math.sin((2 * Math.PI * 2) / 365.25), 14);
  });

  test('daily data gets a day-of-week Fourier block of order 3 on a 7-day period', () => {
    const d = buildBaselineDesign({ dates: days(10), fourierOrder: 1 });
    expect(d.names).toEqual([
      'trend',
      'season_sin1',
      'season_cos1',
      'weekday_sin1',
      'weekday_cos1',
      'weekday_sin2',
      'weekday_cos2',
      'weekday_sin3',
      'weekday_cos3',
    ]);
    expect(d.groups.slice(3).every((g) => g === 'seasonality')).toBe(true);
    const j = d.names.indexOf('weekday_cos2');
    expect(d.columns[j][3]).toBeCloseTo(Math.cos((2 * Math.PI * 2 * 3) / 7), 14);
    // One week apart, the same value.
    expect(d.columns[j][8]).toBeCloseTo(d.columns[j][1], 12);
    expect(d.fourier[j]).toEqual({ fn: 'cos', harmonic: 2, period: 7 });
    expect(d.fourier[1]).toEqual({ fn: 'sin', harmonic: 1, period: 365.25 });
    expect(d.fourier[0]).toBeNull();

    const fewer = buildBaselineDesign({ dates: days(10), weeklyOrder: 1 });
    expect(fewer.names.filter((name) => name.startsWith('weekday_'))).toEqual([
      'weekday_sin1',
      'weekday_cos1',
    ]);
    const none = buildBaselineDesign({ dates: days(10), weeklyOrder: 0 });
    expect(none.names.some((name) => name.startsWith('weekday_'))).toBe(false);
    // Weekly rows have no day of week.
    const weekly = buildBaselineDesign({ dates: weeks, weeklyOrder: 3 });
    expect(weekly.names.some((name) => name.startsWith('weekday_'))).toBe(false);
    expect(() => buildBaselineDesign({ dates: days(10), weeklyOrder: 4 })).toThrow(
      'weeklyOrder must be an integer from 0 to 3, got 4',
    );
  });

  test('a forecast continues the day-of-week columns on their own 7-day period', () => {
    const train = buildBaselineDesign({ dates: days(30) });
    const longer = buildBaselineDesign({ dates: days(40) });
    train.names.forEach((name, j) => {
      const f = train.fourier[j];
      if (!f) return;
      const term = {
        name,
        group: 'seasonality' as const,
        coefficient: 1,
        values: Array.from(train.columns[j]),
        extension: { kind: 'fourier' as const, ...f },
      };
      const next = extendBaselineTerm(term, 10, 30);
      for (let i = 0; i < 10; i++) expect(next[i]).toBeCloseTo(longer.columns[j][30 + i], 12);
    });
  });

  test('the fit of daily data absorbs a day-of-week pattern in the weekday terms', async () => {
    const ds = generateSyntheticDataset({
      seed: 3,
      periods: 182,
      frequency: 'daily',
      channels: 3,
      noise: 0.01,
      startDate: '2024-01-01',
    });
    // Weekend dip and a Friday peak, as for a retailer's weekday traffic (Monday first).
    const pattern = [0, 0.02, 0.03, 0.05, 0.12, -0.2, -0.15].map((f) => f * 1_000_000);
    const kpi = ds.columns[ds.kpiColumn].map((v, t) => v + pattern[t % 7]);
    const table = (weeklyOrder: number) => ({
      dates: ds.dates,
      kpi,
      weeklyOrder,
      controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
      paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
    });
    const options = { iterations: 300, trials: 1, seed: 2, workers: 0 };
    const fit = await fitMediaMix(table(3), { ...options, selection: 'best-fit' });
    const blind = await fitMediaMix(table(0), { ...options, selection: 'best-fit' });

    const names = Object.keys(fit.decomposition.baseline).filter((n) => n.startsWith('weekday_'));
    expect(names).toHaveLength(6);
    const weekday = new Float64Array(kpi.length);
    for (const name of names) {
      fit.decomposition.baseline[name].forEach((v, t) => (weekday[t] += v));
    }
    // The weekday terms reproduce the pattern up to a constant (the intercept takes the mean).
    const patternMean = pattern.reduce((a, b) => a + b, 0) / 7;
    const fittedMean = weekday.slice(0, 7).reduce((a, b) => a + b, 0) / 7;
    const range = Math.max(...pattern) - Math.min(...pattern);
    for (let d = 0; d < 7; d++) {
      const error = weekday[d] - fittedMean - (pattern[d] - patternMean);
      expect(Math.abs(error)).toBeLessThan(0.05 * range);
    }
    // Without them the pattern stays in the residuals.
    expect(fit.train.nrmse).toBeLessThan(0.5 * blind.train.nrmse);
  });

  test('events become one dummy per name in the period that contains them', () => {
    const d = buildBaselineDesign({
      dates: weeks,
      fourierOrder: 0,
      trend: false,
      events: [
        { date: '2024-01-10', name: 'sale' },
        { date: '2024-01-29', name: 'sale' },
        { date: '2024-01-01' },
        { date: '2023-12-25' },
      ],
    });
    expect(d.names).toEqual(['sale', 'holiday']);
    expect(Array.from(d.columns[0])).toEqual([0, 1, 0, 0, 1]);
    expect(Array.from(d.columns[1])).toEqual([1, 0, 0, 0, 0]);
  });

  test('rejects unevenly spaced dates and wrong lengths with a clear message', () => {
    expect(() => inferFrequency(['2024-01-01', '2024-01-04'])).toThrow(
      'dates are 3 days apart; weekly (7) or daily (1) data is expected',
    );
    expect(() =>
      buildBaselineDesign({ dates: weeks, controls: [{ name: 'x', values: [1, 2] }] }),
    ).toThrow('control x: 2 rows, expected 5');
  });

  test('mediaMixInput puts paid then organic channels after the baseline', () => {
    const input = mediaMixInput({
      dates: weeks,
      kpi: [1, 2, 3, 4, 5],
      paid: [{ name: 'tv', values: [1, 0, 1, 0, 1] }],
      organic: [{ name: 'newsletter', values: [0, 1, 1, 0, 0] }],
    });
    expect(input.channels.map((c) => [c.name, c.kind])).toEqual([
      ['tv', 'paid'],
      ['newsletter', 'organic'],
    ]);
    expect(input.baseline?.map((b) => b.name)).toEqual(input.design.names);
  });
});
