import type {
  CanonicalTable,
  DatasetChannel,
  DatasetColumnRole,
  DatasetFrequency,
  DatasetKpiType,
  TableColumn,
} from '@mmm/platform';

// The table and the names of roles, KPI types and frequencies are the platform's dataset
// contract (other services read the stored table through it).
export type { CanonicalTable, TableColumn };
export type KpiType = DatasetKpiType;
export type Frequency = DatasetFrequency;
export type ColumnRole = DatasetColumnRole;

/**
 * How a file is written: wide (a column per channel), long (a row per date and channel, the
 * shape of ad-reporting marts) or an ad platform's own export (long, in its column names).
 */
export type SourceFormat =
  | 'CSV'
  | 'JSON'
  | 'LONG_CSV'
  | 'LONG_JSON'
  | 'GOOGLE_ADS_CSV'
  | 'META_ADS_CSV'
  | 'GA4_CSV';

/** Formats whose rows are dates x channels, pivoted to the wide table. */
export const LONG_FORMATS: ReadonlySet<SourceFormat> = new Set([
  'LONG_CSV',
  'LONG_JSON',
  'GOOGLE_ADS_CSV',
  'META_ADS_CSV',
  'GA4_CSV',
]);

/** The measures a long row may carry, besides its date and channel. */
export const LONG_METRICS = ['spend', 'impressions', 'clicks', 'conversions', 'revenue'] as const;
export type LongMetric = (typeof LONG_METRICS)[number];

/** The file's column for the date, the channel and each measure of a long row. */
export interface LongColumns {
  date: string;
  channel: string;
  spend: string;
  impressions: string;
  clicks: string;
  conversions: string;
  revenue: string;
}

export const DEFAULT_LONG_COLUMNS: LongColumns = {
  date: 'date',
  channel: 'channel',
  spend: 'spend',
  impressions: 'impressions',
  clicks: 'clicks',
  conversions: 'conversions',
  revenue: 'revenue',
};

/** How long rows become the wide table. */
export interface LongOptions {
  columns: LongColumns;
  /**
   * Platform or campaign-type names to model channels; several names may go to one channel
   * (their rows are summed). When not empty, a name it does not list is an error.
   */
  channelMap: Array<{ from: string; to: string }>;
  /** Which measure becomes each channel's exposure column. */
  exposure: 'NONE' | 'IMPRESSIONS' | 'CLICKS';
}

/** One row of the long format: what connectors and SQL sources return. */
export interface LongRow {
  /** YYYY-MM-DD. */
  date: string;
  channel: string;
  /** Absent where the source knows no cost (GA4): the channel is then organic. */
  spend?: number | null;
  impressions?: number | null;
  clicks?: number | null;
  conversions?: number | null;
  revenue?: number | null;
}

/** One paid channel: its spend column and, optionally, an exposure column (e.g. impressions). */
export interface PaidMediaRole {
  spend: string;
  exposure?: string | null;
  /** Channel name; defaults to the spend column's name. */
  channel?: string | null;
}

export interface ColumnRoles {
  date: string;
  kpi: string;
  kpiType: KpiType;
  paidMedia: PaidMediaRole[];
  organic?: string[] | null;
  controls?: string[] | null;
}

/** Everything that, with the file's bytes, decides what a dataset is (and so its id). */
export interface IngestOptions {
  format: SourceFormat;
  roles: ColumnRoles;
  /** Frequency of the rows in the file. */
  frequency: Frequency;
  /** Sum daily rows into weeks (controls are averaged); only for daily files. */
  aggregateToWeekly: boolean;
  /** Read empty spend, exposure and organic cells as 0 instead of rejecting them. */
  missingMediaAsZero: boolean;
  /** Long formats only: how the rows are pivoted (roles.paidMedia then comes from the data). */
  long?: LongOptions;
}

/**
 * One problem found in a file. `row` is the 1-based data row (the first row after
 * the header is row 1; for JSON, the first element of the array), null when the
 * problem is not about one row. `field` is the input path the problem belongs to.
 */
export interface Issue {
  row: number | null;
  column: string | null;
  field: string;
  message: string;
}

/** Channel of a dataset, as the model will see it. */
export type Channel = DatasetChannel;

export interface ColumnSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for fewer than two values. */
  sd: number;
  sum: number;
  /** Share of values equal to 0, between 0 and 1. */
  zeroShare: number;
  /** Cells that were empty in the file (read as 0 with missingMediaAsZero). */
  missingCount: number;
}

export interface ColumnDescription {
  name: string;
  role: ColumnRole;
  channel: string | null;
  /** Null for the date column. */
  summary: ColumnSummary | null;
}
