import { formatDay, parseDay } from './dates';
import { readExport } from './exports';
import { describeRow, IssueList, type RowPlace } from './issues';
import { readNumber } from './numbers';
import { readSource, type Cell, type SourceRow, type SourceTable } from './parse';
import { failed, prepareSource, type PrepareResult } from './prepare';
import {
  DEFAULT_LONG_COLUMNS,
  LONG_METRICS,
  type IngestOptions,
  type LongMetric,
  type LongOptions,
  type PaidMediaRole,
} from './types';

/** The pivot's options with every default written out (the id hashes these). */
export function resolveLongOptions(long: Partial<LongOptions> | undefined): LongOptions {
  return {
    columns: { ...DEFAULT_LONG_COLUMNS, ...(long?.columns ?? {}) },
    channelMap: [...(long?.channelMap ?? [])],
    exposure: long?.exposure ?? 'IMPRESSIONS',
  };
}

interface ChannelDay {
  sums: Record<LongMetric, number>;
  /** Which measures some row of this channel and day carried. */
  seen: Set<LongMetric>;
}

interface Pivot {
  /** Day number -> the first long row with that day. */
  days: Map<number, RowPlace>;
  /** Model channel -> day -> sums. */
  channels: Map<string, Map<number, ChannelDay>>;
  /** Measures some row carried, over the whole file. */
  measures: Set<LongMetric>;
}

const METRIC_FIELD = (metric: LongMetric | 'date' | 'channel') => `long.columns.${metric}`;

/**
 * Parses a long file (or an ad platform's export), pivots it to the wide table and validates
 * that as any wide file. `series` holds the KPI and controls (wide rows, same format family);
 * without it the KPI is the sum over channels of the rows' revenue (REVENUE) or conversions
 * (CONVERSIONS). Problems of the long rows name their row in the long file.
 */
export function prepareLongDataset(
  content: string,
  series: string | null | undefined,
  options: IngestOptions,
): PrepareResult {
  const issues = new IssueList();
  const long = resolveLongOptions(options.long);
  const source =
    options.format === 'LONG_CSV' || options.format === 'LONG_JSON'
      ? readSource(content, options.format === 'LONG_JSON' ? 'JSON' : 'CSV', issues)
      : readExport(content, options.format, issues);
  if (source === null) return failed(issues);
  // An export's reader already names its columns canonically.
  const columns = options.format.startsWith('LONG_') ? long.columns : DEFAULT_LONG_COLUMNS;
  const pivot = pivotRows(source, { ...long, columns }, issues);

  const seriesTable =
    series === null || series === undefined || series.trim() === ''
      ? null
      : readSource(series, options.format === 'LONG_JSON' ? 'JSON' : 'CSV', issues);
  if (series && seriesTable === null) return failed(issues);

  const wide = widen(pivot, seriesTable, options, long, issues);
  if (wide === null) return failed(issues);
  const result = prepareSource(wide.table, { ...options, roles: wide.roles }, issues);
  if (result.ok) result.dataset.kpiColumn = options.roles.kpi;
  return result;
}

/** Reads every long row: date, channel (mapped), measures; reports each bad cell on its row. */
function pivotRows(source: SourceTable, long: LongOptions, issues: IssueList): Pivot {
  const { columns } = long;
  const header = new Set(source.header);
  const present = (metric: LongMetric) => header.has(columns[metric]);
  // Without a cost column (GA4 reports traffic) every channel is organic: its sessions.
  for (const key of ['date', 'channel'] as const) {
    if (!header.has(columns[key])) {
      issues.add({
        row: null,
        column: columns[key],
        field: METRIC_FIELD(key),
        message: `Column "${columns[key]}" (the ${key} of each long row) is not in the file.`,
      });
    }
  }
  const mapping = new Map(long.channelMap.map((m) => [m.from.trim(), m.to.trim()]));
  const pivot: Pivot = { days: new Map(), channels: new Map(), measures: new Set() };
  const firstSeen = new Map<string, RowPlace>();
  const metrics = LONG_METRICS.filter(present);
  for (const metric of metrics) pivot.measures.add(metric);
  if (!header.has(columns.date) || !header.has(columns.channel)) return pivot;

  for (const row of source.rows) {
    const at = (column: string) => `${describeRow(row.place)}, column "${column}"`;
    const dateText = text(row.cells.get(columns.date));
    const day = parseDay(dateText);
    if (day === null) {
      issues.add({
        row: row.place.row,
        column: columns.date,
        field: METRIC_FIELD('date'),
        message:
          dateText === ''
            ? `${at(columns.date)}: the date is missing.`
            : `${at(columns.date)}: "${dateText}" is not a date; write dates as YYYY-MM-DD.`,
      });
    }
    const name = text(row.cells.get(columns.channel));
    if (name === '') {
      issues.add({
        row: row.place.row,
        column: columns.channel,
        field: METRIC_FIELD('channel'),
        message: `${at(columns.channel)}: the channel is missing.`,
      });
    }
    let channel: string | undefined = name;
    if (name !== '' && mapping.size > 0) {
      channel = mapping.get(name);
      if (channel === undefined) {
        issues.add({
          row: row.place.row,
          column: columns.channel,
          field: 'long.channelMap',
          message: `${at(columns.channel)}: channel "${name}" is not in long.channelMap (it maps ${[...mapping.keys()].map((k) => `"${k}"`).join(', ')}).`,
        });
      }
    }
    if (day !== null && name !== '') {
      // Two rows of one source channel on one day: the mart double-counts (or is not a mart).
      const key = `${day}\u0000${name}`;
      const earlier = firstSeen.get(key);
      if (earlier !== undefined) {
        issues.add({
          row: row.place.row,
          column: columns.channel,
          field: 'content',
          message: `${describeRow(row.place)}: channel "${name}" on ${formatDay(day)} is repeated (first on ${describeRow(earlier)}).`,
        });
        continue;
      }
      firstSeen.set(key, row.place);
    }
    const values = readMeasures(row, metrics, columns, issues);
    if (day === null || channel === undefined || channel === '' || values === null) continue;
    if (!pivot.days.has(day)) pivot.days.set(day, row.place);
    let byDay = pivot.channels.get(channel);
    if (byDay === undefined) pivot.channels.set(channel, (byDay = new Map()));
    let cell = byDay.get(day);
    if (cell === undefined) {
      cell = {
        sums: { spend: 0, impressions: 0, clicks: 0, conversions: 0, revenue: 0 },
        seen: new Set(),
      };
      byDay.set(day, cell);
    }
    for (const [metric, value] of values) {
      cell.sums[metric] += value;
      cell.seen.add(metric);
    }
  }
  return pivot;
}

function text(cell: Cell): string {
  return cell === null || cell === undefined ? '' : String(cell).trim();
}

/** The row's measures; spend is required, other measures read an empty cell as 0. */
function readMeasures(
  row: SourceRow,
  metrics: LongMetric[],
  columns: LongOptions['columns'],
  issues: IssueList,
): Array<[LongMetric, number]> | null {
  const out: Array<[LongMetric, number]> = [];
  let ok = true;
  for (const metric of metrics) {
    const column = columns[metric];
    const read = readNumber(row.cells.get(column));
    const report = (message: string) => {
      ok = false;
      issues.add({
        row: row.place.row,
        column,
        field: METRIC_FIELD(metric),
        message: `${describeRow(row.place)}, column "${column}": ${message}`,
      });
    };
    if (read.kind === 'missing') {
      if (metric === 'spend') report('spend is missing (write 0 if there was none).');
      continue;
    }
    if (read.kind === 'invalid') {
      report(`${metric} "${read.text}" is not a number${read.hint}.`);
      continue;
    }
    if (read.value < 0) {
      report(`${metric} is negative (${read.value}); it must be 0 or more.`);
      continue;
    }
    out.push([metric, read.value]);
  }
  return ok ? out : null;
}

const EXPOSURE: Record<LongOptions['exposure'], LongMetric | null> = {
  NONE: null,
  IMPRESSIONS: 'impressions',
  CLICKS: 'clicks',
};

/**
 * The wide table: a spend column per model channel (named after it) and its exposure column,
 * on the series' rows (or one row per day of the long file), and the roles that name them. A
 * channel with no row on a day spent nothing that day.
 */
function widen(
  pivot: Pivot,
  series: SourceTable | null,
  options: IngestOptions,
  long: LongOptions,
  issues: IssueList,
): { table: SourceTable; roles: IngestOptions['roles'] } | null {
  const { roles } = options;
  if (roles.paidMedia.length > 0) {
    issues.add({
      row: null,
      column: null,
      field: 'roles.paidMedia',
      message:
        'roles.paidMedia must be empty for long formats: the channels come from the rows (map or group them with long.channelMap).',
    });
  }
  const exposure = EXPOSURE[long.exposure];
  const paidOf = (name: string) =>
    [...(pivot.channels.get(name)?.values() ?? [])].some((cell) => cell.seen.has('spend'));
  const all = [...pivot.channels.keys()].sort();
  const names = all.filter(paidOf);
  // A channel no row gives a cost for (GA4's channel groups) is organic: its visits.
  const organic = all.filter((name) => !paidOf(name));
  const paidMedia: PaidMediaRole[] = names.map((name) => ({
    spend: name,
    exposure: exposure !== null && pivot.measures.has(exposure) ? `${name} ${exposure}` : null,
    channel: name,
  }));
  const kpiMetric: LongMetric = roles.kpiType === 'REVENUE' ? 'revenue' : 'conversions';
  if (series === null && !pivot.measures.has(kpiMetric)) {
    issues.add({
      row: null,
      column: null,
      field: 'long.series',
      message: `Without long.series the KPI is the sum of the rows' ${kpiMetric}, and the file has no "${long.columns[kpiMetric]}" column.`,
    });
  }
  const made = new Set([
    ...paidMedia.flatMap((m) => (m.exposure ? [m.spend, m.exposure] : [m.spend])),
    ...organic,
  ]);
  for (const name of series?.header ?? []) {
    if (made.has(name)) {
      issues.add({
        row: null,
        column: name,
        field: 'long.series',
        message: `Column "${name}" of long.series has the name of a channel column made from the long rows; rename it.`,
      });
    }
  }
  if (!issues.empty) return null;

  const fill = (cells: Map<string, Cell>, day: number) => {
    for (const media of paidMedia) {
      const cell = pivot.channels.get(media.spend as string)?.get(day);
      cells.set(media.spend, cell?.sums.spend ?? 0);
      if (media.exposure) cells.set(media.exposure, cell?.sums[exposure as LongMetric] ?? 0);
    }
    for (const name of organic) {
      cells.set(name, pivot.channels.get(name)?.get(day)?.sums.impressions ?? 0);
    }
  };
  const channelHeader = [
    ...paidMedia.flatMap((m) => (m.exposure ? [m.spend, m.exposure] : [m.spend])),
    ...organic,
  ];
  let rows: SourceRow[];
  let header: string[];
  if (series === null) {
    header = [roles.date, roles.kpi, ...channelHeader];
    rows = [...pivot.days.entries()].map(([day, place]) => {
      const cells = new Map<string, Cell>([[roles.date, formatDay(day)]]);
      let kpi = 0;
      for (const byDay of pivot.channels.values()) kpi += byDay.get(day)?.sums[kpiMetric] ?? 0;
      cells.set(roles.kpi, kpi);
      fill(cells, day);
      return { place, cells };
    });
  } else {
    header = [...series.header, ...channelHeader];
    const seriesDays = new Set<number>();
    rows = series.rows.map((row) => {
      const cells = new Map(row.cells);
      const day = parseDay(text(cells.get(roles.date)));
      if (day !== null) {
        seriesDays.add(day);
        fill(cells, day);
      }
      return { place: row.place, cells };
    });
    for (const [day, place] of pivot.days) {
      if (seriesDays.has(day)) continue;
      issues.add({
        row: place.row,
        column: long.columns.date,
        field: 'long.series',
        message: `${describeRow(place)}: ${formatDay(day)} has media rows but long.series has no row for that date.`,
      });
    }
    if (!issues.empty) return null;
  }
  return {
    table: { header, rows },
    roles: { ...roles, paidMedia, organic: [...(roles.organic ?? []), ...organic] },
  };
}
