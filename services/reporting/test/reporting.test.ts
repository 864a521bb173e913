import {
  connectNats,
  createLogger,
  openStorage,
  scopedKv,
  testkit,
  type NatsConnection,
} from '@mmm/platform';
import { REPORT_KIND, type ReportRecord } from '../src';
import { startReporting, type ReportingService } from '../src/service';

describe('the reporting subgraph', () => {
  let nats: testkit.NatsServer;
  let service: ReportingService;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await testkit.startNatsServer();
    service = await startReporting({
      NATS_URL: nats.url,
      PORT: 0,
      host: '127.0.0.1',
      DEFAULT_WORKSPACE: 'default',
      NATS_REPLICAS: 1,
      logger: createLogger('reporting', { level: 'silent' }),
      registerShutdown: false,
    });
    nc = await connectNats({ NATS_URL: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await service?.stop();
    await nats?.stop();
  });

  const query = async (q: string, workspace?: string) => {
    const res = await fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(workspace ? { 'x-workspace-id': workspace } : {}),
      },
      body: JSON.stringify({ query: q }),
    });
    return (await res.json()) as {
      data?: Record<string, unknown>;
      errors?: Array<{ extensions?: Record<string, unknown> }>;
    };
  };

  it('answers null for a report it has not rendered', async () => {
    expect(await query('{ report(id: "r1") { id } }')).toEqual({ data: { report: null } });
  });

  it('reads a stored report within the caller workspace', async () => {
    const { kv } = await openStorage(nc);
    const report: ReportRecord = {
      id: 'r1',
      modelId: 'm1',
      scenarioId: null,
      title: 'Q1 media mix',
      formats: ['HTML', 'PDF'],
      createdAt: '2026-01-05T10:00:00.000Z',
    };
    await scopedKv(kv.reports, 'acme').put(REPORT_KIND, report.id, report);

    const q = '{ report(id: "r1") { id modelId scenarioId title formats createdAt } }';
    expect((await query(q, 'acme')).data).toEqual({ report });
    expect((await query(q)).data).toEqual({ report: null });
  });

  it('rejects an id that could not name a stored report with BAD_USER_INPUT', async () => {
    const body = await query('{ report(id: "../etc") { id } }');
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('is ready while NATS is connected', async () => {
    expect((await fetch(service.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
  });
});
