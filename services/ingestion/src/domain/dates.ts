import { calendarDay, formatIsoDay } from '@mmm/core';

// Year first only: 03/04/2024 is April in one country and March in another, so
// ambiguous day/month orders are refused rather than guessed.
const DATE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?$/;

/**
 * Day number (days since 1970-01-01, UTC) of an ISO-like date (YYYY-MM-DD or
 * YYYY/MM/DD, optionally at midnight), or null when it is not a real calendar date.
 */
export function parseDay(text: string): number | null {
  const match = DATE.exec(text.trim());
  if (!match) return null;
  return calendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** ISO date (YYYY-MM-DD) of a day number. */
export const formatDay = formatIsoDay;

export function daysPerPeriod(frequency: 'DAILY' | 'WEEKLY'): number {
  return frequency === 'DAILY' ? 1 : 7;
}
