import { connectNats, openStorage, scopedKv, type NatsConnection } from '@mmm/platform';
import { startServiceForTest, type ServiceUnderTest } from '@mmm/platform/testkit';
import { REPORT_KIND, type ReportRecord, reportingService } from '../src';

describe('the reporting subgraph', () => {
  let rig: ServiceUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    rig = await startServiceForTest(reportingService);
    nc = await connectNats({ NATS_URL: rig.nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await rig?.stop();
  });

  const query = (q: string, workspace?: string) => rig.query(q, workspace);

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
    expect((await rig.get('/readyz')).status).toBe(200);
  });
});
