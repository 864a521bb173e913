import { checkId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ReportShelf } from './domain/reports';

export interface ReportingContext extends SubgraphContext {
  reports: ReportShelf;
}

export const resolvers: GraphQLResolverMap<ReportingContext> = {
  Query: {
    report: (_: unknown, args: { id: string }, ctx: ReportingContext) =>
      ctx.reports.get(checkId('id', args.id)),
  },
};
