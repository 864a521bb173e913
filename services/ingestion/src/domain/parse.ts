import { parse as parseCsv } from 'csv-parse/sync';
import { describeRow, type IssueList, type RowPlace } from './issues';

/** A cell as it came from the file: CSV gives strings, JSON any scalar. */
export type Cell = string | number | boolean | null | undefined;

export interface SourceRow {
  place: RowPlace;
  cells: Map<string, Cell>;
}

/** The file read into rows, before any column has a meaning. */
export interface SourceTable {
  header: string[];
  rows: SourceRow[];
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Reads CSV text or a JSON array of row objects. Problems of shape (unreadable
 * text, ragged rows, repeated header names) go to `issues`; returns null only
 * when nothing row-like could be read at all.
 */
export function readSource(
  content: string,
  format: 'CSV' | 'JSON',
  issues: IssueList,
): SourceTable | null {
  if (content.trim() === '') {
    issues.add({ row: null, column: null, field: 'content', message: 'The file is empty.' });
    return null;
  }
  return format === 'CSV' ? readCsv(content, issues) : readJson(content, issues);
}

function readCsv(content: string, issues: IssueList): SourceTable | null {
  // Line numbers from csv-parse drift on CRLF files; with one line ending they are exact.
  const text = content.replace(/\r\n?/g, '\n');
  let records: CsvRecord[];
  try {
    records = parseCsv(text, {
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
    }) as CsvRecord[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const where = typeof line === 'number' ? ` at line ${line}` : '';
    const reason = error instanceof Error ? error.message : String(error);
    issues.add({
      row: null,
      column: null,
      field: 'content',
      message: `The CSV cannot be read${where}: ${reason}`,
    });
    return null;
  }
  if (records.length === 0) {
    issues.add({ row: null, column: null, field: 'content', message: 'The file has no header.' });
    return null;
  }
  const header = records[0].record;
  checkHeader(header, issues);
  const rows: SourceRow[] = [];
  for (let i = 1; i < records.length; i += 1) {
    const { record, info } = records[i];
    // info.lines is where the record ends; quoted fields may span lines.
    const spanned = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    const place = { row: i, line: info.lines - spanned };
    if (record.length !== header.length) {
      issues.add({
        row: place.row,
        column: null,
        field: 'content',
        message: `${describeRow(place)} has ${record.length} values but the header has ${header.length} columns.`,
      });
    }
    const cells = new Map<string, Cell>();
    header.forEach((name, j) => {
      if (!cells.has(name)) cells.set(name, record[j]);
    });
    rows.push({ place, cells });
  }
  return { header, rows };
}

function checkHeader(header: string[], issues: IssueList): void {
  const seen = new Set<string>();
  header.forEach((name, j) => {
    if (name === '') {
      issues.add({
        row: null,
        column: null,
        field: 'content',
        message: `Header column ${j + 1} has no name.`,
      });
    } else if (seen.has(name)) {
      issues.add({
        row: null,
        column: name,
        field: 'content',
        message: `Column "${name}" appears more than once in the header.`,
      });
    }
    seen.add(name);
  });
}

function readJson(content: string, issues: IssueList): SourceTable | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.add({
      row: null,
      column: null,
      field: 'content',
      message: `The JSON cannot be read: ${reason}`,
    });
    return null;
  }
  if (!Array.isArray(parsed)) {
    issues.add({
      row: null,
      column: null,
      field: 'content',
      message: 'JSON content must be an array of row objects, e.g. [{"date": "2024-01-01", ...}].',
    });
    return null;
  }
  const header: string[] = [];
  const known = new Set<string>();
  const rows: SourceRow[] = [];
  parsed.forEach((element: unknown, i) => {
    const place = { row: i + 1, line: null };
    const cells = new Map<string, Cell>();
    if (element === null || typeof element !== 'object' || Array.isArray(element)) {
      issues.add({
        row: place.row,
        column: null,
        field: 'content',
        message: `${describeRow(place)} is not an object of column values.`,
      });
    } else {
      for (const [name, value] of Object.entries(element as Record<string, unknown>)) {
        if (!known.has(name)) {
          known.add(name);
          header.push(name);
        }
        cells.set(name, isScalar(value) ? value : String(JSON.stringify(value)));
      }
    }
    rows.push({ place, cells });
  });
  return { header, rows };
}

function isScalar(value: unknown): value is Cell {
  return value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value);
}
