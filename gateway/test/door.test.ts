/**
 * The gateway's door over real HTTP: each way in that must be refused is refused with its status
 * and code, and each limit holds. Each test fails if its protection is removed.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, exportSPKI } from 'jose';
import { signedIdentityHeaders } from '@mmm/platform';
import { TEST_SIGNING_SECRET } from '@mmm/platform/testkit';
import type { Gateway } from '../src';
import { JWT_SECRET, gatewayOver, startCallerSubgraph, token } from './support';

interface Reply {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

async function post(
  url: string,
  query: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, ...extra }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const code = (r: Reply) => r.body.errors?.[0]?.extensions?.code;

let subgraph: { url: string; stop(): Promise<void> };
let jwks: http.Server;
let jwksUrl: string;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  subgraph = await startCallerSubgraph();
  // The identity provider's JWKS, on real HTTP.
  rsa = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = http.createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  gateway = gatewayOver(subgraph.url, {
    auth: {
      jwtSecret: JWT_SECRET,
      jwksUrl,
      issuer: 'mmm-test',
      audience: 'mmm-platform',
      clockSkewSeconds: 5,
      signingSecret: TEST_SIGNING_SECRET,
    },
    requestTimeoutMs: 300,
    pullTimeoutMs: 1000,
    limits: { depth: 4, cost: 500, aliases: 3, directives: 3, tokens: 200 },
  });
  url = await gateway.start(0, '127.0.0.1');
});

afterAll(async () => {
  await gateway?.stop();
  await subgraph?.stop();
  await new Promise((r) => jwks?.close(r));
});

const WHO = '{ caller { subject role workspaceId } }';

describe('who may come in', () => {
  it('lets in a valid HS256 token and a valid RS256 token of the JWKS', async () => {
    const hs = await post(url, WHO, bearer(await token()));
    expect(hs.body).toEqual({
      data: { caller: { subject: 'ana', role: 'admin', workspaceId: 'default' } },
    });
    const rs = await new SignJWT({ roles: ['viewer'], workspaces: ['acme'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('idp-user')
      .setIssuer('mmm-test')
      .setAudience('mmm-platform')
      .setExpirationTime('5m')
      .sign(rsa.privateKey);
    expect((await post(url, WHO, bearer(rs))).body).toEqual({
      data: { caller: { subject: 'idp-user', role: 'viewer', workspaceId: 'acme' } },
    });
  });

  it('refuses with 401 UNAUTHENTICATED every bad credential, saying what is wrong', async () => {
    const other = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const unsigned =
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url') +
      '.' +
      Buffer.from(
        JSON.stringify({
          sub: 'eve',
          roles: ['admin'],
          workspaces: ['default'],
          iss: 'mmm-test',
          aud: 'mmm-platform',
          exp: now + 600,
        }),
      ).toString('base64url') +
      '.';
    // Algorithm confusion: an HS256 token whose key is the identity provider's public key.
    const publicPem = await exportSPKI(rsa.publicKey);
    const confused = await new SignJWT({ roles: ['admin'], workspaces: ['default'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .setIssuer('mmm-test')
      .setAudience('mmm-platform')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicPem));
    const foreignRs = await new SignJWT({ roles: ['admin'], workspaces: ['default'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('eve')
      .setIssuer('mmm-test')
      .setAudience('mmm-platform')
      .setExpirationTime('5m')
      .sign(other.privateKey);
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no token', {}, 'no bearer token'],
      ['not a bearer', { authorization: 'Basic YWxpY2U6c2VjcmV0' }, 'not a bearer token'],
      ['garbage', bearer('abc.def.ghi'), 'malformed'],
      ['expired', bearer(await token({ expiresInSeconds: -60 })), 'expired'],
      ['wrong secret', bearer(await token({}, 'x'.repeat(40))), 'signature does not verify'],
      [
        'wrong audience',
        bearer(await token({ audience: 'another-api' })),
        'audience (aud) is not accepted',
      ],
      [
        'wrong issuer',
        bearer(await token({ issuer: 'someone-else' })),
        'issuer (iss) is not accepted',
      ],
      ['alg none', bearer(unsigned), 'algorithm none is not accepted'],
      ['alg confusion', bearer(confused), 'signature does not verify'],
      ['key not in the JWKS', bearer(foreignRs), 'signature does not verify'],
      ['no role', bearer(await token({ roles: [] })), 'names no role'],
      ['no workspaces', bearer(await token({ workspaces: [] })), 'names no workspaces'],
    ];
    for (const [why, headers, says] of cases) {
      const r = await post(url, WHO, headers);
      expect([why, r.status, code(r)]).toEqual([why, 401, 'UNAUTHENTICATED']);
      expect([why, r.body.errors?.[0].message]).toEqual([why, expect.stringContaining(says)]);
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
      expect(r.body.data).toBeUndefined();
    }
  });

  it("lets in the platform's own services by the signed identity, within its window only", async () => {
    const requestId = randomUUID();
    const identity = {
      subject: 'service:reporting',
      role: 'analyst' as const,
      workspaceId: 'acme',
    };
    const signed = signedIdentityHeaders(identity, TEST_SIGNING_SECRET, requestId);
    const ok = await post(url, WHO, { 'x-request-id': requestId, ...signed });
    expect(ok.body.data).toEqual({
      caller: { subject: 'service:reporting', role: 'analyst', workspaceId: 'acme' },
    });
    const stale = signedIdentityHeaders(
      identity,
      TEST_SIGNING_SECRET,
      requestId,
      Date.now() - 61_000,
    );
    const replayed = await post(url, WHO, { 'x-request-id': requestId, ...stale });
    expect([replayed.status, code(replayed)]).toEqual([401, 'UNAUTHENTICATED']);
    const forged = signedIdentityHeaders(
      identity,
      'not-the-secret-but-32-characters-long',
      requestId,
    );
    expect((await post(url, WHO, { 'x-request-id': requestId, ...forged })).status).toBe(401);
  });
});

describe('what a caller may do', () => {
  it('refuses a mutation above the role with 403 FORBIDDEN, before any subgraph runs it', async () => {
    const viewer = bearer(await token({ roles: ['viewer'] }));
    const analyst = bearer(await token({ roles: ['analyst'] }));
    expect((await post(url, WHO, viewer)).status).toBe(200);
    const r = await post(url, 'mutation { rename(id: "d1") }', viewer);
    expect([r.status, code(r)]).toEqual([403, 'FORBIDDEN']);
    expect(r.body.errors?.[0].message).toContain('rename needs the analyst role');
    expect((await post(url, 'mutation { rename(id: "d1") }', analyst)).body).toEqual({
      data: { rename: 'd1' },
    });
    const d = await post(url, 'mutation { deleteDataset(id: "d1") }', analyst);
    expect([d.status, code(d)]).toEqual([403, 'FORBIDDEN']);
    const admin = bearer(await token({ roles: ['analyst', 'admin'] }));
    expect((await post(url, 'mutation { deleteDataset(id: "d1") }', admin)).body).toEqual({
      data: { deleteDataset: true },
    });
    // Written inside fragments, the same root fields are the same fields.
    for (const hidden of [
      'mutation { ... on Mutation { deleteDataset(id: "d1") } }',
      'mutation { ...Gone } fragment Gone on Mutation { deleteDataset(id: "d1") }',
    ]) {
      const r = await post(url, hidden, analyst);
      expect([hidden, r.status, code(r)]).toEqual([hidden, 403, 'FORBIDDEN']);
    }
  });

  it('refuses a workspace the token does not list with 403, whether or not it exists', async () => {
    const t = bearer(await token({ workspaces: ['acme'] }));
    for (const ws of ['default', 'globex', 'no-such-workspace']) {
      const r = await post(url, WHO, { ...t, 'x-workspace-id': ws });
      expect([ws, r.status, code(r)]).toEqual([ws, 403, 'FORBIDDEN']);
      expect(r.body.errors?.[0].message).toBe(
        `Forbidden: the caller may not act in workspace ${ws}.`,
      );
    }
    expect((await post(url, WHO, { ...t, 'x-workspace-id': 'acme' })).status).toBe(200);
  });
});

describe('limits at the door', () => {
  it.each([
    ['too deep', '{ caller { next { next { next { next { role } } } } } }', 'depth limit'],
    [
      'too many aliases',
      '{ a: caller { requestId } b: caller { requestId } c: caller { requestId } d: caller { requestId } }',
      'Aliases limit',
    ],
    [
      'too many directives',
      '{ caller { requestId @skip(if: false) @skip(if: false) @include(if: true) @include(if: true) } }',
      'Directives limit',
    ],
    ['too many tokens', `{ caller { ${'requestId '.repeat(250)} } }`, 'Token limit'],
  ])('refuses a query %s with QUERY_TOO_COMPLEX', async (_, query, says) => {
    const r = await post(url, query, bearer(await token()));
    expect(code(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.body.errors?.[0].message).toContain(says);
    expect(r.body.data ?? null).toBeNull();
  });

  it('refuses a query over the cost limit with QUERY_TOO_COMPLEX', async () => {
    const cheap = gatewayOver(subgraph.url, {
      limits: { depth: 10, cost: 20, aliases: 10, directives: 10, tokens: 1000 },
    });
    const cheapUrl = await cheap.start(0, '127.0.0.1');
    try {
      const t = bearer(await token());
      expect((await post(cheapUrl, '{ caller { role } }', t)).status).toBe(200);
      const r = await post(
        cheapUrl,
        `{ ${'caller { requestId workspaceId subject role } '.repeat(4)} }`,
        t,
      );
      expect(code(r)).toBe('QUERY_TOO_COMPLEX');
      expect(r.body.errors?.[0].message).toContain('Cost limit of 20 exceeded');
    } finally {
      await cheap.stop();
    }
  });

  it('refuses batched requests (amplification) and unknown fields', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(await token()) },
      body: JSON.stringify([{ query: WHO }, { query: WHO }]),
    });
    expect(res.status).toBe(400);
    const unknown = await post(url, '{ caller { password } }', bearer(await token()));
    expect(code(unknown)).toBe('GRAPHQL_VALIDATION_FAILED');
    // With introspection off, no "did you mean" leaks field names.
    expect(unknown.body.errors?.[0].message).not.toContain('Did you mean');
  });

  it('answers introspection only when it is turned on', async () => {
    const r = await post(url, '{ __schema { types { name } } }', bearer(await token()));
    expect(code(r)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0].message).toContain('introspection');
  });

  it('answers 504 GATEWAY_TIMEOUT when a request runs past its time', async () => {
    const r = await post(url, '{ slow(ms: 1500) }', bearer(await token()));
    expect([r.status, code(r)]).toEqual([504, 'GATEWAY_TIMEOUT']);
    expect((await post(url, '{ slow(ms: 10) }', bearer(await token()))).body).toEqual({
      data: { slow: 10 },
    });
  });

  it('gives a source pull the pull timeout, and nothing else', async () => {
    const t = bearer(await token());
    expect((await post(url, 'mutation { pullSource(ms: 600) }', t)).body).toEqual({
      data: { pullSource: 600 },
    });
    const late = await post(url, 'mutation { pullSource(ms: 1400) }', t);
    expect([late.status, code(late)]).toEqual([504, 'GATEWAY_TIMEOUT']);
    expect(late.body.errors?.[0].message).toBe('The request did not finish within 1000 ms.');
    // With another mutation beside it the ordinary timeout holds.
    const mixed = await post(url, 'mutation { pullSource(ms: 600) rename(id: "d1") }', t);
    expect([mixed.status, mixed.body.errors?.[0].message]).toEqual([
      504,
      'The request did not finish within 300 ms.',
    ]);
    // Fragments neither hide another mutation beside a pull nor lose a pull's timeout.
    const hidden = await post(
      url,
      'mutation { pullSource(ms: 600) ... on Mutation { rename(id: "d1") } }',
      t,
    );
    expect(hidden.status).toBe(504);
    const inFragment = await post(url, 'mutation { ... on Mutation { pullSource(ms: 600) } }', t);
    expect(inFragment.body).toEqual({ data: { pullSource: 600 } });
  });

  it('serves automatic persisted queries: a hash alone once the query is known', async () => {
    const query = '{ caller { role } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const apq = { persistedQuery: { version: 1, sha256Hash } };
    const t = bearer(await token());
    const first = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t },
      body: JSON.stringify({ extensions: apq }),
    });
    expect(((await first.json()) as Reply['body']).errors?.[0].extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    expect((await post(url, query, t, { extensions: apq })).body.data).toEqual({
      caller: { role: 'admin' },
    });
    const again = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t },
      body: JSON.stringify({ extensions: apq }),
    });
    expect(await again.json()).toEqual({ data: { caller: { role: 'admin' } } });
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a caller spends its allowance, and not another caller', async () => {
    const limited = gatewayOver(subgraph.url, { rateLimitPerMinute: 5 });
    const limitedUrl = await limited.start(0, '127.0.0.1');
    try {
      const ana = bearer(await token({ subject: 'ana' }));
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await post(limitedUrl, WHO, ana)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const r = await post(limitedUrl, WHO, ana);
      expect(code(r)).toBe('TOO_MANY_REQUESTS');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await post(limitedUrl, WHO, bearer(await token({ subject: 'bob' })))).status).toBe(
        200,
      );
      const metrics = await (await fetch(limitedUrl.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(/gateway_refused_requests_total\{code="TOO_MANY_REQUESTS"[^}]*\} 3/);
    } finally {
      await limited.stop();
    }
  });
});
