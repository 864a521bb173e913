import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger, startTelemetry } from '@mmm/platform';
import { freePort } from '@mmm/platform/testkit';
import { composeSupergraph, supergraphPath, subgraphs } from '../src';
import {
  gatewayOver,
  startCallerSubgraph,
  startGatewayRig,
  token,
  type GatewayRig,
} from './support';

const repoRoot = path.resolve(__dirname, '..', '..');

describe('the committed supergraph', () => {
  it('is the composition of the five subgraph schemas (run `npm run compose` when not)', () => {
    const outcome = composeSupergraph(repoRoot);
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    expect(readFileSync(supergraphPath(repoRoot), 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('routes every subgraph to its port of the local port plan', () => {
    expect(subgraphs.map((s) => [s.name, s.urlVariable, s.defaultUrl])).toEqual([
      ['ingestion', 'INGESTION_URL', 'http://127.0.0.1:4001/graphql'],
      ['modeling', 'MODELING_URL', 'http://127.0.0.1:4002/graphql'],
      ['optimization', 'OPTIMIZATION_URL', 'http://127.0.0.1:4003/graphql'],
      ['attribution', 'ATTRIBUTION_URL', 'http://127.0.0.1:4004/graphql'],
      ['reporting', 'REPORTING_URL', 'http://127.0.0.1:4005/graphql'],
    ]);
  });
});

/** The value of the series of `name` with these operation and outcome labels. */
function sample(
  text: string,
  name: string,
  operation: string,
  outcome: string,
): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(name + '{') &&
        l.includes(`operation="${operation}"`) &&
        l.includes(`outcome="${outcome}"`),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the gateway', () => {
  let rig: GatewayRig;
  let url: string;
  let admin: string;
  const base = () => url.replace(/\/graphql$/, '');

  beforeAll(async () => {
    rig = await startGatewayRig({ maxBodyBytes: 64 * 1024, maxUploadBytes: 256 * 1024 });
    ({ url, admin } = rig);
  });

  afterAll(() => rig?.stop());

  const post = (headers: Record<string, string>, query: string, operationName?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, ...headers },
      body: JSON.stringify({ query, operationName }),
    });

  it('forwards the request id and the signed identity and workspace to the subgraph at its overridden URL', async () => {
    const res = await post(
      { 'x-request-id': 'req-123', 'x-workspace-id': 'acme' },
      'query Who { caller { requestId workspaceId subject role } }',
      'Who',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(await res.json()).toEqual({
      data: {
        caller: { requestId: 'req-123', workspaceId: 'acme', subject: 'ana', role: 'admin' },
      },
    });
  });

  it("mints a request id and uses the token's first workspace when the caller sends neither", async () => {
    const res = await post({}, '{ caller { requestId workspaceId } }');
    const body = (await res.json()) as { data: { caller: Record<string, string> } };
    const minted = res.headers.get('x-request-id');
    expect(minted).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.data.caller).toEqual({ requestId: minted, workspaceId: 'default' });
  });

  it('continues the caller trace in the subgraph request', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await post(
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      '{ caller { traceparent } }',
    );
    const body = (await res.json()) as { data: { caller: { traceparent: string } } };
    expect(body.data.caller.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('rejects a workspace id that could not be a storage key with BAD_USER_INPUT', async () => {
    const res = await post({ 'x-workspace-id': 'a.b>' }, '{ caller { workspaceId } }');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'x-workspace-id',
    });
  });

  it('answers /healthz and /readyz once the supergraph is loaded', async () => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('counts requests and their duration by operation name and outcome on /metrics', async () => {
    await post({}, 'query Counted { caller { requestId } }', 'Counted');
    await post({}, 'query Broken { caller { nope } }', 'Broken');
    const res = await fetch(`${base()}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'gateway_graphql_requests_total', 'Counted', 'ok')).toBe(1);
    expect(sample(text, 'gateway_graphql_requests_total', 'Broken', 'error')).toBe(1);
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count', 'Counted', 'ok')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers an unknown path with 404', async () => {
    expect((await fetch(`${base()}/nope`)).status).toBe(404);
  });

  it('refuses a body over the size limit with 413, but lets a file upload through up to its own', async () => {
    const res = await post({}, `{ caller { requestId } } # ${'x'.repeat(70 * 1024)}`);
    expect(res.status).toBe(413);
    expect(
      ((await res.json()) as { errors: [{ extensions: { code: string } }] }).errors[0].extensions
        .code,
    ).toBe('PAYLOAD_TOO_LARGE');
    const upload = await post(
      {},
      `mutation { ingestDataset(content: "${'x'.repeat(100 * 1024)}") }`,
    );
    expect(await upload.json()).toEqual({ data: { ingestDataset: 100 * 1024 } });
    const tooBig = await post(
      {},
      `mutation { ingestDataset(content: "${'x'.repeat(300 * 1024)}") }`,
    );
    expect(tooBig.status).toBe(413);
  });
});

describe('a subgraph the gateway cannot reach', () => {
  it('is named to the client without its URL or socket error, and logged with both', async () => {
    const telemetry = startTelemetry('gateway-test');
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('gateway-test', {
      level: 'error',
      write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    // A free port nothing listens on: every fetch is refused. (Not a well-known port such as 9:
    // Node's fetch refuses those as "bad port" before connecting.)
    const closed = await freePort();
    const gateway = gatewayOver(`http://127.0.0.1:${closed}/graphql`, { logger });
    try {
      const url = await gateway.start(0, '127.0.0.1');
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await token()}`,
          'x-request-id': 'req-down',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: JSON.stringify({ query: '{ caller { requestId } }' }),
      });
      const body = (await res.json()) as {
        errors: Array<{ message: string; extensions: Record<string, unknown> }>;
      };
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].message).toBe('subgraph callers is unavailable');
      expect(body.errors[0].extensions).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        serviceName: 'callers',
      });
      const raw = JSON.stringify(body);
      expect(raw).not.toContain('127.0.0.1');
      expect(raw).not.toContain('ECONNREFUSED');

      const logged = lines.filter((l) => l.msg === 'graphql request failed');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ request_id: 'req-down', trace_id: traceId });
      const error = logged[0].error as { message: string; stack: string };
      expect(error.message).toContain('ECONNREFUSED');
      expect(error.stack).toEqual(expect.any(String));
    } finally {
      await gateway.stop();
      await telemetry.shutdown();
    }
  });
});

describe('stopping the gateway', () => {
  it('lets a request in flight finish, then refuses new connections', async () => {
    const subgraph = await startCallerSubgraph();
    const gateway = gatewayOver(subgraph.url);
    try {
      const url = await gateway.start(0, '127.0.0.1');
      const inFlight = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
        body: JSON.stringify({ query: '{ slow(ms: 300) }' }),
      });
      await new Promise((r) => setTimeout(r, 100));
      const stopped = gateway.stop();
      expect(gateway.isReady()).toBe(false);
      const res = await inFlight;
      expect(await res.json()).toEqual({ data: { slow: 300 } });
      await stopped;
      await expect(fetch(url.replace(/\/graphql$/, '/healthz'))).rejects.toThrow();
    } finally {
      await gateway.stop();
      await subgraph.stop();
    }
  });

  it('answers /readyz with 503 for the grace period before the listener closes', async () => {
    const gateway = gatewayOver('http://127.0.0.1:9/graphql', { shutdownReadyGraceMs: 400 });
    const url = await gateway.start(0, '127.0.0.1');
    const readyz = url.replace(/\/graphql$/, '/readyz');
    expect((await fetch(readyz)).status).toBe(200);
    const stopped = gateway.stop();
    expect((await fetch(readyz)).status).toBe(503);
    await stopped;
    await expect(fetch(readyz)).rejects.toThrow();
  });
});
