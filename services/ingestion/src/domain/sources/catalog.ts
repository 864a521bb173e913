import { randomBytes } from 'node:crypto';
import {
  NotFoundError,
  RevisionConflictError,
  ValidationError,
  type FailureCode,
  type Logger,
} from '@mmm/platform';
import {
  DatasetValidationError,
  type DatasetCatalog,
  type DatasetRecord,
  type MetadataStore,
  type RequestScope,
} from '../catalog';
import { formatDay, parseDay } from '../dates';
import { resolveLongOptions } from '../long';
import type { KpiType, LongOptions, LongRow } from '../types';
import type { SourceKind, SourceSpec } from './connectors';
import { isSourceError, type SourceIssue } from './errors';
import type { Connector, DateRange } from './types';

/** KV kind of sources (`<workspace>.source.<id>` in the datasets bucket). */
export const SOURCE_KIND = 'source';

export interface PullRecord {
  status: 'SUCCEEDED' | 'FAILED';
  at: string;
  startDate: string;
  endDate: string;
  rows: number;
  durationMs: number;
  /** The dataset the pull made (or found unchanged); null when it failed. */
  datasetId: string | null;
  /** False when the data was the same as a stored version (nothing new announced). */
  created: boolean;
  failureCode: FailureCode | null;
  message: string | null;
  issues: SourceIssue[];
}

export interface SourceRecord extends SourceSpec {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  name: string;
  kpi: string;
  kpiType: KpiType;
  aggregateToWeekly: boolean;
  autoTrain: boolean;
  long: LongOptions;
  /** Days a pull covers when it names no range (ending yesterday, UTC). */
  lookbackDays: number;
  createdAt: string;
  /** The newest dataset version a pull stored; a failed pull leaves it as it was. */
  datasetId: string | null;
  lastPull: PullRecord | null;
}

export interface ConnectSourceRequest extends SourceSpec {
  name: string;
  kpi?: string | null;
  kpiType: KpiType;
  aggregateToWeekly?: boolean;
  autoTrain?: boolean;
  long?: Partial<LongOptions>;
  lookbackDays?: number | null;
}

export type PullOutcome =
  | { ok: true; source: SourceRecord; dataset: DatasetRecord; created: boolean }
  | { ok: false; source: SourceRecord; code: FailureCode; message: string; issues: SourceIssue[] };

export interface SourceCatalogDeps {
  metadata: (workspaceId: string) => MetadataStore;
  datasets: DatasetCatalog;
  connector: (source: SourceRecord) => Connector;
  now?: () => Date;
  logger?: Logger;
}

const DAY_MS = 86_400_000;
const MAX_LOOKBACK_DAYS = 3_660;

/** Checks what connectSource is given; every problem named by its input field. */
export function checkSourceRequest(request: ConnectSourceRequest): void {
  const issues: Array<{ field: string; message: string }> = [];
  const needs = (field: keyof SourceSpec, why: string) => {
    const value = request[field];
    if (typeof value !== 'string' || value.trim() === '') {
      issues.push({
        field: `input.${field}`,
        message: `${request.kind} sources need ${field}: ${why}.`,
      });
    }
  };
  if (request.name.trim() === '')
    issues.push({ field: 'input.name', message: 'name must not be empty.' });
  if (request.kind === 'GOOGLE_ADS' || request.kind === 'GA4') {
    needs('account', request.kind === 'GA4' ? 'the GA4 property id' : 'the customer id');
    if (request.account && !/^\d{3}-?\d{3}-?\d{4}$|^\d+$/.test(request.account.trim())) {
      issues.push({ field: 'input.account', message: 'account must be digits (dashes allowed).' });
    }
  }
  if (request.kind === 'META_ADS') {
    needs('account', 'the ad account id (act_...)');
    if (request.account && !/^(act_)?\d+$/.test(request.account.trim())) {
      issues.push({
        field: 'input.account',
        message: 'account must be an ad account id such as act_1234.',
      });
    }
  }
  if (request.kind === 'POSTGRES' || request.kind === 'DUCKDB') {
    needs(
      'query',
      'a SELECT returning date, channel, spend, ... with $1 and $2 the first and last day',
    );
  }
  if (request.kind === 'DUCKDB') needs('file', 'a .duckdb or .parquet file in DUCKDB_SOURCE_ROOT');
  const days = request.lookbackDays;
  if (
    days !== null &&
    days !== undefined &&
    (!Number.isInteger(days) || days < 1 || days > MAX_LOOKBACK_DAYS)
  ) {
    issues.push({
      field: 'input.lookbackDays',
      message: `lookbackDays must be 1 to ${MAX_LOOKBACK_DAYS}.`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** The days of a pull: as given (checked), or lookbackDays ending yesterday. */
export function pullRange(
  source: SourceRecord,
  given: Partial<DateRange> | null | undefined,
  now: Date,
): DateRange {
  const issues: Array<{ field: string; message: string }> = [];
  const yesterday = Math.floor(now.getTime() / DAY_MS) - 1;
  let end = yesterday;
  if (given?.end) {
    const day = parseDay(given.end);
    if (day === null)
      issues.push({
        field: 'dateRange.end',
        message: `"${given.end}" is not a date (YYYY-MM-DD).`,
      });
    else end = day;
  }
  let start = end - source.lookbackDays + 1;
  if (given?.start) {
    const day = parseDay(given.start);
    if (day === null)
      issues.push({
        field: 'dateRange.start',
        message: `"${given.start}" is not a date (YYYY-MM-DD).`,
      });
    else start = day;
  }
  if (issues.length === 0 && start > end) {
    issues.push({ field: 'dateRange.start', message: 'dateRange.start is after dateRange.end.' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { start: formatDay(start), end: formatDay(end) };
}

/** Long rows as the content of a LONG_JSON dataset: in a fixed order, so the same data hashes the same. */
export function longContent(rows: LongRow[]): string {
  const sorted = [...rows].sort((a, b) =>
    a.date < b.date
      ? -1
      : a.date > b.date
        ? 1
        : a.channel < b.channel
          ? -1
          : a.channel > b.channel
            ? 1
            : 0,
  );
  return JSON.stringify(
    sorted.map((r) => ({
      date: r.date,
      channel: r.channel,
      ...(r.spend === undefined ? {} : { spend: r.spend }),
      impressions: r.impressions ?? null,
      clicks: r.clicks ?? null,
      conversions: r.conversions ?? null,
      revenue: r.revenue ?? null,
    })),
  );
}

/**
 * Sources of every workspace: connected once, pulled on demand or on schedule. A pull makes a
 * dataset version through the dataset catalog (same validation, ids and dataset.ingested); a
 * failed pull records why and leaves the source's dataset as it was.
 */
export function createSourceCatalog(deps: SourceCatalogDeps) {
  const now = deps.now ?? (() => new Date());

  async function connect(
    scope: RequestScope,
    request: ConnectSourceRequest,
  ): Promise<SourceRecord> {
    checkSourceRequest(request);
    const id = `src_${randomBytes(8).toString('hex')}`;
    const record: SourceRecord = {
      schemaVersion: 1,
      id,
      workspaceId: scope.workspaceId,
      name: request.name.trim(),
      kind: request.kind,
      account: request.account?.trim() || null,
      query: request.query ?? null,
      file: request.file?.trim() || null,
      conversionAction: request.conversionAction?.trim() || null,
      kpi: request.kpi?.trim() || (request.kpiType === 'REVENUE' ? 'revenue' : 'conversions'),
      kpiType: request.kpiType,
      aggregateToWeekly: request.aggregateToWeekly ?? false,
      autoTrain: request.autoTrain ?? false,
      long: resolveLongOptions(request.long),
      lookbackDays: request.lookbackDays ?? 730,
      createdAt: now().toISOString(),
      datasetId: null,
      lastPull: null,
    };
    await deps.metadata(scope.workspaceId).put(SOURCE_KIND, id, record, { expectRevision: 0 });
    deps.logger?.info('source connected', {
      sourceId: id,
      kind: record.kind,
      workspaceId: scope.workspaceId,
    });
    return record;
  }

  async function get(scope: RequestScope, id: string): Promise<SourceRecord | null> {
    const entry = await deps.metadata(scope.workspaceId).getEntry<SourceRecord>(SOURCE_KIND, id);
    return entry?.value ?? null;
  }

  async function list(scope: RequestScope): Promise<SourceRecord[]> {
    const entries = await deps.metadata(scope.workspaceId).list<SourceRecord>(SOURCE_KIND);
    return entries.map((e) => e.value).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  /** Records the pull on the source; concurrent pulls: the later write wins, retried on conflict. */
  async function note(scope: RequestScope, id: string, pull: PullRecord): Promise<SourceRecord> {
    const store = deps.metadata(scope.workspaceId);
    for (let attempt = 0; ; attempt += 1) {
      const entry = await store.getEntry<SourceRecord>(SOURCE_KIND, id);
      if (entry === null) throw new NotFoundError('source', id);
      const updated: SourceRecord = {
        ...entry.value,
        lastPull: pull,
        datasetId: pull.status === 'SUCCEEDED' ? pull.datasetId : entry.value.datasetId,
      };
      try {
        await store.put(SOURCE_KIND, id, updated, { expectRevision: entry.revision });
        return updated;
      } catch (error) {
        if (!(error instanceof RevisionConflictError) || attempt >= 5) throw error;
      }
    }
  }

  async function pull(
    scope: RequestScope,
    id: string,
    given?: Partial<DateRange> | null,
  ): Promise<PullOutcome> {
    const source = await get(scope, id);
    if (source === null) throw new NotFoundError('source', id);
    const range = pullRange(source, given, now());
    const startedAt = Date.now();
    const base = { at: now().toISOString(), startDate: range.start, endDate: range.end };
    const fail = async (
      code: FailureCode,
      message: string,
      issues: SourceIssue[],
      rows = 0,
    ): Promise<PullOutcome> => {
      deps.logger?.warn('source pull failed', {
        sourceId: id,
        workspaceId: scope.workspaceId,
        code,
        reason: message,
      });
      const updated = await note(scope, id, {
        ...base,
        status: 'FAILED',
        rows,
        durationMs: Date.now() - startedAt,
        datasetId: null,
        created: false,
        failureCode: code,
        message,
        issues: issues.slice(0, 100),
      });
      return { ok: false, source: updated, code, message, issues };
    };

    let rows: LongRow[];
    try {
      rows = await deps.connector(source).pull(range);
    } catch (error) {
      if (isSourceError(error)) return fail(error.code, error.message, error.issues);
      return fail('SOURCE_UNREACHABLE', `The pull failed: ${(error as Error).message}`, []);
    }
    if (rows.length === 0) {
      return fail(
        'SOURCE_EMPTY',
        `${source.name} returned no rows from ${range.start} to ${range.end}.`,
        [{ field: 'dateRange', message: `No rows from ${range.start} to ${range.end}.` }],
      );
    }
    try {
      const outcome = await deps.datasets.ingest(scope, {
        name: source.name,
        content: longContent(rows),
        format: 'LONG_JSON',
        roles: { date: 'date', kpi: source.kpi, kpiType: source.kpiType, paidMedia: [] },
        frequency: 'DAILY',
        aggregateToWeekly: source.aggregateToWeekly,
        missingMediaAsZero: false,
        long: source.long,
        autoTrain: source.autoTrain,
      });
      const updated = await note(scope, id, {
        ...base,
        status: 'SUCCEEDED',
        rows: rows.length,
        durationMs: Date.now() - startedAt,
        datasetId: outcome.dataset.id,
        created: outcome.created,
        failureCode: null,
        message: null,
        issues: [],
      });
      deps.logger?.info('source pulled', {
        sourceId: id,
        datasetId: outcome.dataset.id,
        rows: rows.length,
      });
      return { ok: true, source: updated, dataset: outcome.dataset, created: outcome.created };
    } catch (error) {
      if (!(error instanceof DatasetValidationError)) throw error;
      const issues = error.datasetIssues.map((i) => ({
        field: i.field,
        message: i.message,
        ...(i.row === null ? {} : { row: i.row }),
        ...(i.column === null ? {} : { column: i.column }),
      }));
      return fail('SOURCE_INVALID_DATA', error.message, issues, rows.length);
    }
  }

  return { connect, get, list, pull };
}

export type SourceCatalog = ReturnType<typeof createSourceCatalog>;
export type { SourceKind };
