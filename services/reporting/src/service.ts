import { loadSchema, scopedKv, type ServiceDefinition } from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME } from './config';
import { createReportShelf } from './domain/reports';
import { EVENTS } from './events';
import { resolvers, type ReportingContext } from './resolvers';

/** The reporting subgraph: reads what it stored in KV bucket mmm_reports. */
export const reportingService: ServiceDefinition<ReportingContext> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  onStart: ({ storage }) => ({
    context: (base) => ({
      ...base,
      reports: createReportShelf(scopedKv(storage.kv.reports, base.workspaceId)),
    }),
  }),
};
