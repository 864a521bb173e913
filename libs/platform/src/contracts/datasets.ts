import type { WorkspaceStorage } from '../storage';

// The dataset as other services read it: the normalized table in the object store and the part
// of the catalog record in KV they rely on. Ingestion writes both (it adds fields of its own to
// the record); modeling, attribution and reporting read them through this module only.

/** What the KPI column measures; conversions turn ROAS into CPA downstream. */
export type DatasetKpiType = 'REVENUE' | 'CONVERSIONS';

/** How often the rows of a dataset are observed. */
export type DatasetFrequency = 'DAILY' | 'WEEKLY';

/** The part a column plays in the model. */
export type DatasetColumnRole =
  | 'DATE'
  | 'KPI'
  | 'PAID_SPEND'
  | 'PAID_EXPOSURE'
  | 'ORGANIC'
  | 'CONTROL';

/** Kinds of the catalog's KV documents and stored files (`<workspace>.<kind>.<id>`). */
export const DATASET_KINDS = {
  dataset: 'dataset',
  raw: 'dataset-raw',
  table: 'dataset-table',
} as const;

export interface TableColumn {
  name: string;
  role: Exclude<DatasetColumnRole, 'DATE'>;
  /** The paid or organic channel this column belongs to. */
  channel: string | null;
  values: number[];
}

/** The normalized table: one row per period, sorted by date, numbers only. */
export interface CanonicalTable {
  frequency: DatasetFrequency;
  /** ISO dates (YYYY-MM-DD); for aggregated weeks, the week's first day. */
  dates: string[];
  columns: TableColumn[];
}

/** The normalized table as stored (JSON) in the object store. */
export interface StoredTable extends CanonicalTable {
  schemaVersion: 1;
  datasetId: string;
}

/** A paid channel: its spend column and, optionally, its exposure column. */
export interface DatasetChannel {
  name: string;
  spendColumn: string;
  exposureColumn: string | null;
}

/** The fields of a dataset's catalog record (KV, kind 'dataset') that readers rely on. */
export interface DatasetDescriptor {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  name: string;
  status: 'ACTIVE' | 'DELETED';
  kpiType: DatasetKpiType;
  kpiColumn: string;
  frequency: DatasetFrequency;
  channels: DatasetChannel[];
  organic: string[];
  controls: string[];
  periodCount: number;
  startDate: string;
  endDate: string;
  /** SHA-256 of the raw file, hex. */
  contentSha256: string;
  /** Id (within kind 'dataset-table') of the normalized table in the object store. */
  tableFile: string;
}

/** A stored dataset that does not have the contract's shape (names where and what). */
export class DatasetContractError extends Error {
  override readonly name = 'DatasetContractError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`stored dataset does not follow the contract: ${path}: ${problem}`);
  }
}

type Json = unknown;

function fail(path: string, problem: string): never {
  throw new DatasetContractError(path, problem);
}

function record(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, Json>;
}

function text(v: Json, path: string): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v;
}

function oneOf<T extends string>(v: Json, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(path, `expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function list(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}

const ROLES = ['KPI', 'PAID_SPEND', 'PAID_EXPOSURE', 'ORGANIC', 'CONTROL'] as const;
const FREQUENCIES = ['DAILY', 'WEEKLY'] as const;

/**
 * Reads a stored table (the object's bytes or parsed JSON) and checks its shape: every column as
 * long as the dates, finite numbers only.
 */
export function parseStoredTable(input: Uint8Array | Json): StoredTable {
  let raw: Json = input;
  if (input instanceof Uint8Array) {
    try {
      raw = JSON.parse(new TextDecoder().decode(input)) as Json;
    } catch {
      fail('(root)', 'not JSON');
    }
  }
  const root = record(raw, '(root)');
  if (root.schemaVersion !== 1) fail('schemaVersion', 'expected 1');
  const dates = list(root.dates, 'dates').map((d, i) => text(d, `dates[${i}]`));
  const columns = list(root.columns, 'columns').map((c, j): TableColumn => {
    const path = `columns[${j}]`;
    const column = record(c, path);
    const values = list(column.values, `${path}.values`);
    if (values.length !== dates.length) {
      fail(`${path}.values`, `expected ${dates.length} values, got ${values.length}`);
    }
    values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        fail(`${path}.values[${i}]`, 'expected a finite number');
      }
    });
    return {
      name: text(column.name, `${path}.name`),
      role: oneOf(column.role, `${path}.role`, ROLES),
      channel: column.channel === null ? null : text(column.channel, `${path}.channel`),
      values: values as number[],
    };
  });
  return {
    schemaVersion: 1,
    datasetId: text(root.datasetId, 'datasetId'),
    frequency: oneOf(root.frequency, 'frequency', FREQUENCIES),
    dates,
    columns,
  };
}

/** Reads the contract's fields of a catalog record (other fields are left out). */
export function parseDatasetDescriptor(value: Json): DatasetDescriptor {
  const root = record(value, '(record)');
  if (root.schemaVersion !== 1) fail('schemaVersion', 'expected 1');
  const strings = (v: Json, path: string) => list(v, path).map((x, i) => text(x, `${path}[${i}]`));
  const periodCount = root.periodCount;
  if (typeof periodCount !== 'number' || !Number.isInteger(periodCount) || periodCount < 1) {
    fail('periodCount', 'expected a positive integer');
  }
  return {
    schemaVersion: 1,
    id: text(root.id, 'id'),
    workspaceId: text(root.workspaceId, 'workspaceId'),
    name: text(root.name, 'name'),
    status: oneOf(root.status, 'status', ['ACTIVE', 'DELETED'] as const),
    kpiType: oneOf(root.kpiType, 'kpiType', ['REVENUE', 'CONVERSIONS'] as const),
    kpiColumn: text(root.kpiColumn, 'kpiColumn'),
    frequency: oneOf(root.frequency, 'frequency', FREQUENCIES),
    channels: list(root.channels, 'channels').map((c, i) => {
      const channel = record(c, `channels[${i}]`);
      return {
        name: text(channel.name, `channels[${i}].name`),
        spendColumn: text(channel.spendColumn, `channels[${i}].spendColumn`),
        exposureColumn:
          channel.exposureColumn === null || channel.exposureColumn === undefined
            ? null
            : text(channel.exposureColumn, `channels[${i}].exposureColumn`),
      };
    }),
    organic: strings(root.organic, 'organic'),
    controls: strings(root.controls, 'controls'),
    periodCount,
    startDate: text(root.startDate, 'startDate'),
    endDate: text(root.endDate, 'endDate'),
    contentSha256: text(root.contentSha256, 'contentSha256'),
    tableFile: text(root.tableFile, 'tableFile'),
  };
}

type DatasetStorage = Pick<WorkspaceStorage, 'kv' | 'files'>;

/** The active dataset of a workspace, or null when it is absent or deleted. */
export async function readDataset(
  storage: DatasetStorage,
  id: string,
): Promise<DatasetDescriptor | null> {
  const value = await storage.kv.datasets.get<unknown>(DATASET_KINDS.dataset, id);
  if (value === null) return null;
  const descriptor = parseDatasetDescriptor(value);
  return descriptor.status === 'ACTIVE' ? descriptor : null;
}

/** The normalized table of a dataset; DatasetContractError when it is missing or malformed. */
export async function readDatasetTable(
  storage: DatasetStorage,
  dataset: Pick<DatasetDescriptor, 'id' | 'tableFile'>,
): Promise<StoredTable> {
  const bytes = await storage.files.get(DATASET_KINDS.table, dataset.tableFile);
  if (bytes === null)
    fail(`table ${dataset.tableFile}`, `the table of dataset ${dataset.id} is missing`);
  return parseStoredTable(bytes);
}
