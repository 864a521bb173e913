/**
 * The one reader of journey files, for every caller (the ingestion service, the CLI, the
 * benchmark): text in, a JourneyTable out. It is fed chunks of any size (`push`) and keeps
 * only columns of numbers between them, so a file of a million touchpoints is never held
 * twice; `finish` groups the touchpoints by journey and sorts them by time.
 *
 * Canonical CSV: `journey_id,timestamp,channel,converted,conversion_value[,cost]`, one row per
 * touchpoint, rows in any order, ISO 8601 timestamps (see timestamp.ts); `converted` (0/1) and
 * `conversion_value` are the journey's outcome after its last touchpoint and repeat on each of
 * its rows. Other header names are mapped with `columns`; extra columns are ignored. JSON input
 * is an array of row objects with the same keys (converted may also be true/false).
 *
 * Every problem is collected, with its 1-based data row and its column, rather than stopping
 * at the first: the first `maxIssues` are listed, all are counted.
 */
import { createCsvRecordReader, createJsonRowReader, type RecordReader } from './records';
import type { JourneyTable } from './table';
import { parseIsoTimestamp } from '../design/dates';

export type JourneyField =
  | 'journeyId'
  | 'timestamp'
  | 'channel'
  | 'converted'
  | 'conversionValue'
  | 'cost';

export const CANONICAL_JOURNEY_COLUMNS: Readonly<Record<JourneyField, string>> = {
  journeyId: 'journey_id',
  timestamp: 'timestamp',
  channel: 'channel',
  converted: 'converted',
  conversionValue: 'conversion_value',
  cost: 'cost',
};

const REQUIRED_FIELDS: readonly JourneyField[] = [
  'journeyId',
  'timestamp',
  'channel',
  'converted',
  'conversionValue',
];

export interface JourneyParserOptions {
  /** 'csv' (default) or 'json' (an array of row objects). */
  format?: 'csv' | 'json';
  /**
   * The file's name for each field where it differs from the canonical one. Naming `cost`
   * makes that column required; otherwise a `cost` column is read when present.
   */
  columns?: Partial<Record<JourneyField, string>>;
  /** How many issues are listed (all are counted); default 100. */
  maxIssues?: number;
}

export type JourneyIssueCode =
  /** No data rows at all. */
  | 'empty_input'
  /** Text that cannot be read: an unclosed quote, invalid JSON, a row of the wrong length. */
  | 'malformed'
  /** An empty or repeated column name in the header. */
  | 'header'
  | 'missing_column'
  /** An empty journey id or channel, or a JSON row without a required key. */
  | 'missing_value'
  /** A converting journey's row with no channel: a conversion with no touchpoint. */
  | 'conversion_without_touchpoint'
  | 'bad_timestamp'
  | 'bad_converted'
  | 'bad_number'
  | 'negative_value'
  /** A conversion value above 0 on a journey that did not convert. */
  | 'value_without_conversion'
  /** Rows of one journey that disagree on its outcome (converted or conversion value). */
  | 'outcome_mismatch';

export interface JourneyIssue {
  code: JourneyIssueCode;
  /** 1-based data row (the first row after the CSV header, the first JSON element); null for the whole input. */
  row: number | null;
  /** 1-based line of the file where the row starts (CSV; differs from row + 1 after quoted newlines). */
  line: number | null;
  /** The column's name in the file, when the issue is about one. */
  column: string | null;
  /** One line that names the row and column, e.g. `row 3 (line 4), column 'timestamp': ...`. */
  message: string;
}

export type JourneyParseResult =
  | { ok: true; table: JourneyTable; rows: number }
  | { ok: false; issues: JourneyIssue[]; issueCount: number; rows: number };

export interface JourneyParser {
  /** Feeds the next piece of text; chunk boundaries may fall anywhere. */
  push(chunk: string): void;
  /** Ends the input and returns the table, or every issue found. */
  finish(): JourneyParseResult;
}

/** A value as it came from the file: CSV gives strings, JSON any scalar. */
type Cell = string | number | boolean | null | undefined;

interface ParserSettings {
  format: 'csv' | 'json';
  columns: Record<JourneyField, string>;
  costRequired: boolean;
  maxIssues: number;
}

function resolveParserSettings(options: JourneyParserOptions): ParserSettings {
  const format = options.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') {
    throw new RangeError(`format must be 'csv' or 'json', got '${String(format)}'`);
  }
  const columns = { ...CANONICAL_JOURNEY_COLUMNS };
  for (const [field, name] of Object.entries(options.columns ?? {})) {
    if (!(field in CANONICAL_JOURNEY_COLUMNS)) {
      throw new RangeError(`columns: unknown field '${field}'`);
    }
    if (name === undefined) continue;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new RangeError(`columns.${field} must be a non-empty column name`);
    }
    columns[field as JourneyField] = name.trim();
  }
  const maxIssues = options.maxIssues ?? 100;
  if (!Number.isInteger(maxIssues) || maxIssues < 0) {
    throw new RangeError(`maxIssues must be an integer >= 0, got ${maxIssues}`);
  }
  return { format, columns, costRequired: options.columns?.cost !== undefined, maxIssues };
}

/** Doubles a typed array's capacity when `need` exceeds it. */
function ensure<T extends Float64Array | Uint32Array | Uint8Array>(array: T, need: number): T {
  if (need <= array.length) return array;
  const grown = new (array.constructor as new (n: number) => T)(Math.max(need, array.length * 2));
  grown.set(array);
  return grown;
}

function where(row: number | null, line: number | null, column: string | null): string {
  const parts: string[] = [];
  if (row !== null) parts.push(line === null ? `row ${row}` : `row ${row} (line ${line})`);
  if (column !== null) parts.push(`column '${column}'`);
  return parts.join(', ');
}

function show(cell: Cell): string {
  return typeof cell === 'string' ? `'${cell}'` : String(cell);
}

/**
 * A copy of a string that shares no memory with the chunk it was cut from. V8 represents a
 * long slice as a view into its parent string, so keeping a journey id (e.g. a UUID) would
 * keep its whole chunk alive, and with ids from every chunk, the whole file. Slicing a
 * concatenation makes V8 flatten it into a new string first.
 */
function detached(s: string): string {
  return (' ' + s).slice(1);
}

/** The text of an id or a channel: strings trimmed, numbers as written; '' when absent. */
function text(cell: Cell): string {
  if (typeof cell === 'string') return cell.trim();
  if (typeof cell === 'number' && Number.isFinite(cell)) return String(cell);
  return '';
}

/** 1, 0, or -1 when the cell is not 0/1 (JSON may also say true/false). */
function flag(cell: Cell): number {
  if (cell === '1' || cell === 1 || cell === true) return 1;
  if (cell === '0' || cell === 0 || cell === false) return 0;
  if (typeof cell === 'string') {
    const s = cell.trim();
    if (s === '1') return 1;
    if (s === '0') return 0;
  }
  return -1;
}

/** A non-negative amount: empty (or JSON null) is 0; NaN when it is not a number. */
function amount(cell: Cell): number {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : NaN;
  if (cell === null || cell === undefined) return 0;
  if (typeof cell !== 'string') return NaN;
  const s = cell.trim();
  if (s === '') return 0;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
}

export function createJourneyParser(options: JourneyParserOptions = {}): JourneyParser {
  const settings = resolveParserSettings(options);
  const names = settings.columns;

  const issues: JourneyIssue[] = [];
  let issueCount = 0;
  const report = (
    code: JourneyIssueCode,
    row: number | null,
    line: number | null,
    column: string | null,
    problem: string,
  ): void => {
    issueCount++;
    if (issues.length >= settings.maxIssues) return;
    const place = where(row, line, column);
    issues.push({ code, row, line, column, message: place ? `${place}: ${problem}` : problem });
  };

  // Touchpoints in input order; grouped by journey in finish().
  let count = 0;
  let tpJourney = new Uint32Array(1 << 12);
  let tpTime = new Float64Array(1 << 12);
  let tpChannel = new Uint32Array(1 << 12);
  let tpCost: Float64Array | null = null;
  // Journeys by id, with their outcome and the row that set it.
  const journeyIndex = new Map<string, number>();
  const journeyIds: string[] = [];
  let converted = new Uint8Array(1 << 10);
  let value = new Float64Array(1 << 10);
  let outcomeRow = new Uint32Array(1 << 10);
  const channelIndex = new Map<string, number>();
  const channelNames: string[] = [];
  let rows = 0;

  /** One touchpoint row; cells in field order. */
  const addRow = (
    row: number,
    line: number | null,
    idCell: Cell,
    timeCell: Cell,
    channelCell: Cell,
    convertedCell: Cell,
    valueCell: Cell,
    costCell: Cell,
  ): void => {
    let ok = true;
    const id = text(idCell);
    if (id === '') {
      report('missing_value', row, line, names.journeyId, 'the journey id is empty');
      ok = false;
    }
    const conv = flag(convertedCell);
    if (conv < 0) {
      report('bad_converted', row, line, names.converted, `${show(convertedCell)} is not 0 or 1`);
      ok = false;
    }
    const v = amount(valueCell);
    if (Number.isNaN(v)) {
      report('bad_number', row, line, names.conversionValue, `${show(valueCell)} is not a number`);
      ok = false;
    } else if (v < 0) {
      report('negative_value', row, line, names.conversionValue, `${v} is negative`);
      ok = false;
    }
    const channel = text(channelCell);
    if (channel === '') {
      if (conv === 1) {
        report(
          'conversion_without_touchpoint',
          row,
          line,
          names.channel,
          'the channel is empty on a converting journey: a conversion needs a touchpoint',
        );
      } else {
        report('missing_value', row, line, names.channel, 'the channel is empty');
      }
      ok = false;
    }
    const time = typeof timeCell === 'string' ? parseIsoTimestamp(timeCell.trim()) : NaN;
    if (Number.isNaN(time)) {
      report(
        'bad_timestamp',
        row,
        line,
        names.timestamp,
        `${show(timeCell)} is not an ISO 8601 timestamp`,
      );
      ok = false;
    }
    let cost = 0;
    if (tpCost !== null) {
      cost = amount(costCell);
      if (Number.isNaN(cost)) {
        report('bad_number', row, line, names.cost, `${show(costCell)} is not a number`);
        ok = false;
      } else if (cost < 0) {
        report('negative_value', row, line, names.cost, `${cost} is negative`);
        ok = false;
      }
    }

    let j = -1;
    if (id !== '') {
      const known = journeyIndex.get(id);
      if (known === undefined) {
        if (conv >= 0 && !Number.isNaN(v) && v >= 0) {
          j = journeyIds.length;
          const kept = detached(id);
          journeyIndex.set(kept, j);
          journeyIds.push(kept);
          if (j === converted.length) {
            converted = ensure(converted, j + 1);
            value = ensure(value, j + 1);
            outcomeRow = ensure(outcomeRow, j + 1);
          }
          converted[j] = conv;
          value[j] = v;
          outcomeRow[j] = row;
          if (conv === 0 && v > 0) {
            report(
              'value_without_conversion',
              row,
              line,
              names.conversionValue,
              `journey '${id}' did not convert but has a conversion value of ${v}`,
            );
          }
        }
      } else {
        j = known;
        if (conv >= 0 && conv !== converted[j]) {
          report(
            'outcome_mismatch',
            row,
            line,
            names.converted,
            `journey '${id}' has ${names.converted} ${conv} here but ${converted[j]} on row ${outcomeRow[j]}`,
          );
        } else if (conv >= 0 && !Number.isNaN(v) && v >= 0 && v !== value[j]) {
          report(
            'outcome_mismatch',
            row,
            line,
            names.conversionValue,
            `journey '${id}' has ${names.conversionValue} ${v} here but ${value[j]} on row ${outcomeRow[j]}`,
          );
        }
      }
    }
    if (!ok || j < 0) return;
    let c = channelIndex.get(channel);
    if (c === undefined) {
      c = channelNames.length;
      const kept = detached(channel);
      channelIndex.set(kept, c);
      channelNames.push(kept);
    }
    if (count === tpTime.length) {
      tpJourney = ensure(tpJourney, count + 1);
      tpTime = ensure(tpTime, count + 1);
      tpChannel = ensure(tpChannel, count + 1);
      if (tpCost !== null) tpCost = ensure(tpCost, count + 1);
    }
    tpJourney[count] = j;
    tpTime[count] = time;
    tpChannel[count] = c;
    if (tpCost !== null) tpCost[count] = cost;
    count++;
  };

  const reader = settings.format === 'csv' ? csvInput() : jsonInput();

  function csvInput(): RecordReader {
    // Field positions in the header, once it is read; null while the header is pending.
    let at: Record<JourneyField, number> | null = null;
    let width = 0;
    let usable = true;
    return createCsvRecordReader((fields, line) => {
      if (at === null) {
        const header = fields.map((h) => h.trim());
        width = header.length;
        const seen = new Set<string>();
        header.forEach((h, k) => {
          if (h === '') report('header', null, 1, null, `header column ${k + 1} has no name`);
          else if (seen.has(h)) report('header', null, 1, h, 'appears twice in the header');
          seen.add(h);
        });
        const found = {} as Record<JourneyField, number>;
        for (const field of Object.keys(names) as JourneyField[]) {
          found[field] = header.indexOf(names[field]);
        }
        for (const field of REQUIRED_FIELDS) {
          if (found[field] >= 0) continue;
          report(
            'missing_column',
            null,
            null,
            names[field],
            `missing (the header has ${header.join(', ')})`,
          );
          usable = false;
        }
        if (found.cost >= 0) tpCost = new Float64Array(tpTime.length);
        else if (settings.costRequired) {
          report(
            'missing_column',
            null,
            null,
            names.cost,
            `missing (the header has ${header.join(', ')})`,
          );
          usable = false;
        }
        at = found;
        return;
      }
      rows++;
      if (!usable) return;
      if (fields.length !== width) {
        report(
          'malformed',
          rows,
          line,
          null,
          `${fields.length} values but the header has ${width} columns`,
        );
        return;
      }
      addRow(
        rows,
        line,
        fields[at.journeyId],
        fields[at.timestamp],
        fields[at.channel],
        fields[at.converted],
        fields[at.conversionValue],
        at.cost >= 0 ? fields[at.cost] : undefined,
      );
    });
  }

  function jsonInput(): RecordReader {
    let usable: boolean | null = null;
    const onRow = (element: unknown, index: number): void => {
      rows = index;
      if (element === null || typeof element !== 'object' || Array.isArray(element)) {
        report('malformed', index, null, null, 'is not an object of column values');
        return;
      }
      const cells = element as Record<string, unknown>;
      // The first row stands for the header: a column it lacks is missing from the file.
      if (usable === null) {
        usable = true;
        for (const field of REQUIRED_FIELDS) {
          if (names[field] in cells) continue;
          report('missing_column', null, null, names[field], 'missing from the first row');
          usable = false;
        }
        if (names.cost in cells) tpCost = new Float64Array(tpTime.length);
        else if (settings.costRequired) {
          report('missing_column', null, null, names.cost, 'missing from the first row');
          usable = false;
        }
      }
      if (!usable) return;
      for (const field of REQUIRED_FIELDS) {
        if (!(names[field] in cells)) {
          report('missing_value', index, null, names[field], 'the row has no such key');
          return;
        }
      }
      const cell = (field: JourneyField): Cell => {
        const v = cells[names[field]];
        return v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)
          ? (v as Cell)
          : JSON.stringify(v);
      };
      addRow(
        index,
        null,
        cell('journeyId'),
        cell('timestamp'),
        cell('channel'),
        cell('converted'),
        cell('conversionValue'),
        tpCost !== null ? cell('cost') : undefined,
      );
    };
    return createJsonRowReader(onRow, (index, reason) => {
      rows = index;
      report('malformed', index, null, null, `is not valid JSON (${reason})`);
    });
  }

  let finished = false;
  return {
    push(chunk: string): void {
      if (finished) throw new Error('push after finish');
      reader.push(chunk);
    },
    finish(): JourneyParseResult {
      if (finished) throw new Error('finish called twice');
      finished = true;
      const problem = reader.finish();
      if (problem !== null) report('malformed', null, null, null, problem);
      if (rows === 0 && issueCount === 0) {
        report('empty_input', null, null, null, 'there are no data rows');
      }
      if (issueCount > 0) return { ok: false, issues, issueCount, rows };
      const table = groupByJourney(
        count,
        tpJourney,
        tpTime,
        tpChannel,
        tpCost,
        journeyIds,
        converted,
        value,
        channelNames,
      );
      return { ok: true, table, rows };
    },
  };
}

/** Parses a whole text at once (the same reader, one chunk). */
export function parseJourneys(
  text: string,
  options: JourneyParserOptions = {},
): JourneyParseResult {
  const parser = createJourneyParser(options);
  parser.push(text);
  return parser.finish();
}

/**
 * Touchpoints in input order -> the journey table: a counting sort by journey (stable, so
 * rows keep their input order), then each journey sorted by time; channels renamed to their
 * sorted order so that the table does not depend on the order of the rows.
 */
function groupByJourney(
  count: number,
  tpJourney: Uint32Array,
  tpTime: Float64Array,
  tpChannel: Uint32Array,
  tpCost: Float64Array | null,
  journeyIds: string[],
  convertedIn: Uint8Array,
  valueIn: Float64Array,
  channelNames: string[],
): JourneyTable {
  const journeys = journeyIds.length;
  const offsets = new Uint32Array(journeys + 1);
  for (let t = 0; t < count; t++) offsets[tpJourney[t] + 1]++;
  for (let j = 0; j < journeys; j++) offsets[j + 1] += offsets[j];

  const sortedNames = [...channelNames].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rename = new Uint32Array(channelNames.length);
  const position = new Map(sortedNames.map((name, k) => [name, k]));
  channelNames.forEach((name, k) => (rename[k] = position.get(name) as number));

  const cursor = offsets.slice(0, journeys);
  const timestamps = new Float64Array(count);
  const channelIndex = new Uint32Array(count);
  const cost = tpCost === null ? null : new Float64Array(count);
  for (let t = 0; t < count; t++) {
    const at = cursor[tpJourney[t]]++;
    timestamps[at] = tpTime[t];
    channelIndex[at] = rename[tpChannel[t]];
    if (cost !== null) cost[at] = (tpCost as Float64Array)[t];
  }
  for (let j = 0; j < journeys; j++) {
    sortByTime(offsets[j], offsets[j + 1], timestamps, channelIndex, cost);
  }
  return {
    channels: sortedNames,
    journeyIds,
    offsets,
    timestamps,
    channelIndex,
    cost,
    converted: convertedIn.slice(0, journeys),
    conversionValue: valueIn.slice(0, journeys),
  };
}

/** Stable sort of touchpoints [from, to) by time: insertion sort on short journeys. */
function sortByTime(
  from: number,
  to: number,
  time: Float64Array,
  channel: Uint32Array,
  cost: Float64Array | null,
): void {
  let sorted = true;
  for (let k = from + 1; k < to && sorted; k++) if (time[k] < time[k - 1]) sorted = false;
  if (sorted) return;
  if (to - from <= 32) {
    for (let k = from + 1; k < to; k++) {
      const t = time[k];
      const c = channel[k];
      const x = cost === null ? 0 : cost[k];
      let m = k - 1;
      for (; m >= from && time[m] > t; m--) {
        time[m + 1] = time[m];
        channel[m + 1] = channel[m];
        if (cost !== null) cost[m + 1] = cost[m];
      }
      time[m + 1] = t;
      channel[m + 1] = c;
      if (cost !== null) cost[m + 1] = x;
    }
    return;
  }
  // Long journeys: sort an index (ties by position keep the sort stable), then permute.
  const order = Array.from({ length: to - from }, (_, k) => from + k);
  order.sort((a, b) => time[a] - time[b] || a - b);
  const t = order.map((k) => time[k]);
  const c = order.map((k) => channel[k]);
  const x = cost === null ? null : order.map((k) => (cost as Float64Array)[k]);
  for (let k = 0; k < order.length; k++) {
    time[from + k] = t[k];
    channel[from + k] = c[k];
    if (cost !== null && x !== null) cost[from + k] = x[k];
  }
}
