import type { ScopedKv } from '@mmm/platform';

// Rendered reports' metadata as stored in KV (bucket mmm_reports, kind 'report'), keyed
// `<workspace>.report.<id>`; the rendered files will go to the object store. The renderer will
// write them; until it exists there are none.

export const REPORT_KIND = 'report';

export type ReportFormat = 'HTML' | 'PDF';

export interface ReportRecord {
  id: string;
  modelId: string;
  scenarioId?: string | null;
  title: string;
  formats: ReportFormat[];
  /** ISO-8601. */
  createdAt: string;
}

export interface ReportShelf {
  get(id: string): Promise<ReportRecord | null>;
}

export function createReportShelf(reports: ScopedKv): ReportShelf {
  return { get: (id) => reports.get<ReportRecord>(REPORT_KIND, id) };
}
