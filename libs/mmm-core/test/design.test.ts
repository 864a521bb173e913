import { buildBaselineDesign, inferFrequency, mediaMixInput, WEEKLY_PERIOD } from '../src';

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
    const days = ['2024-01-01', '2024-01-02', '2024-01-03'];
    expect(inferFrequency(days)).toBe('daily');
    const d = buildBaselineDesign({ dates: days, fourierOrder: 1, trend: false });
    expect(d.columns[0][2]).toBeCloseTo(Math.sin((2 * Math.PI * 2) / 365.25), 14);
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
