/**
 * Calendar dates, strictly: the one date parser of the project (ingestion, the CLI and the
 * design all call it). `Date.parse` and `Date.UTC` roll impossible dates over (2024-02-30
 * becomes 1 March), so every date is checked by a round trip.
 */

const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Day number (days since 1970-01-01, UTC) of year-month-day, or null when that is not a real
 * calendar date (month 13, 31 April, 29 February of a common year).
 */
export function calendarDay(year: number, month: number, day: number): number | null {
  if (![year, month, day].every(Number.isInteger)) return null;
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day
  ) {
    return null;
  }
  return ms / DAY_MS;
}

/** Day number of a date written exactly YYYY-MM-DD, or null when it is not a real date. */
export function parseIsoDay(text: string): number | null {
  const match = ISO_DAY.exec(text);
  if (!match) return null;
  return calendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** The ISO date (YYYY-MM-DD) of a day number. */
export function formatIsoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Milliseconds since the epoch of a YYYY-MM-DD date at 00:00 UTC; RangeError when not a date. */
export function parseIsoDate(date: string): number {
  const day = parseIsoDay(date);
  if (day === null) throw new RangeError(`${date} is not a calendar date (YYYY-MM-DD)`);
  return day * DAY_MS;
}
