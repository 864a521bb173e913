import { createHash } from 'node:crypto';
import type { ScopedKv } from '@mmm/platform';

// Rendered reports' records in KV (bucket mmm_reports, kind 'report'), keyed
// `<workspace>.report.<id>`; the rendered files in the object store under the kinds below.

export const REPORT_KIND = 'report';
/** Object store kinds of a report's files (id = the report's id). */
export const REPORT_FILE_KINDS = {
  html: 'report-html',
  pdf: 'report-pdf',
  tables: 'report-tables',
} as const;

export type ReportFormat = 'HTML' | 'PDF';
export type ReportStatus = 'PENDING' | 'READY' | 'FAILED';
/** Who asked: a GraphQL caller, a model's promotion, a budget scenario's completion. */
export type ReportOrigin = 'api' | 'promotion' | 'optimization';

export interface ReportRecord {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  modelId: string;
  scenarioId: string | null;
  attributionId: string | null;
  /** The format asked for; HTML is always rendered too. */
  format: ReportFormat;
  status: ReportStatus;
  origin: ReportOrigin;
  title: string;
  /** Formats stored, once READY. */
  formats: ReportFormat[];
  /** Names of the tables (CSV downloads), once READY. */
  tables: string[];
  /** Why rendering failed. */
  error: string | null;
  /** ISO-8601. */
  createdAt: string;
  updatedAt: string;
}

export interface ReportShelf {
  get(id: string): Promise<ReportRecord | null>;
  put(record: ReportRecord): Promise<void>;
}

export function createReportShelf(reports: ScopedKv): ReportShelf {
  return {
    get: (id) => reports.get<ReportRecord>(REPORT_KIND, id),
    put: async (record) => {
      await reports.put(REPORT_KIND, record.id, record);
    },
  };
}

/** A report id derived from what caused it, so a redelivered event makes the same report. */
export function reportIdFor(workspaceId: string, cause: string): string {
  const hash = createHash('sha256').update(`${workspaceId}\n${cause}`).digest('hex');
  return `rep_${hash.slice(0, 24)}`;
}

export function newReportRecord(
  fields: Pick<ReportRecord, 'id' | 'workspaceId' | 'modelId' | 'format' | 'origin'> &
    Partial<Pick<ReportRecord, 'scenarioId' | 'attributionId'>>,
  now = new Date().toISOString(),
): ReportRecord {
  return {
    schemaVersion: 1,
    scenarioId: null,
    attributionId: null,
    ...fields,
    status: 'PENDING',
    title: 'Media mix report',
    formats: [],
    tables: [],
    error: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** Newest first. */
export const newestFirst = (a: ReportRecord, b: ReportRecord) =>
  b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
