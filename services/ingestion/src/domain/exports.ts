import { calendarDay, formatIsoDay } from '@mmm/core';
import type { IssueList } from './issues';
import { readSource, type Cell, type SourceRow, type SourceTable } from './parse';
import type { LongMetric, SourceFormat } from './types';

// The CSV files people download from the ad platforms' own screens, read as they are: a report
// title above the header (Google Ads), comment lines (GA4), totals rows, thousands separators
// and currency symbols in numbers. Each becomes long rows under the canonical column names.

interface ExportLayout {
  /** The first header cell list that has all of these is the header. */
  headerHas: string[];
  date: string[];
  channel: string[];
  metrics: Partial<Record<LongMetric, Array<string | RegExp>>>;
  /** Dates as written: YYYYMMDD in GA4. */
  compactDates?: boolean;
}

export const EXPORT_LAYOUTS: Record<'GOOGLE_ADS_CSV' | 'META_ADS_CSV' | 'GA4_CSV', ExportLayout> = {
  // Google Ads > Reports, segmented by Day: "Day", "Campaign type", "Cost", "Impr.", ...
  GOOGLE_ADS_CSV: {
    headerHas: ['Day', 'Cost'],
    date: ['Day'],
    channel: ['Campaign type', 'Campaign'],
    metrics: {
      spend: ['Cost'],
      impressions: ['Impr.', 'Impressions'],
      clicks: ['Clicks'],
      conversions: ['Conversions'],
      revenue: ['Conv. value', 'Conversion value'],
    },
  },
  // Meta Ads Manager > Export table data, breakdown by Day: "Amount spent (USD)", ...
  META_ADS_CSV: {
    headerHas: ['Day'],
    date: ['Day'],
    channel: ['Platform', 'Campaign name'],
    metrics: {
      spend: [/^Amount spent \([A-Z]{3}\)$/, 'Amount spent'],
      impressions: ['Impressions'],
      clicks: ['Link clicks', 'Clicks (all)'],
      conversions: ['Purchases', 'Website purchases', 'Results'],
      revenue: ['Purchases conversion value', 'Website purchases conversion value'],
    },
  },
  // GA4 > Reports > Traffic acquisition, exported: "# ..." lines, then the table.
  GA4_CSV: {
    headerHas: ['Date'],
    date: ['Date'],
    channel: ['Session default channel group', 'Default channel group'],
    metrics: {
      impressions: ['Sessions'],
      conversions: ['Key events', 'Conversions'],
      revenue: ['Total revenue'],
    },
    compactDates: true,
  },
};

const MONTHS = 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ');

/** A date of an export as YYYY-MM-DD: ISO, YYYYMMDD (GA4), or "Jan 5, 2024" (English UI). */
export function exportDate(text: string, compact = false): string {
  const t = text.trim();
  if (compact && /^\d{8}$/.test(t)) return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}`;
  const named = /^([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4})$/.exec(t);
  if (named) {
    const month = MONTHS.indexOf(named[1].toLowerCase());
    const day = month < 0 ? null : calendarDay(Number(named[3]), month + 1, Number(named[2]));
    if (day !== null) return formatIsoDay(day);
  }
  return t;
}

/**
 * A number of an export as plain decimal text: currency symbols or codes, thousands separators
 * ("1,234.56"), "--" (no data: 0) handled; anything else is left for the validation to refuse.
 */
export function exportNumber(text: string): string {
  let t = text.trim().replace(/^[A-Z]{3}\s+/, '');
  t = t.replace(/^([+-]?)[$€£¥]\s?/, '$1');
  if (t === '--' || t === '—') return '0';
  if (/^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(t)) t = t.replace(/,/g, '');
  return t;
}

function findColumn(header: string[], names: Array<string | RegExp>): string | undefined {
  for (const name of names) {
    const found = header.find((h) => (typeof name === 'string' ? h === name : name.test(h)));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Blanks what is not the table: GA4's "#" lines and any title lines above the header. Blanked,
 * not removed, so that line numbers in messages are those of the file (empty lines are skipped).
 */
function tableText(content: string, layout: ExportLayout): string {
  const lines = content.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
  const start = lines.findIndex((line) =>
    layout.headerHas.every((name) =>
      line.split(',').some((cell) => cell.replace(/"/g, '').trim() === name),
    ),
  );
  return lines.map((line, i) => (i < start || line.startsWith('#') ? '' : line)).join('\n');
}

/**
 * Reads an export into long rows with the canonical columns (date, channel, spend, ...).
 * Totals rows ("Total: ...", "Grand total") are left out: they are sums, not days.
 */
export function readExport(
  content: string,
  format: SourceFormat,
  issues: IssueList,
): SourceTable | null {
  const layout = EXPORT_LAYOUTS[format as keyof typeof EXPORT_LAYOUTS];
  const table = readSource(tableText(content, layout), 'CSV', issues);
  if (table === null) return null;
  const date = findColumn(table.header, layout.date);
  const channel = findColumn(table.header, layout.channel);
  const missing = [
    ...(date === undefined ? [`date column (${layout.date.join(' or ')})`] : []),
    ...(channel === undefined ? [`channel column (${layout.channel.join(' or ')})`] : []),
  ];
  const sources: Array<[LongMetric, string]> = [];
  for (const [metric, names] of Object.entries(layout.metrics) as Array<
    [LongMetric, Array<string | RegExp>]
  >) {
    const column = findColumn(table.header, names);
    if (column !== undefined) sources.push([metric, column]);
    else if (metric === 'spend') missing.push(`cost column (${names.map(String).join(' or ')})`);
  }
  if (missing.length > 0) {
    issues.add({
      row: null,
      column: null,
      field: 'content',
      message: `This is not a ${format} export: it has no ${missing.join(', ')}.`,
    });
    return null;
  }
  const header = ['date', 'channel', ...sources.map(([metric]) => metric)];
  const rows: SourceRow[] = [];
  for (const row of table.rows) {
    const day = String(row.cells.get(date as string) ?? '');
    const name = String(row.cells.get(channel as string) ?? '').trim();
    if (/^(total|grand total)\b/i.test(day.trim()) || /^(total|grand total)\b/i.test(name)) {
      continue;
    }
    if (day.trim() === '' && name === '') continue;
    const cells = new Map<string, Cell>([
      ['date', exportDate(day, layout.compactDates)],
      ['channel', name],
    ]);
    for (const [metric, column] of sources) {
      cells.set(metric, exportNumber(String(row.cells.get(column) ?? '')));
    }
    rows.push({ place: row.place, cells });
  }
  return { header, rows };
}
