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

export type SourceFormat = 'CSV' | 'JSON';

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
