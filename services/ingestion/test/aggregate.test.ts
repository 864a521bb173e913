import { aggregateToWeekly, prepareDataset, summarize, type CanonicalTable } from '../src/domain';
import { fileRows, toCsvText, weeklyOptions } from './fixtures';

describe('aggregateToWeekly', () => {
  const daily: CanonicalTable = {
    frequency: 'DAILY',
    dates: Array.from({ length: 17 }, (_, i) => `2024-03-${String(i + 1).padStart(2, '0')}`),
    columns: [
      {
        name: 'sales',
        role: 'KPI',
        channel: null,
        values: Array.from({ length: 17 }, (_, i) => i + 1),
      },
      { name: 'tv', role: 'PAID_SPEND', channel: 'tv', values: Array(17).fill(2) },
      {
        name: 'temp',
        role: 'CONTROL',
        channel: null,
        values: Array.from({ length: 17 }, (_, i) => i),
      },
    ],
  };

  it('sums flows, averages controls and starts weeks on the first date', () => {
    const { table } = aggregateToWeekly(daily);
    expect(table.frequency).toBe('WEEKLY');
    expect(table.dates).toEqual(['2024-03-01', '2024-03-08']);
    expect(table.columns[0].values).toEqual([
      1 + 2 + 3 + 4 + 5 + 6 + 7,
      8 + 9 + 10 + 11 + 12 + 13 + 14,
    ]);
    expect(table.columns[1].values).toEqual([14, 14]);
    expect(table.columns[2].values).toEqual([3, 10]);
  });

  it('leaves out a trailing partial week and names its days', () => {
    expect(aggregateToWeekly(daily).droppedDays).toEqual([
      '2024-03-15',
      '2024-03-16',
      '2024-03-17',
    ]);
  });

  it('is used by prepareDataset on request, with a warning for the dropped days', () => {
    const rows = fileRows(7 * 27 + 2, 1);
    const result = prepareDataset(
      toCsvText(rows),
      weeklyOptions({ frequency: 'DAILY', aggregateToWeekly: true }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.dataset.sourceFrequency).toBe('DAILY');
    expect(result.dataset.frequency).toBe('WEEKLY');
    expect(result.dataset.periodCount).toBe(27);
    expect(result.dataset.startDate).toBe('2024-01-01');
    expect(result.dataset.table.dates[1]).toBe('2024-01-08');
    const tvDaily = rows.slice(0, 7).reduce((s, r) => s + Number(r.tv), 0);
    expect(result.dataset.table.columns[1].values[0]).toBe(tvDaily);
    expect(result.dataset.warnings).toEqual([
      'The last 2 day(s) (2024-07-08 to 2024-07-09) do not fill a week and were left out of the weekly table.',
    ]);
  });

  it('counts periods after aggregation when checking there are enough', () => {
    const result = prepareDataset(
      toCsvText(fileRows(7 * 25 + 6, 1)),
      weeklyOptions({ frequency: 'DAILY', aggregateToWeekly: true }),
    );
    expect(!result.ok && result.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^Too few periods: 25 weekly \(after aggregation\) periods/),
    ]);
  });
});

describe('summarize', () => {
  it('computes min, max, mean, sample sd, sum and the share of zeros', () => {
    expect(summarize([0, 2, 4, 0, 4], 1)).toEqual({
      count: 5,
      min: 0,
      max: 4,
      mean: 2,
      sd: Math.sqrt((4 + 0 + 4 + 4 + 4) / 4),
      sum: 10,
      zeroShare: 0.4,
      missingCount: 1,
    });
  });

  it('keeps precision on large values with a small spread', () => {
    const s = summarize([1e9 + 1, 1e9 + 2, 1e9 + 3]);
    expect(s.sd).toBeCloseTo(1, 12);
  });

  it('gives zeros for an empty column and sd 0 for a single value', () => {
    expect(summarize([]).count).toBe(0);
    expect(summarize([7]).sd).toBe(0);
  });

  it('is reported per column by prepareDataset', () => {
    const result = prepareDataset(toCsvText(fileRows(30)), weeklyOptions());
    if (!result.ok) throw new Error('expected a dataset');
    const newsletter = result.dataset.columns.find((c) => c.name === 'newsletter');
    expect(newsletter?.summary).toMatchObject({
      count: 30,
      min: 0,
      max: 3,
      zeroShare: 8 / 30,
      missingCount: 0,
    });
  });
});
