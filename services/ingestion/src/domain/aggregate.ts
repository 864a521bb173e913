import { formatDay, parseDay } from './dates';
import type { CanonicalTable } from './types';

export interface WeeklyTable {
  table: CanonicalTable;
  /** Trailing days that did not fill a week and were left out. */
  droppedDays: string[];
}

/**
 * Daily table -> weekly table. Weeks are 7-day blocks starting on the first
 * date of the series (not on a fixed weekday), so no leading week is partial;
 * a trailing partial week is dropped because its sums would look like a slump.
 * KPI, spend, exposure and organic values are summed; controls are averaged,
 * since they are levels (price, temperature, share of holiday days), not flows.
 * The input must be daily, sorted and without gaps.
 */
export function aggregateToWeekly(daily: CanonicalTable): WeeklyTable {
  const weeks = Math.floor(daily.dates.length / 7);
  const first = daily.dates.length > 0 ? parseDay(daily.dates[0]) : null;
  const dates: string[] = [];
  for (let w = 0; w < weeks && first !== null; w += 1) dates.push(formatDay(first + 7 * w));
  const columns = daily.columns.map((column) => {
    const values: number[] = [];
    for (let w = 0; w < weeks; w += 1) {
      let sum = 0;
      for (let d = 0; d < 7; d += 1) sum += column.values[7 * w + d];
      values.push(column.role === 'CONTROL' ? sum / 7 : sum);
    }
    return { ...column, values };
  });
  return {
    table: { frequency: 'WEEKLY', dates, columns },
    droppedDays: daily.dates.slice(7 * weeks),
  };
}
