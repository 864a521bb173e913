/**
 * A small RFC 4180 reader for the analyst's table: comma separated, double-quoted fields
 * with "" escapes, CRLF or LF line ends, a header row. Enough for MMM tables, and every
 * problem is reported with its line number.
 */
import { parseIsoDay } from '@mmm/core';
import { UsageError } from './errors';

export interface CsvTable {
  header: string[];
  /** Data rows, each as long as the header. */
  rows: string[][];
  /** 1-based line number in the file of each data row (for messages). */
  lines: number[];
}

export function parseCsv(text: string, fileName = 'the file'): CsvTable {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    field = '';
    if (!(fields.length === 1 && fields[0].trim() === '')) {
      records.push({ fields, line: recordLine });
    }
    fields = [];
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field.length === 0) {
      inQuotes = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += c;
    }
  }
  if (inQuotes) throw new UsageError(`${fileName}: line ${recordLine}: unterminated quoted field`);
  if (field.length > 0 || fields.length > 0) endRecord();
  if (records.length === 0) throw new UsageError(`${fileName}: the file is empty`);
  const header = records[0].fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new UsageError(`${fileName}: line 1: the header has an empty column name`);
    if (seen.has(h)) throw new UsageError(`${fileName}: line 1: column '${h}' appears twice`);
    seen.add(h);
  }
  const rows: string[][] = [];
  const lines: number[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length !== header.length) {
      throw new UsageError(
        `${fileName}: line ${record.line}: ${record.fields.length} fields, the header has ${header.length}`,
      );
    }
    rows.push(record.fields);
    lines.push(record.line);
  }
  if (rows.length === 0) throw new UsageError(`${fileName}: no data rows after the header`);
  return { header, rows, lines };
}

export function columnIndex(table: CsvTable, name: string, flag: string, fileName: string): number {
  const index = table.header.indexOf(name);
  if (index < 0) {
    throw new UsageError(
      `${fileName}: ${flag} column '${name}' not found (columns: ${table.header.join(', ')})`,
    );
  }
  return index;
}

/** A numeric column; empty cells and non-numbers are errors naming line and column. */
export function numericColumn(
  table: CsvTable,
  name: string,
  flag: string,
  fileName: string,
  options: { nonNegative?: boolean } = {},
): Float64Array {
  const index = columnIndex(table, name, flag, fileName);
  const out = new Float64Array(table.rows.length);
  for (let r = 0; r < table.rows.length; r++) {
    const raw = table.rows[r][index].trim();
    const v = raw === '' ? NaN : Number(raw);
    if (!Number.isFinite(v)) {
      const what = raw === '' ? 'is empty' : `'${raw}' is not a number`;
      throw new UsageError(`${fileName}: line ${table.lines[r]}, column '${name}': ${what}`);
    }
    if (options.nonNegative && v < 0) {
      throw new UsageError(
        `${fileName}: line ${table.lines[r]}, column '${name}': spend ${v} is negative`,
      );
    }
    out[r] = v;
  }
  return out;
}

/**
 * The date column as ISO days, checked to be increasing and equally spaced (weekly or
 * daily), which the time-series terms (trend, seasonality, holdout by time) rely on.
 */
export function dateColumn(
  table: CsvTable,
  name: string,
  fileName: string,
): { dates: string[]; periodDays: number } {
  const index = columnIndex(table, name, '--date', fileName);
  const dates: string[] = [];
  const days: number[] = [];
  for (let r = 0; r < table.rows.length; r++) {
    const raw = table.rows[r][index].trim();
    // A time after the date (e.g. 2024-01-01T00:00:00Z from an export) is ignored.
    const date = /^\d{4}-\d{2}-\d{2}/.exec(raw)?.[0];
    const day = date === undefined ? null : parseIsoDay(date);
    if (date === undefined || day === null) {
      throw new UsageError(
        `${fileName}: line ${table.lines[r]}, column '${name}': '${raw}' is not a date (YYYY-MM-DD)`,
      );
    }
    dates.push(date);
    days.push(day);
  }
  if (days.length < 2) return { dates, periodDays: 7 };
  const step = days[1] - days[0];
  for (let r = 1; r < days.length; r++) {
    const d = days[r] - days[r - 1];
    if (d <= 0) {
      throw new UsageError(
        `${fileName}: line ${table.lines[r]}, column '${name}': ${dates[r]} is not after ${dates[r - 1]} (rows must be sorted, without duplicates)`,
      );
    }
    if (d !== step) {
      throw new UsageError(
        `${fileName}: line ${table.lines[r]}, column '${name}': gap of ${d} days after ${dates[r - 1]}, expected ${step} (periods must be equally spaced)`,
      );
    }
  }
  if (step !== 1 && step !== 7) {
    throw new UsageError(
      `${fileName}: column '${name}': periods are ${step} days apart; only daily or weekly data is supported`,
    );
  }
  return { dates, periodDays: step };
}
