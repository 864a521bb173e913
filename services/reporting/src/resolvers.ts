import { ValidationError, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ReportShelf } from './domain/reports';

export interface ReportingContext extends SubgraphContext {
  reports: ReportShelf;
}

// Ids are parts of storage keys: anything else cannot name a stored report.
const ID = /^[-_=a-zA-Z0-9]{1,128}$/;

function checkId(field: string, id: string): string {
  if (!ID.test(id)) {
    throw new ValidationError([{ field, message: `${field} must be 1-128 of [-_=a-zA-Z0-9]` }]);
  }
  return id;
}

export const resolvers: GraphQLResolverMap<ReportingContext> = {
  Query: {
    report: (_: unknown, args: { id: string }, ctx: ReportingContext) =>
      ctx.reports.get(checkId('id', args.id)),
  },
};
