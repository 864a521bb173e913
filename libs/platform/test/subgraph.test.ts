import type { NatsConnection } from '@nats-io/nats-core';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  connectNats,
  createLogger,
  startSubgraph,
  startTelemetry,
  type Telemetry,
  type Subgraph,
  type SubgraphContext,
} from '../src';
import * as testkit from '../src/testkit';

jest.setTimeout(30_000);

interface Ctx extends SubgraphContext {
  greeting: string;
}

let telemetry: Telemetry;
let server: testkit.NatsServer;
let nc: NatsConnection;
let subgraph: Subgraph;
let extraReady = true;
const logLines: Array<Record<string, unknown>> = [];

const typeDefs = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Dataset @key(fields: "id") { id: ID! name: String }
  type Query {
    whoami: String
    dataset(id: ID!): Dataset
    invalid: String
    missing: String
    forbidden: String
    conflict: String
    broken: String
  }
  type Mutation {
    rename(id: ID!): String
    deleteDataset(id: ID!): Boolean
  }
`;

const resolvers = {
  Query: {
    whoami: (_: unknown, __: unknown, ctx: Ctx) =>
      `${ctx.greeting} ${ctx.workspaceId} ${ctx.requestId}`,
    dataset: (_: unknown, args: { id: string }) => ({ id: args.id, name: `set ${args.id}` }),
    invalid: () => {
      throw new ValidationError([
        { row: 3, column: 'date', message: 'row 3: date "2024-13-01" is not a date' },
        { field: 'kpiColumn', message: 'kpiColumn "sales" is not a column of the file' },
      ]);
    },
    missing: () => {
      throw new NotFoundError('model', 'm42');
    },
    forbidden: () => {
      throw new ForbiddenError('workspace acme is not yours');
    },
    conflict: () => {
      throw new ConflictError('a training job is already running for this dataset');
    },
    broken: () => {
      throw new Error('connection to 10.0.0.5 refused: password=hunter2');
    },
  },
  Mutation: {
    rename: (_: unknown, args: { id: string }, ctx: Ctx) => `${args.id} by ${ctx.identity.subject}`,
    deleteDataset: () => true,
  },
  Dataset: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: `set ${ref.id}` }),
  },
};

// Loose on purpose: tests look at whatever the server sent.
interface GraphQLBody {
  data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors: Array<{
    message: string;
    path?: string[];
    extensions: Record<string, unknown>;
  }>;
}

/** A request as the gateway sends it (an admin of `default` unless told), or unsigned (null). */
async function gql(
  query: string,
  headers: Record<string, string> = {},
  caller: testkit.TestCaller | null = {},
) {
  const signed = caller
    ? testkit.gatewayHeaders({ requestId: headers['x-request-id'], ...caller })
    : {};
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed, ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLBody,
  };
}

async function waitForStatus(path: string, status: number, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await fetch(`http://127.0.0.1:${subgraph.port}${path}`)).status;
    if (last === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} stayed ${last}, expected ${status}`);
}

beforeAll(async () => {
  // The W3C propagator, so a caller's traceparent reaches the logs.
  telemetry = startTelemetry('subgraph-test');
  server = await testkit.startNatsServer({ jetstream: true });
  nc = await connectNats({ NATS_URL: server.url });
  subgraph = await startSubgraph<Ctx>({
    name: 'subgraph-test',
    typeDefs,
    resolvers,
    port: 0,
    host: '127.0.0.1',
    nats: nc,
    signingSecret: testkit.TEST_SIGNING_SECRET,
    readiness: { buckets: () => extraReady },
    registerShutdown: false,
    maxBodyBytes: 64 * 1024,
    logger: createLogger('subgraph-test', {
      level: 'error',
      write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>),
    }),
    context: (base) => ({ ...base, greeting: 'hello' }),
  });
});

afterAll(async () => {
  await subgraph?.stop();
  await nc?.close();
  await server?.stop();
  await telemetry?.shutdown();
});

describe('startSubgraph over real HTTP', () => {
  it('answers GraphQL with a context carrying the signed workspace and the request id', async () => {
    const res = await gql('{ whoami }', { 'x-request-id': 'r-123' }, { workspace: 'acme' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { whoami: 'hello acme r-123' } });
    expect(res.headers.get('x-request-id')).toBe('r-123');
  });

  it('takes the workspace from the signature, never from an x-workspace-id header', async () => {
    const res = await gql('{ whoami }', { 'x-workspace-id': 'other' }, { workspace: 'acme' });
    expect(res.body.data.whoami).toMatch(/^hello acme /);
  });

  it('refuses with 401 UNAUTHENTICATED a request the gateway did not sign', async () => {
    const signed = testkit.gatewayHeaders({ workspace: 'acme', requestId: 'r-1' });
    const forged = testkit.gatewayHeaders({ workspace: 'victim', requestId: 'r-1' });
    const cases: Array<[string, Record<string, string>, testkit.TestCaller | null]> = [
      ['no signature at all', { 'x-workspace-id': 'acme' }, null],
      ['another secret', {}, { secret: 'not-the-gateway-secret-but-just-as-long!' }],
      ['signed 61 s ago (a replay after its window)', {}, { now: Date.now() - 61_000 }],
      ['signed 61 s ahead', {}, { now: Date.now() + 61_000 }],
      // The identity of one signed request pasted onto another's signature.
      ['a changed identity', { ...signed, 'x-mmm-identity': forged['x-mmm-identity'] }, null],
      ['another request id', { ...signed, 'x-request-id': 'r-2' }, null],
    ];
    for (const [why, headers, caller] of cases) {
      const res = await gql('{ whoami }', headers, caller);
      expect([why, res.status]).toEqual([why, 401]);
      expect([why, res.body.errors[0].extensions.code]).toEqual([why, 'UNAUTHENTICATED']);
      expect(res.body.data ?? null).toBeNull();
    }
  });

  it("checks every mutation's role again: a viewer may not change, an analyst may not delete", async () => {
    const viewer = await gql('mutation { rename(id: "d1") }', {}, { role: 'viewer' });
    expect(viewer.status).toBe(403);
    expect(viewer.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(viewer.body.errors[0].message).toContain('rename needs the analyst role');
    const analyst = await gql(
      'mutation { rename(id: "d1") }',
      {},
      { role: 'analyst', subject: 'ana' },
    );
    expect(analyst.body).toEqual({ data: { rename: 'd1 by ana' } });
    const remove = await gql(
      'mutation { rename(id: "d1") deleteDataset(id: "d1") }',
      {},
      { role: 'analyst' },
    );
    expect(remove.body.errors[0].extensions.code).toBe('FORBIDDEN');
    // Inside fragments too.
    for (const hidden of [
      'mutation { ... on Mutation { deleteDataset(id: "d1") } }',
      'mutation { ...Gone } fragment Gone on Mutation { deleteDataset(id: "d1") }',
    ]) {
      const r = await gql(hidden, {}, { role: 'analyst' });
      expect([hidden, r.status, r.body.errors?.[0]?.extensions.code]).toEqual([
        hidden,
        403,
        'FORBIDDEN',
      ]);
    }
    expect(remove.body.data ?? null).toBeNull();
    const admin = await gql('mutation { deleteDataset(id: "d1") }', {}, { role: 'admin' });
    expect(admin.body).toEqual({ data: { deleteDataset: true } });
    expect((await gql('{ whoami }', {}, { role: 'viewer' })).status).toBe(200);
  });

  it('serves the federation SDL and resolves entities for the gateway', async () => {
    const sdl = await gql('{ _service { sdl } }');
    expect(sdl.body.data._service.sdl).toContain('type Dataset');
    const entities = await gql(
      '{ _entities(representations: [{ __typename: "Dataset", id: "d7" }]) { ... on Dataset { name } } }',
    );
    expect(entities.body.data._entities).toEqual([{ name: 'set d7' }]);
  });

  it('answers /healthz with 200 while the process lives', async () => {
    const res = await fetch(`http://127.0.0.1:${subgraph.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'subgraph-test' });
  });

  it('answers /readyz with 200 only while NATS is connected and every check passes', async () => {
    const ok = await fetch(`http://127.0.0.1:${subgraph.port}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ready: true, checks: { nats: true, buckets: true } });

    extraReady = false;
    const notReady = await fetch(`http://127.0.0.1:${subgraph.port}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { nats: true, buckets: false } });
    extraReady = true;

    server.process.kill('SIGKILL');
    await waitForStatus('/readyz', 503);
    await waitForStatus('/healthz', 200);
    await server.restart();
    await waitForStatus('/readyz', 200);
  });

  it('exposes default and per-resolver metrics on /metrics', async () => {
    await gql('{ whoami }');
    await gql('{ broken }');
    const res = await fetch(`http://127.0.0.1:${subgraph.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toMatch(
      /graphql_resolver_duration_seconds_count\{[^}]*field="Query.whoami"[^}]*outcome="ok"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /graphql_resolver_calls_total\{[^}]*field="Query.broken"[^}]*outcome="error"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(/graphql_requests_total\{[^}]*outcome="error"/);
    // Default field resolvers are not measured (keeps label sets small).
    expect(text).not.toContain('field="Dataset.name"');
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await gql(`{ whoami } # ${'x'.repeat(70 * 1024)}`);
    expect(res.status).toBe(413);
    expect(res.body.errors[0].message).toBe('request body exceeds 65536 bytes');
  });

  it('answers 404 on unknown paths', async () => {
    expect((await fetch(`http://127.0.0.1:${subgraph.port}/nope`)).status).toBe(404);
  });
});

describe('domain errors at the GraphQL edge', () => {
  it('maps a ValidationError to BAD_USER_INPUT with every issue', async () => {
    const { body } = await gql('{ invalid }');
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message).toBe('2 problems found in the input');
    expect(body.errors[0].path).toEqual(['invalid']);
    expect(body.errors[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      issues: [
        { row: 3, column: 'date', message: 'row 3: date "2024-13-01" is not a date' },
        { field: 'kpiColumn', message: 'kpiColumn "sales" is not a column of the file' },
      ],
    });
  });

  it('maps NotFoundError, ForbiddenError and ConflictError to their codes', async () => {
    const missing = (await gql('{ missing }')).body.errors[0];
    expect(missing.message).toBe('model m42 was not found');
    expect(missing.extensions).toEqual({ code: 'NOT_FOUND', kind: 'model', id: 'm42' });
    const forbidden = (await gql('{ forbidden }')).body.errors[0];
    expect(forbidden.extensions).toEqual({ code: 'FORBIDDEN' });
    const conflict = (await gql('{ conflict }')).body.errors[0];
    expect(conflict.extensions).toEqual({ code: 'CONFLICT' });
    expect(conflict.message).toBe('a training job is already running for this dataset');
  });

  it('hides the message and stack of anything else behind INTERNAL_SERVER_ERROR', async () => {
    const res = await gql('{ broken }');
    expect(res.body.data).toEqual({ broken: null });
    expect(res.body.errors).toEqual([
      {
        message: 'Internal server error',
        locations: [{ line: 1, column: 3 }],
        path: ['broken'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    const raw = JSON.stringify(res.body);
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('stacktrace');
    expect(raw).not.toContain('.ts:');
  });

  it('logs what it hid, with the stack, request id and trace id', async () => {
    logLines.length = 0;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await gql('{ broken missing }', {
      'x-request-id': 'req-broken',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    const lines = logLines.filter((l) => l.msg === 'graphql request failed');
    // One line for the masked error; the NotFoundError reached the client as it is.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      request_id: 'req-broken',
      trace_id: traceId,
      path: 'broken',
      error: { type: 'Error', message: 'connection to 10.0.0.5 refused: password=hunter2' },
    });
    expect((lines[0].error as { stack: string }).stack).toContain('subgraph.test.ts');
  });

  it('keeps GraphQL validation errors readable', async () => {
    const res = await gql('{ nosuchfield }');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors[0].message).toContain('nosuchfield');
    expect(res.body.errors[0].extensions.stacktrace).toBeUndefined();
  });
});

describe('starting a subgraph', () => {
  it('refuses to serve GraphQL without the gateway signing secret', async () => {
    await expect(
      startSubgraph<Ctx>({
        name: 'unsigned',
        typeDefs,
        resolvers,
        port: 0,
        host: '127.0.0.1',
        registerShutdown: false,
        logger: createLogger('unsigned', { level: 'silent' }),
      }),
    ).rejects.toThrow('unsigned: GATEWAY_SIGNING_SECRET is required to serve GraphQL');
  });
});

describe('stopping a subgraph', () => {
  it('answers /readyz with 503 for the grace period before the listener closes', async () => {
    const stopping = await startSubgraph<Ctx>({
      name: 'subgraph-stop-test',
      typeDefs,
      resolvers,
      port: 0,
      host: '127.0.0.1',
      nats: nc,
      registerShutdown: false,
      shutdownReadyGraceMs: 400,
      signingSecret: testkit.TEST_SIGNING_SECRET,
      logger: createLogger('subgraph-stop-test', { level: 'silent' }),
      context: (base) => ({ ...base, greeting: 'hello' }),
    });
    const readyz = `http://127.0.0.1:${stopping.port}/readyz`;
    expect((await fetch(readyz)).status).toBe(200);
    const stopped = stopping.stop();
    const during = await fetch(readyz);
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ ready: false, checks: { shutdown: false } });
    await stopped;
    await expect(fetch(readyz)).rejects.toThrow();
  });
});
