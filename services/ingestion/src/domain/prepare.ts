import { aggregateToWeekly } from './aggregate';
import { daysPerPeriod, formatDay, parseDay } from './dates';
import { describeRow, IssueList, type RowPlace } from './issues';
import { readNumber } from './numbers';
import { readSource, type SourceRow, type SourceTable } from './parse';
import { resolveRoles, type RoleColumn } from './roles';
import { summarize } from './stats';
import type {
  CanonicalTable,
  Channel,
  ColumnDescription,
  Frequency,
  IngestOptions,
  Issue,
  KpiType,
} from './types';

/** Fewest periods any dataset may have: half a year of weeks, enough to see carryover. */
export const MIN_PERIODS = 26;
/**
 * Periods needed per explanatory variable (paid channel, organic channel, control).
 * Half the usual 10:1 rule of thumb for regression, because the ridge penalty
 * shrinks the effective number of parameters; below this, fits are noise.
 */
export const PERIODS_PER_VARIABLE = 5;

export function minimumPeriods(variables: number): number {
  return Math.max(MIN_PERIODS, PERIODS_PER_VARIABLE * variables);
}

/** A validated, normalized dataset, ready to store. */
export interface PreparedDataset {
  table: CanonicalTable;
  /** The date column, then every numeric column, with summary statistics. */
  columns: ColumnDescription[];
  dateColumn: string;
  kpiColumn: string;
  kpiType: KpiType;
  channels: Channel[];
  organic: string[];
  controls: string[];
  sourceFrequency: Frequency;
  frequency: Frequency;
  periodCount: number;
  startDate: string;
  endDate: string;
  /** Columns of the file that no role names; they are kept in the raw file only. */
  ignoredColumns: string[];
  warnings: string[];
}

export type PrepareResult =
  | { ok: true; dataset: PreparedDataset }
  | { ok: false; issues: Issue[]; issueCount: number };

interface DatedRow {
  day: number;
  source: SourceRow;
}

/**
 * Parses, validates and normalizes a file. Every problem is collected (the
 * first MAX_LISTED_ISSUES listed, all counted); there is a table only when
 * there is no problem at all.
 */
export function prepareDataset(content: string, options: IngestOptions): PrepareResult {
  const issues = new IssueList();
  const source = readSource(content, options.format === 'JSON' ? 'JSON' : 'CSV', issues);
  if (source === null) return failed(issues);
  return prepareSource(source, options, issues);
}

/**
 * Validates and normalizes rows already read (a wide file, or the wide table a long file was
 * pivoted to), adding to the problems found so far.
 */
export function prepareSource(
  source: SourceTable,
  options: IngestOptions,
  issues: IssueList,
): PrepareResult {
  if (options.aggregateToWeekly && options.frequency !== 'DAILY') {
    issues.add({
      row: null,
      column: null,
      field: 'aggregateToWeekly',
      message: 'aggregateToWeekly applies to DAILY data only; the frequency given is WEEKLY.',
    });
  }

  const roles = resolveRoles(options.roles, source.header, issues);
  if (source.rows.length === 0) {
    issues.add({
      row: null,
      column: null,
      field: 'content',
      message: 'The file has no data rows.',
    });
  }

  const undated: number[] = [];
  const dated = roles.date.present ? readDates(source.rows, roles.date.name, issues, undated) : [];
  const values = new Map<string, number[]>();
  const missing = new Map<string, number>();
  for (const column of roles.columns) {
    if (!column.present) continue;
    const read = readColumn(source.rows, column, options.missingMediaAsZero, issues);
    values.set(column.name, read.values);
    missing.set(column.name, read.missing);
    checkConstant(column, read.values, issues);
  }

  const ordered = checkSeries(dated, roles.date.name, options.frequency, issues, undated);
  const periods = options.aggregateToWeekly ? Math.floor(spanInDays(ordered) / 7) : ordered.length;
  const variables = roles.channels.length + roles.organic.length + roles.controls.length;
  const needed = minimumPeriods(variables);
  if (ordered.length > 0 && periods < needed) {
    const unit = options.aggregateToWeekly
      ? 'weekly (after aggregation)'
      : options.frequency.toLowerCase();
    issues.add({
      row: null,
      column: null,
      field: 'content',
      message:
        `Too few periods: ${periods} ${unit} periods for ${variables} explanatory variables ` +
        `(${roles.channels.length} paid, ${roles.organic.length} organic, ${roles.controls.length} control); ` +
        `at least ${needed} are needed (the rule: at least ${MIN_PERIODS} periods and ` +
        `${PERIODS_PER_VARIABLE} per variable).`,
    });
  }
  if (!issues.empty) return failed(issues);

  // Valid from here on: every role column is present and every cell a number.
  const rowIndex = new Map(source.rows.map((row, i) => [row, i]));
  const order = ordered.map((r) => rowIndex.get(r.source) as number);
  let table: CanonicalTable = {
    frequency: options.frequency,
    dates: ordered.map((r) => formatDay(r.day)),
    columns: roles.columns.map((column) => {
      const all = values.get(column.name) as number[];
      return {
        name: column.name,
        role: column.role,
        channel: column.channel,
        values: order.map((i) => all[i]),
      };
    }),
  };
  const warnings: string[] = [];
  if (options.aggregateToWeekly) {
    const weekly = aggregateToWeekly(table);
    table = weekly.table;
    const dropped = weekly.droppedDays;
    if (dropped.length > 0) {
      warnings.push(
        `The last ${dropped.length} day(s) (${dropped[0]} to ${dropped[dropped.length - 1]}) ` +
          'do not fill a week and were left out of the weekly table.',
      );
    }
  }

  const claimed = new Set([roles.date.name, ...roles.columns.map((c) => c.name)]);
  const columns: ColumnDescription[] = [
    { name: roles.date.name, role: 'DATE', channel: null, summary: null },
    ...table.columns.map((column) => ({
      name: column.name,
      role: column.role,
      channel: column.channel,
      summary: summarize(column.values, missing.get(column.name) ?? 0),
    })),
  ];
  return {
    ok: true,
    dataset: {
      table,
      columns,
      dateColumn: roles.date.name,
      kpiColumn: options.roles.kpi,
      kpiType: options.roles.kpiType,
      channels: roles.channels,
      organic: roles.organic,
      controls: roles.controls,
      sourceFrequency: options.frequency,
      frequency: table.frequency,
      periodCount: table.dates.length,
      startDate: table.dates[0],
      endDate: table.dates[table.dates.length - 1],
      ignoredColumns: source.header.filter((name) => name !== '' && !claimed.has(name)),
      warnings,
    },
  };
}

export function failed(issues: IssueList): PrepareResult {
  return { ok: false, issues: issues.listed, issueCount: issues.total };
}

function at(place: RowPlace, column: string): string {
  return `${describeRow(place)}, column "${column}"`;
}

/** Reads the date column; rows whose date is missing or unreadable go to `undated`. */
function readDates(
  rows: SourceRow[],
  column: string,
  issues: IssueList,
  undated: number[],
): DatedRow[] {
  const dated: DatedRow[] = [];
  for (const row of rows) {
    const cell = row.cells.get(column);
    const text = cell === null || cell === undefined ? '' : String(cell).trim();
    const day = typeof cell === 'string' ? parseDay(cell) : null;
    if (day === null) undated.push(row.place.row);
    if (text === '') {
      issues.add({
        row: row.place.row,
        column,
        field: 'roles.date',
        message: `${at(row.place, column)}: the date is missing.`,
      });
    } else if (day === null) {
      issues.add({
        row: row.place.row,
        column,
        field: 'roles.date',
        message: `${at(row.place, column)}: "${text}" is not a date; write dates as YYYY-MM-DD.`,
      });
    } else {
      dated.push({ day, source: row });
    }
  }
  return dated;
}

const WHAT: Record<RoleColumn['role'], string> = {
  KPI: 'the KPI',
  PAID_SPEND: 'spend',
  PAID_EXPOSURE: 'exposure',
  ORGANIC: 'the organic value',
  CONTROL: 'the control value',
};

/** Reads one role column; invalid cells are reported and stand as NaN. */
function readColumn(
  rows: SourceRow[],
  column: RoleColumn,
  missingMediaAsZero: boolean,
  issues: IssueList,
): { values: number[]; missing: number } {
  const what = WHAT[column.role];
  const isMedia = column.role !== 'KPI' && column.role !== 'CONTROL';
  const report = (place: RowPlace, message: string) =>
    issues.add({
      row: place.row,
      column: column.name,
      field: column.field,
      message: `${at(place, column.name)}: ${message}`,
    });
  let missing = 0;
  const values = rows.map((row) => {
    const read = readNumber(row.cells.get(column.name));
    if (read.kind === 'missing') {
      if (isMedia && missingMediaAsZero) {
        missing += 1;
        return 0;
      }
      const hint = isMedia ? ' (write 0 if there was none, or set missingMediaAsZero)' : '';
      report(row.place, `${what} is missing${hint}.`);
      return Number.NaN;
    }
    if (read.kind === 'invalid') {
      report(row.place, `${what} "${read.text}" is not a number${read.hint}.`);
      return Number.NaN;
    }
    if (read.value < 0 && column.role !== 'CONTROL') {
      report(row.place, `${what} is negative (${read.value}); it must be 0 or more.`);
      return Number.NaN;
    }
    return read.value;
  });
  return { values, missing };
}

function checkConstant(column: RoleColumn, values: number[], issues: IssueList): void {
  const valid = values.filter((v) => !Number.isNaN(v));
  if (valid.length < 2 || valid.some((v) => v !== valid[0])) return;
  issues.add({
    row: null,
    column: column.name,
    field: column.field,
    message:
      `Column "${column.name}" is constant (every row is ${valid[0]}); ` +
      'a column that never changes tells the model nothing.',
  });
}

/**
 * Sorts the dated rows and reports repeated dates and breaks in the series.
 * Rows may come in any order. A gap around a row whose date could not be read
 * is most likely that row, already reported, so it is not reported again.
 * Returns the rows in date order, one per date.
 */
function checkSeries(
  dated: DatedRow[],
  column: string,
  frequency: Frequency,
  issues: IssueList,
  undated: number[],
): DatedRow[] {
  const sorted = [...dated].sort(
    (a, b) => a.day - b.day || a.source.place.row - b.source.place.row,
  );
  const unique: DatedRow[] = [];
  for (const row of sorted) {
    const previous = unique[unique.length - 1];
    if (previous !== undefined && previous.day === row.day) {
      issues.add({
        row: row.source.place.row,
        column,
        field: 'roles.date',
        message:
          `${at(row.source.place, column)}: date ${formatDay(row.day)} is repeated ` +
          `(first on ${describeRow(previous.source.place)}).`,
      });
    } else {
      unique.push(row);
    }
  }
  const step = daysPerPeriod(frequency);
  const unit = frequency === 'DAILY' ? 'day' : 'week';
  for (let i = 1; i < unique.length; i += 1) {
    const [before, after] = [unique[i - 1], unique[i]];
    const apart = after.day - before.day;
    if (apart === step) continue;
    const [low, high] = [before.source.place.row, after.source.place.row].sort((a, b) => a - b);
    if (undated.some((row) => row > low && row < high)) continue;
    const between =
      `${formatDay(before.day)} (${describeRow(before.source.place)}) and ` +
      `${formatDay(after.day)} (${describeRow(after.source.place)})`;
    const message =
      apart % step === 0
        ? `Gap in the ${frequency.toLowerCase()} series between ${between}: ` +
          `${apart / step - 1} ${unit}(s) missing.`
        : `Dates ${between} are ${apart} days apart; ${frequency.toLowerCase()} rows must be ` +
          `${step} day(s) apart.`;
    issues.add({ row: after.source.place.row, column, field: 'roles.date', message });
  }
  return unique;
}

function spanInDays(ordered: DatedRow[]): number {
  return ordered.length === 0 ? 0 : ordered[ordered.length - 1].day - ordered[0].day + 1;
}
