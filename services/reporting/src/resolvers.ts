import {
  auditTime,
  checkId,
  isStorageId,
  ValidationError,
  type AuditQuery,
  type AuditRecorded,
  type GraphQLResolverMap,
  type SubgraphContext,
} from '@mmm/platform';
import type { ReportFormat, ReportRecord } from './domain/reports';

export interface ReportRequest {
  modelId: string;
  scenarioId: string | null;
  attributionId: string | null;
  format: ReportFormat;
}

export interface ReportingContext extends SubgraphContext {
  report(id: string): Promise<ReportRecord | null>;
  /** The workspace's audit trail, newest first. */
  audit(query: AuditQuery): Promise<AuditRecorded[]>;
  /** Reports of a model in the caller's workspace, newest first (from memory). */
  reportsOf(modelId: string): Promise<ReportRecord[]>;
  /** Checks the inputs exist, stores the record PENDING and starts rendering. */
  generate(request: ReportRequest): Promise<ReportRecord>;
  /** A signed link to a file of a report (path after /reports/<workspace>/). */
  link(report: ReportRecord, file: string): string;
}

const FILE_OF: Record<ReportFormat, string> = { HTML: 'html', PDF: 'pdf' };

export const resolvers: GraphQLResolverMap<ReportingContext> = {
  Query: {
    report: (_: unknown, args: { id: string }, ctx: ReportingContext) =>
      ctx.report(checkId('id', args.id)),
    reports: (_: unknown, args: { modelId: string }, ctx: ReportingContext) =>
      ctx.reportsOf(checkId('modelId', args.modelId)),
    // Admins only: the kit's role check (QUERY_ROLES) refuses anyone else before this runs.
    auditEvents: (
      _: unknown,
      args: { limit?: number | null; since?: string | null },
      ctx: ReportingContext,
    ) => {
      const limit = args.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new ValidationError([
          { field: 'limit', message: `limit must be 1 to 1000, got ${limit}` },
        ]);
      }
      let since: Date | undefined;
      if (args.since != null) {
        since = new Date(args.since);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(args.since) || Number.isNaN(since.getTime())) {
          throw new ValidationError([
            { field: 'since', message: `since must be an ISO-8601 time, got '${args.since}'` },
          ]);
        }
      }
      return ctx.audit({ limit, since });
    },
  },
  AuditEvent: {
    id: (r: AuditRecorded) => r.auditId,
    occurredAt: (r: AuditRecorded) => auditTime(r).toISOString(),
    operationName: (r: AuditRecorded) => r.operationName || null,
  },
  Mutation: {
    generateReport: (
      _: unknown,
      args: {
        modelId: string;
        scenarioId?: string | null;
        attributionId?: string | null;
        format?: ReportFormat | null;
      },
      ctx: ReportingContext,
    ) =>
      ctx.generate({
        modelId: checkId('modelId', args.modelId),
        scenarioId: args.scenarioId == null ? null : checkId('scenarioId', args.scenarioId),
        attributionId:
          args.attributionId == null ? null : checkId('attributionId', args.attributionId),
        format: args.format ?? 'HTML',
      }),
  },
  Report: {
    url: (r: ReportRecord, _: unknown, ctx: ReportingContext) =>
      r.status === 'READY' && r.formats.includes(r.format)
        ? ctx.link(r, `${r.id}.${FILE_OF[r.format]}`)
        : null,
    downloads: (r: ReportRecord, _: unknown, ctx: ReportingContext) =>
      r.status !== 'READY'
        ? []
        : [
            ...r.formats.map((f) => ({
              name: `report.${FILE_OF[f]}`,
              format: f,
              url: ctx.link(r, `${r.id}.${FILE_OF[f]}`),
            })),
            ...r.tables.map((t) => ({
              name: `${t}.csv`,
              format: 'CSV',
              url: ctx.link(r, `${r.id}/${t}.csv`),
            })),
            { name: 'tables.json', format: 'JSON', url: ctx.link(r, `${r.id}.json`) },
          ],
  },
  Model: {
    reports: (model: { id: string }, _: unknown, ctx: ReportingContext) =>
      isStorageId(model.id) ? ctx.reportsOf(model.id) : [],
  },
};
