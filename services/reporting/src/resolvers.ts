import { checkId, isStorageId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ReportFormat, ReportRecord } from './domain/reports';

export interface ReportRequest {
  modelId: string;
  scenarioId: string | null;
  attributionId: string | null;
  format: ReportFormat;
}

export interface ReportingContext extends SubgraphContext {
  report(id: string): Promise<ReportRecord | null>;
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
