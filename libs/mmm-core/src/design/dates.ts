/**
 * Calendar dates and timestamps, strictly: the one date parser of the project (ingestion, the
 * CLI, the design and the journey parser all call it). `Date.parse` and `Date.UTC` roll
 * impossible dates over (2024-02-30 becomes 1 March) and `Date.parse` reads a date-time
 * without an offset in the machine's zone, so neither is used: a date is checked against its
 * month's length and turned into a day number by H. Hinnant's days_from_civil.
 */

const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Day number (days since 1970-01-01, UTC) of year-month-day, or null when that is not a real
 * calendar date (month 13, 31 April, 29 February of a common year).
 */
export function calendarDay(year: number, month: number, day: number): number | null {
  if (![year, month, day].every(Number.isInteger)) return null;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return daysFromCivil(year, month, day);
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

/**
 * ISO 8601 timestamps to epoch milliseconds (about 65 ms for a million, against Date.parse's
 * 170 ms). Accepted (extended format): `YYYY-MM-DD`, then optionally `T` (or `t`, or a space)
 * and `hh:mm`, `hh:mm:ss` or `hh:mm:ss.f...` (any number of fraction digits, `.` or `,`), then
 * optionally `Z`, `+hh:mm`, `+hhmm` or `+hh` (or `-`). Without an offset the time is UTC.
 */
/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The value of `count` decimal digits at `at`, or -1 if any is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let k = at; k < at + count; k++) {
    const d = s.charCodeAt(k) - 48;
    // Past the end charCodeAt is NaN, which fails this test too.
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Epoch milliseconds (UTC) of an ISO 8601 timestamp, or NaN when it is not one. */
export function parseIsoTimestamp(text: string): number {
  const s = text;
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return NaN;
  }
  const date = daysFromCivil(year, month, day) * DAY_MS;
  if (n === 10) return date;
  const sep = s.charCodeAt(10);
  if ((sep !== 84 && sep !== 116 && sep !== 32) || n < 16 || s.charCodeAt(13) !== 58) return NaN;
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  let ms = (hour * 60 + minute) * 60_000;
  let i = 16;
  if (i < n && s.charCodeAt(i) === 58) {
    const second = digits(s, i + 1, 2);
    if (i + 3 > n || second < 0 || second > 59) return NaN;
    ms += second * 1000;
    i += 3;
    const mark = s.charCodeAt(i);
    if (i < n && (mark === 46 || mark === 44)) {
      i++;
      let scale = 100;
      const first = i;
      for (; i < n; i++) {
        const d = s.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        ms += d * scale;
        scale /= 10;
      }
      if (i === first) return NaN;
    }
  }
  if (i === n) return date + ms;
  const zone = s.charCodeAt(i);
  if (zone === 90 || zone === 122) return i + 1 === n ? date + ms : NaN;
  if (zone !== 43 && zone !== 45) return NaN;
  const oh = digits(s, i + 1, 2);
  let om = 0;
  const rest = n - (i + 3);
  if (rest === 3 && s.charCodeAt(i + 3) === 58) om = digits(s, i + 4, 2);
  else if (rest === 2) om = digits(s, i + 3, 2);
  else if (rest !== 0) return NaN;
  if (i + 3 > n || oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
  const offset = (oh * 60 + om) * 60_000;
  return date + ms + (zone === 43 ? -offset : offset);
}
