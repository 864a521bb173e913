import { connectNats, openStorage, scopedKv, type NatsConnection } from '@mmm/platform';
import { eventually, startServiceForTest, type ServiceUnderTest } from '@mmm/platform/testkit';
import { SCENARIO_KIND, type ScenarioRecord, optimizationService } from '../src';

describe('the optimization subgraph', () => {
  let rig: ServiceUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    rig = await startServiceForTest(optimizationService);
    nc = await connectNats({ NATS_URL: rig.nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await rig?.stop();
  });

  const query = (q: string, workspace?: string) => rig.query(q, workspace);

  it('has no scenarios for a model until the allocator stores some', async () => {
    expect(await query('{ scenarios(modelId: "m1") { id } }')).toEqual({
      data: { scenarios: [] },
    });
  });

  it('lists the stored scenarios of one model, newest first, within the caller workspace', async () => {
    const { kv } = await openStorage(nc);
    const scenario = (id: string, modelId: string, createdAt: string): ScenarioRecord => ({
      id,
      modelId,
      objective: 'MAX_RESPONSE',
      totalBudget: 1000,
      expectedResponse: 2500,
      allocations: [
        { channel: 'tv', spend: 600, response: 1400, roas: 1400 / 600 },
        { channel: 'search', spend: 400, response: 1100, roas: 1100 / 400 },
      ],
      createdAt,
    });
    const store = scopedKv(kv.scenarios, 'acme');
    await store.put(SCENARIO_KIND, 's1', scenario('s1', 'm1', '2026-01-01T00:00:00.000Z'));
    await store.put(SCENARIO_KIND, 's2', scenario('s2', 'm1', '2026-01-02T00:00:00.000Z'));
    await store.put(SCENARIO_KIND, 's3', scenario('s3', 'm2', '2026-01-03T00:00:00.000Z'));

    const q = `{ scenarios(modelId: "m1") {
      id objective totalBudget expectedResponse allocations { channel spend } } }`;
    // Scenarios are listed from memory: the KV watch brings the writes within milliseconds.
    const body = await eventually(async () => {
      const reply = await query(q, 'acme');
      return reply.data?.scenarios.length === 2 && reply;
    });
    expect(body.data?.scenarios).toEqual([
      expect.objectContaining({ id: 's2', objective: 'MAX_RESPONSE', totalBudget: 1000 }),
      expect.objectContaining({
        id: 's1',
        allocations: [
          { channel: 'tv', spend: 600 },
          { channel: 'search', spend: 400 },
        ],
      }),
    ]);
    expect((await query(q)).data).toEqual({ scenarios: [] });
  });

  it('rejects a model id that could not name a stored model with BAD_USER_INPUT', async () => {
    const body = await query('{ scenarios(modelId: "m 1") { id } }');
    expect(body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      issues: [{ field: 'modelId' }],
    });
  });

  it('is ready while NATS is connected', async () => {
    expect((await rig.get('/readyz')).status).toBe(200);
  });
});
