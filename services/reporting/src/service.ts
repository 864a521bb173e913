import { randomUUID } from 'node:crypto';
import {
  loadSchema,
  NotFoundError,
  readAudit,
  type AuditQuery,
  readModelArtifact,
  readScenario,
  subscribeEvents,
  watchKvIndex,
  workspaceStorage,
  type ServiceDefinition,
} from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME, type ReportingConfig } from './config';
import { dashboardRoute } from './dashboard';
import { gatewayAttributionSource } from './domain/attribution-source';
import { reportFilesRoute } from './domain/files';
import { createLinkSigner } from './domain/links';
import { createRenderer } from './domain/renderer';
import {
  createReportShelf,
  newestFirst,
  newReportRecord,
  REPORT_KIND,
  reportIdFor,
  type ReportRecord,
} from './domain/reports';
import { EVENTS } from './events';
import { resolvers, type ReportingContext } from './resolvers';

/**
 * The reporting subgraph: renders executive reports (on request, on a model's promotion, on a
 * solved scenario), stores them in the object store, serves them by signed link, and serves the
 * dashboard page.
 */
export const reportingService: ServiceDefinition<ReportingContext, ReportingConfig> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  async onStart({ config, storage, logger }) {
    const scoped = (workspaceId: string) => workspaceStorage(storage, workspaceId);
    if (!config.GATEWAY_SIGNING_SECRET) {
      throw new Error(
        'GATEWAY_SIGNING_SECRET is required (reporting signs its calls to the gateway)',
      );
    }
    const signingSecret = config.GATEWAY_SIGNING_SECRET;
    const index = await watchKvIndex<ReportRecord>(storage.kv.reports, REPORT_KIND, { logger });
    const signer = createLinkSigner(config.REPORT_LINK_SECRET, config.REPORT_LINK_TTL_MS);
    if (!config.REPORT_LINK_SECRET) {
      logger.warn('REPORT_LINK_SECRET is not set: report links hold until this process restarts');
    }
    const renderer = createRenderer({
      js: storage.js,
      storage: scoped,
      attribution: gatewayAttributionSource(config.GATEWAY_URL, signingSecret),
      chromiumPath: config.CHROMIUM_PATH,
      timeoutMs: config.REPORT_RENDER_TIMEOUT_MS,
      logger,
    });
    const rendering = new Set<Promise<unknown>>();

    /** Renders a report caused by an event once: a redelivery finds it READY. */
    const renderFor = async (record: ReportRecord) => {
      const shelf = createReportShelf(scoped(record.workspaceId).kv.reports);
      const existing = await shelf.get(record.id);
      if (existing?.status === 'READY') return;
      const pending = existing ? { ...existing, status: 'PENDING' as const } : record;
      await shelf.put(pending);
      await renderer.render(pending);
    };

    const events = await subscribeEvents(
      storage.js,
      ['model.promoted', 'optimization.completed'],
      async (delivery) => {
        if (delivery.name === 'model.promoted') {
          const m = delivery.message as import('@mmm/platform').ModelPromoted;
          const cause = `promotion:${m.modelId}:${delivery.msgId ?? randomUUID()}`;
          await renderFor(
            newReportRecord({
              id: reportIdFor(m.workspaceId, cause),
              workspaceId: m.workspaceId,
              modelId: m.modelId,
              format: 'HTML',
              origin: 'promotion',
            }),
          );
          return;
        }
        const m = delivery.message as import('@mmm/platform').OptimizationCompleted;
        await renderFor(
          newReportRecord({
            id: reportIdFor(m.workspaceId, `scenario:${m.scenarioId}`),
            workspaceId: m.workspaceId,
            modelId: m.modelId,
            scenarioId: m.scenarioId,
            format: 'HTML',
            origin: 'optimization',
          }),
        );
      },
      { durable: 'reporting', logger },
    );

    const files = reportFilesRoute(scoped, signer);
    const dashboard = dashboardRoute({ gatewayUrl: config.GATEWAY_URL, logger });
    return {
      readiness: { reports: () => index.isReady() },
      http: async (req, res) => (await files(req, res)) || dashboard(req, res),
      context: (base) => {
        const s = scoped(base.workspaceId);
        const shelf = createReportShelf(s.kv.reports);
        const publicUrl =
          config.REPORTING_PUBLIC_URL?.replace(/\/+$/, '') ??
          `http://${base.headers['x-forwarded-host'] ?? base.headers.host ?? `127.0.0.1:${config.PORT ?? DEFAULT_PORT}`}`;
        return {
          ...base,
          report: (id: string) => shelf.get(id),
          audit: (query: AuditQuery) => readAudit(storage.js, base.workspaceId, query),
          reportsOf: async (modelId: string) =>
            (await index.list(base.workspaceId))
              .map((e) => e.value)
              .filter((r) => r.modelId === modelId)
              .sort(newestFirst),
          link: (report: ReportRecord, file: string) =>
            `${publicUrl}/reports/${report.workspaceId}/${file}?${signer.sign(report.workspaceId, report.id)}`,
          async generate(request) {
            if (!(await readModelArtifact(s, request.modelId))) {
              throw new NotFoundError('model', request.modelId);
            }
            if (request.scenarioId) {
              const scenario = await readScenario(s, request.scenarioId);
              if (!scenario || scenario.modelId !== request.modelId) {
                throw new NotFoundError('scenario', request.scenarioId);
              }
            }
            const record = newReportRecord({
              id: `rep_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
              workspaceId: base.workspaceId,
              origin: 'api',
              ...request,
            });
            await shelf.put(record);
            const headers = {
              ...(base.headers.authorization ? { authorization: base.headers.authorization } : {}),
              'x-request-id': base.requestId,
            };
            const job = renderer.render(record, headers).catch((error: unknown) => {
              base.logger.error('report rendering failed', {
                reportId: record.id,
                error: String(error),
              });
            });
            rendering.add(job);
            void job.finally(() => rendering.delete(job));
            base.logger.info('report requested', { reportId: record.id, modelId: record.modelId });
            return record;
          },
        };
      },
      async stop() {
        await events.stop();
        await Promise.allSettled([...rendering]);
        await index.stop();
      },
    };
  },
};
