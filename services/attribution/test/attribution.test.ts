import { connectNats, openStorage, scopedKv, type NatsConnection } from '@mmm/platform';
import { startServiceForTest, type ServiceUnderTest } from '@mmm/platform/testkit';
import { ATTRIBUTION_KIND, type AttributionRecord, attributionService } from '../src';

describe('the attribution subgraph', () => {
  let rig: ServiceUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    rig = await startServiceForTest(attributionService);
    nc = await connectNats({ NATS_URL: rig.nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await rig?.stop();
  });

  const query = (q: string, workspace?: string) => rig.query(q, workspace);

  it('answers null for a run it has not stored', async () => {
    expect(await query('{ attribution(id: "a1") { id } }')).toEqual({
      data: { attribution: null },
    });
  });

  it('reads a stored run with every method credits, within the caller workspace', async () => {
    const { kv } = await openStorage(nc);
    const run: AttributionRecord = {
      id: 'a1',
      conversions: 10,
      results: [
        {
          method: 'LAST_TOUCH',
          channels: [
            { channel: 'search', credit: 7, share: 0.7 },
            { channel: 'display', credit: 3, share: 0.3 },
          ],
        },
        { method: 'LINEAR', channels: [{ channel: 'search', credit: 10, share: 1 }] },
      ],
      createdAt: '2026-01-05T10:00:00.000Z',
    };
    await scopedKv(kv.attributions, 'acme').put(ATTRIBUTION_KIND, run.id, run);

    const q = `{ attribution(id: "a1") {
      id conversions createdAt results { method channels { channel credit share } } } }`;
    expect((await query(q, 'acme')).data).toEqual({ attribution: run });
    expect((await query(q)).data).toEqual({ attribution: null });
  });

  it('rejects an id that could not name a stored run with BAD_USER_INPUT', async () => {
    const body = await query('{ attribution(id: "") { id } }');
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('is ready while NATS is connected', async () => {
    expect((await rig.get('/readyz')).status).toBe(200);
  });
});
