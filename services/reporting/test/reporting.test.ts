import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  connectNats,
  MODEL_KINDS,
  openStorage,
  publishEvent,
  SCENARIO_KIND,
  subscribeEvents,
  verifySignedIdentity,
  workspaceStorage,
  type NatsConnection,
  type ReportGenerated,
  type Subscription,
} from '@mmm/platform';
import {
  startServiceForTest,
  TEST_SIGNING_SECRET,
  type ServiceUnderTest,
} from '@mmm/platform/testkit';
import { createLinkSigner, parseReportingConfig, reportIdFor, reportingService } from '../src';
import { artifact, storedScenario } from './fixtures';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A stand-in gateway (plain HTTP; the broker is real): answers attribution(id) for run att_1. */
function fakeGateway() {
  const requests: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      const { variables } = JSON.parse(body) as { variables?: { id?: string } };
      const attribution =
        variables?.id === 'att_1'
          ? {
              id: 'att_1',
              results: [
                {
                  method: 'LAST_TOUCH',
                  channels: [
                    { channel: 'tv', credit: 30, share: 0.3 },
                    { channel: 'search', credit: 70, share: 0.7 },
                  ],
                },
              ],
            }
          : null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { attribution, datasets: [] } }));
    });
  });
  return { server, requests };
}

let rig: ServiceUnderTest;
let nc: NatsConnection;
let gateway: ReturnType<typeof fakeGateway>;
let events: Subscription;
const generated: Array<{ message: ReportGenerated; msgId: string | undefined }> = [];
let base: string;
let chromium: string;

const REPORT = `query R($id: ID!) { report(id: $id) {
  id modelId scenarioId attributionId title format status url formats error origin createdAt
  downloads { name format url } } }`;
const GENERATE = `mutation G($modelId: ID!, $scenarioId: ID, $attributionId: ID, $format: ReportFormat) {
  generateReport(modelId: $modelId, scenarioId: $scenarioId, attributionId: $attributionId, format: $format) { id status format url } }`;

async function storeModel(workspaceId: string, modelId: string) {
  const storage = await openStorage(nc);
  const s = workspaceStorage(storage, workspaceId);
  await s.files.put(
    MODEL_KINDS.model,
    modelId,
    new TextEncoder().encode(JSON.stringify(artifact())),
  );
}

async function storeScenario(workspaceId: string, id: string, modelId: string) {
  const storage = await openStorage(nc);
  await workspaceStorage(storage, workspaceId).kv.scenarios.put(
    SCENARIO_KIND,
    id,
    storedScenario(id, workspaceId, modelId),
  );
}

async function settled(id: string, workspace: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = (await rig.query(REPORT, workspace, { id })).data?.report as Record<string, unknown>;
    if (r && r.status !== 'PENDING')
      return r as Record<string, unknown> & {
        url: string;
        downloads: Array<{ name: string; url: string }>;
      };
    if (Date.now() > deadline) throw new Error(`report ${id} still pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  chromium = execFileSync('bash', [path.join(ROOT, 'scripts', 'ensure-chromium.sh')], {
    encoding: 'utf8',
  }).trim();
  gateway = fakeGateway();
  await new Promise<void>((r) => gateway.server.listen(0, '127.0.0.1', r));
  const gatewayPort = (gateway.server.address() as AddressInfo).port;
  rig = await startServiceForTest(reportingService, {
    env: {
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}/graphql`,
      REPORT_LINK_SECRET: 'a-test-secret-of-enough-length',
      CHROMIUM_PATH: chromium,
    },
    parse: parseReportingConfig,
  });
  base = rig.service.url.replace(/\/graphql$/, '');
  nc = await connectNats({ NATS_URL: rig.nats.url });
  const storage = await openStorage(nc);
  events = await subscribeEvents(
    storage.js,
    ['report.generated'],
    async (d) => {
      generated.push({ message: d.message as ReportGenerated, msgId: d.msgId });
    },
    { deliver: 'all' },
  );
});

afterAll(async () => {
  await events?.stop();
  await nc?.close();
  await rig?.stop();
  await new Promise((r) => gateway?.server.close(r));
});

describe('generateReport', () => {
  const ws = 'acme';

  beforeAll(async () => {
    await storeModel(ws, 'm1');
    await storeScenario(ws, 's1', 'm1');
  });

  it('renders the HTML report with the scenario and the attribution run, served by its link', async () => {
    const reply = await rig.query(GENERATE, ws, {
      modelId: 'm1',
      scenarioId: 's1',
      attributionId: 'att_1',
    });
    expect(reply.errors).toBeUndefined();
    const started = reply.data?.generateReport as { id: string; status: string; url: null };
    expect(started).toMatchObject({ status: 'PENDING', format: 'HTML', url: null });
    const report = await settled(started.id, ws);
    expect(report).toMatchObject({
      modelId: 'm1',
      scenarioId: 's1',
      attributionId: 'att_1',
      status: 'READY',
      formats: ['HTML'],
      title: 'Revenue media mix report',
      origin: 'api',
      error: null,
    });
    expect(report.url.startsWith(`${base}/reports/acme/${started.id}.html?expires=`)).toBe(true);
    const page = await fetch(report.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    for (const id of [
      'headline',
      'fit',
      'channels',
      'curves',
      'allocation',
      'attribution',
      'quality',
      'method',
    ]) {
      expect(html).toContain(`<section id="${id}"`);
    }
    expect(html).toContain('Next quarter (api, 2024-05-01)');
    expect(html).toContain('LAST_TOUCH');
    // The gateway was asked for the run in the caller's workspace, by reporting itself, signed.
    const asked = gateway.requests.find(
      (r) => r.headers['x-workspace-id'] === 'acme' && r.body.includes('att_1'),
    );
    expect(asked).toBeDefined();
    expect(
      verifySignedIdentity(
        asked!.headers as Record<string, string>,
        TEST_SIGNING_SECRET,
        (asked!.headers['x-request-id'] as string) ?? '',
      ),
    ).toEqual({ subject: 'service:reporting', role: 'viewer', workspaceId: 'acme' });
    expect(report.downloads.map((d) => d.name)).toEqual([
      'report.html',
      'headline.csv',
      'decomposition.csv',
      'waterfall.csv',
      'channels.csv',
      'response_curves.csv',
      'allocation.csv',
      'attribution.csv',
      'quality.csv',
      'tables.json',
    ]);
    const csv = await fetch(report.downloads.find((d) => d.name === 'allocation.csv')!.url);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect((await csv.text()).split('\r\n')[1]).toMatch(/^tv,1000,1300,0\.3,1500,,0$/);
    const json = (await (
      await fetch(report.downloads.find((d) => d.name === 'tables.json')!.url)
    ).json()) as { tables: unknown[] };
    expect(json.tables).toHaveLength(8);
    // report.generated, with a deterministic message id.
    await waitFor(() => generated.find((g) => g.message.reportId === started.id));
    const event = generated.find((g) => g.message.reportId === started.id)!;
    expect(event.msgId).toBe(`report.generated:acme:${started.id}`);
    expect(event.message).toMatchObject({
      workspaceId: 'acme',
      modelId: 'm1',
      scenarioId: 's1',
      formats: ['html'],
    });
  });

  it('renders a PDF of the same page', async () => {
    const reply = await rig.query(GENERATE, ws, { modelId: 'm1', format: 'PDF' });
    const report = await settled((reply.data?.generateReport as { id: string }).id, ws);
    expect(report).toMatchObject({ status: 'READY', format: 'PDF', formats: ['HTML', 'PDF'] });
    expect(report.url).toMatch(/\.pdf\?expires=/);
    const pdf = await fetch(report.url);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  });

  it('leaves the attribution section out, and says why, when the run cannot be read', async () => {
    const reply = await rig.query(GENERATE, ws, { modelId: 'm1', attributionId: 'att_missing' });
    const report = await settled((reply.data?.generateReport as { id: string }).id, ws);
    const html = await (await fetch(report.url)).text();
    expect(html).not.toContain('<section id="attribution"');
    expect(html).toContain('Attribution run att_missing was not found.');
  });

  it('answers NOT_FOUND for an unknown model or scenario and BAD_USER_INPUT for a bad id', async () => {
    const model = await rig.query(GENERATE, ws, { modelId: 'nope' });
    expect(model.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const scenario = await rig.query(GENERATE, ws, { modelId: 'm1', scenarioId: 'nope' });
    expect(scenario.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const elsewhere = await rig.query(GENERATE, 'other', { modelId: 'm1' });
    expect(elsewhere.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await rig.query(GENERATE, ws, { modelId: '../x' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('lists a model’s reports newest first, also on the Model entity, within the workspace only', async () => {
    const listed = await rig.query('{ reports(modelId: "m1") { id createdAt } }', ws);
    const reports = listed.data?.reports as Array<{ id: string; createdAt: string }>;
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect([...reports].sort((a, b) => b.createdAt.localeCompare(a.createdAt))).toEqual(reports);
    const entity = await rig.query(
      '{ _entities(representations: [{ __typename: "Model", id: "m1" }]) { ... on Model { reports { id } } } }',
      ws,
    );
    expect((entity.data?._entities as Array<{ reports: unknown[] }>)[0].reports).toEqual(
      reports.map((r) => ({ id: r.id })),
    );
    expect((await rig.query('{ reports(modelId: "m1") { id } }', 'other')).data?.reports).toEqual(
      [],
    );
    expect((await rig.query(REPORT, 'other', { id: reports[0].id })).data?.report).toBeNull();
  });
});

describe('report links', () => {
  it('refuse a tampered signature, another workspace and an expired link', async () => {
    const ws = 'links';
    await storeModel(ws, 'm2');
    const reply = await rig.query(GENERATE, ws, { modelId: 'm2' });
    const report = await settled((reply.data?.generateReport as { id: string }).id, ws);
    const url = new URL(report.url);
    const tampered = new URL(url);
    tampered.searchParams.set('sig', '0'.repeat(64));
    expect((await fetch(tampered)).status).toBe(403);
    const moved = new URL(url.toString().replace('/reports/links/', '/reports/acme/'));
    expect((await fetch(moved)).status).toBe(403);
    const signer = createLinkSigner('a-test-secret-of-enough-length', 1000);
    const old = signer.sign(ws, report.id as string, Date.now() - 10_000);
    expect((await fetch(`${base}/reports/${ws}/${report.id}.html?${old}`)).status).toBe(403);
    const fresh = signer.sign(ws, report.id as string);
    expect((await fetch(`${base}/reports/${ws}/${report.id}.html?${fresh}`)).status).toBe(200);
    expect((await fetch(`${base}/reports/${ws}/${report.id}.pdf?${fresh}`)).status).toBe(404);
  });
});

async function waitFor<T>(
  probe: () => T | undefined | null | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('reports on events', () => {
  it('renders a report when a model is promoted, once per promotion', async () => {
    const ws = 'promo';
    await storeModel(ws, 'm3');
    const storage = await openStorage(nc);
    const message = {
      workspaceId: ws,
      modelId: 'm3',
      datasetId: 'ds_1',
      version: 1,
      previousModelId: '',
    };
    const msgId = 'model.promoted:promo:m3:2024-05-01T00:00:00.000Z';
    await publishEvent(storage.js, 'model.promoted', message, { msgId });
    const id = reportIdFor(ws, `promotion:m3:${msgId}`);
    const report = await settledEventually(id, ws);
    expect(report).toMatchObject({ status: 'READY', origin: 'promotion', modelId: 'm3' });
    // The same message again (past the dedup window it would be a redelivery): no second report.
    await publishEvent(storage.js, 'model.promoted', message, { msgId: `${msgId}-again` });
    await waitFor(() => generated.filter((g) => g.message.modelId === 'm3').length >= 2);
    const listed = (await rig.query('{ reports(modelId: "m3") { id origin } }', ws)).data
      ?.reports as unknown[];
    expect(listed).toHaveLength(2); // two promotions, two reports; the first kept its id
    expect(generated.filter((g) => g.message.reportId === id)).toHaveLength(1);
  });

  it('renders a report with the scenario when an optimization completes', async () => {
    const ws = 'optim';
    await storeModel(ws, 'm4');
    await storeScenario(ws, 's4', 'm4');
    const storage = await openStorage(nc);
    await publishEvent(
      storage.js,
      'optimization.completed',
      {
        workspaceId: ws,
        scenarioId: 's4',
        modelId: 'm4',
        objective: 'maximize_response',
        totalBudget: 12000,
      },
      { msgId: 'optimization.completed:optim:s4' },
    );
    const id = reportIdFor(ws, 'scenario:s4');
    const report = await settledEventually(id, ws);
    expect(report).toMatchObject({ status: 'READY', origin: 'optimization', scenarioId: 's4' });
    expect(await (await fetch(report.url)).text()).toContain('<section id="allocation"');
  });

  it('marks the report FAILED with the reason when the promoted model is missing', async () => {
    const ws = 'ghost';
    const storage = await openStorage(nc);
    await publishEvent(
      storage.js,
      'model.promoted',
      { workspaceId: ws, modelId: 'm404', datasetId: 'ds_1', version: 1, previousModelId: '' },
      { msgId: 'model.promoted:ghost:m404:x' },
    );
    const report = await settledEventually(
      reportIdFor(ws, 'promotion:m404:model.promoted:ghost:m404:x'),
      ws,
    );
    expect(report).toMatchObject({
      status: 'FAILED',
      error: 'model m404 not found',
      url: null,
      downloads: [],
    });
  });
});

/** report(id) once the record exists and is no longer PENDING (events arrive asynchronously). */
async function settledEventually(id: string, ws: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = (await rig.query(REPORT, ws, { id })).data?.report as Record<string, unknown> | null;
    if (r && r.status !== 'PENDING') return r as Record<string, unknown> & { url: string };
    if (Date.now() > deadline) throw new Error(`report ${id} not settled`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the dashboard', () => {
  it('serves the page, its script and ECharts from this service', async () => {
    const page = await rig.get('/dashboard/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>MMM Dashboard</title>');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const echarts = await rig.get('/dashboard/echarts.min.js');
    expect(echarts.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await echarts.text()).length).toBeGreaterThan(500_000);
    expect((await rig.get('/dashboard/app.js')).status).toBe(200);
    const redirect = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
  });

  it('forwards GraphQL to the gateway with the workspace and token headers', async () => {
    const res = await fetch(`${base}/dashboard/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-workspace-id': 'dash',
        authorization: 'Bearer t0k',
      },
      body: JSON.stringify({ query: '{ datasets { id } }' }),
    });
    expect(await res.json()).toMatchObject({ data: { datasets: [] } });
    const last = gateway.requests[gateway.requests.length - 1];
    expect(last.headers).toMatchObject({ 'x-workspace-id': 'dash', authorization: 'Bearer t0k' });
  });
});

describe('configuration', () => {
  it('refuses a short link secret and a gateway URL that is not http', () => {
    expect(() => parseReportingConfig({ REPORT_LINK_SECRET: 'short' })).toThrow(
      /REPORT_LINK_SECRET/,
    );
    expect(() => parseReportingConfig({ GATEWAY_URL: 'nats://x' })).toThrow(/GATEWAY_URL/);
  });

  it('is ready while NATS is connected', async () => {
    expect((await rig.get('/readyz')).status).toBe(200);
  });
});
