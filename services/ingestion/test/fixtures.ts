import type { IngestOptions } from '../src/domain';

/** A day number's ISO date, for building files in tests. */
export function isoDate(start: string, plusDays: number): string {
  const ms = Date.parse(`${start}T00:00:00Z`) + plusDays * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

export interface FileRow {
  date: string;
  revenue: string;
  tv: string;
  search: string;
  search_clicks: string;
  newsletter: string;
  price: string;
}

/** Rows of a plausible weekly (or daily, step 1) file whose every column varies. */
export function fileRows(periods: number, step = 7, start = '2024-01-01'): FileRow[] {
  return Array.from({ length: periods }, (_, i) => ({
    date: isoDate(start, i * step),
    revenue: String(1000 + 37 * i + (i % 5) * 11),
    tv: String(100 + (i % 7) * 10),
    search: String(50 + (i % 3) * 5),
    search_clicks: String(500 + i * 3),
    newsletter: String(i % 4),
    price: (9.5 + (i % 2) * 0.5).toFixed(2),
  }));
}

export const HEADER: (keyof FileRow)[] = [
  'date',
  'revenue',
  'tv',
  'search',
  'search_clicks',
  'newsletter',
  'price',
];

export function toCsvText(rows: FileRow[], header: string[] = HEADER): string {
  const lines = rows.map((row) => header.map((h) => (row as unknown as Record<string, string>)[h]));
  return [header.join(','), ...lines.map((l) => l.join(','))].join('\n') + '\n';
}

export function weeklyOptions(overrides: Partial<IngestOptions> = {}): IngestOptions {
  return {
    format: 'CSV',
    frequency: 'WEEKLY',
    aggregateToWeekly: false,
    missingMediaAsZero: false,
    roles: {
      date: 'date',
      kpi: 'revenue',
      kpiType: 'REVENUE',
      paidMedia: [{ spend: 'tv' }, { spend: 'search', exposure: 'search_clicks' }],
      organic: ['newsletter'],
      controls: ['price'],
    },
    ...overrides,
  };
}
