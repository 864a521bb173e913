import { startTelemetry } from '@mmm/platform';
import {
  gatewayOver,
  startCallerSubgraph,
  startGatewayRig,
  token,
  type GatewayRig,
} from './support';

/** The value of a series on /metrics whose labels include all of these. */
function series(text: string, name: string, labels: Record<string, string>): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(name + '{') &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('forwarding one-subgraph queries', () => {
  let rig: GatewayRig;
  let subgraph: GatewayRig['subgraph'];
  let url: string;
  let admin: string;

  beforeAll(async () => {
    rig = await startGatewayRig({ maxBodyBytes: 16 * 1024 });
    ({ subgraph, url, admin } = rig);
  });

  afterAll(() => rig?.stop());

  const post = (
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    bearer = admin,
  ) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${bearer}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });

  const metrics = async () => (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  const forwarded = async (operation: string) =>
    series(await metrics(), 'gateway_forwarded_requests_total', { operation });

  it('answers a query Apollo has run by forwarding it, as Apollo answered it', async () => {
    const query = 'query Who($ms: Int!) { slow(ms: $ms) caller { requestId workspaceId role } }';
    const ask = (requestId: string) =>
      post(
        // A variable the operation does not declare is not sent on, as Apollo does not.
        { query, operationName: 'Who', variables: { ms: 1, unused: 'x' } },
        { 'x-request-id': requestId, 'x-workspace-id': 'acme' },
      );
    const first = await ask('req-one');
    const firstBody = await first.text();
    expect(await forwarded('Who')).toBe(0);

    const second = await ask('req-two');
    expect(await forwarded('Who')).toBe(1);
    expect(second.status).toBe(first.status);
    // Every header but the clock's and the request id.
    const headersOf = (res: Response) =>
      [...res.headers].filter(([name]) => !['date', 'x-request-id'].includes(name));
    expect(headersOf(second)).toEqual(headersOf(first));
    expect(headersOf(first).map(([name]) => name)).toContain('content-type');
    expect(second.headers.get('x-request-id')).toBe('req-two');
    // The same bytes, but the subgraph's answer to this request, not a remembered one.
    expect(await second.text()).toBe(firstBody.replace('req-one', 'req-two'));
    expect(firstBody).toBe(
      '{"data":{"slow":1,"caller":{"requestId":"req-one","workspaceId":"acme","role":"admin"}}}\n',
    );
    const text = await metrics();
    expect(
      series(text, 'gateway_graphql_requests_total', { operation: 'Who', outcome: 'ok' }),
    ).toBe(2);
    expect(
      series(text, 'gateway_graphql_request_duration_seconds_count', {
        operation: 'Who',
        outcome: 'ok',
      }),
    ).toBe(2);
  });

  it('answers in the content type Apollo negotiates for each Accept header, whoever sent one before', async () => {
    const query = 'query Negotiated { caller { role } }';
    await post({ query });
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    // Another caller's GET of the landing page with a browser's Accept header first.
    const viewer = await token({ roles: ['viewer'], workspaces: ['acme'] });
    const page = await fetch(url, {
      headers: { accept: browser, authorization: `Bearer ${viewer}` },
    });
    await page.text();
    for (const accept of [
      browser,
      'application/graphql-response+json',
      'application/json, */*;q=0.5',
      'text/html',
      '',
    ]) {
      const before = await forwarded('Negotiated');
      const answer = await post({ query }, { accept });
      const forwardedNow = (await forwarded('Negotiated')) - before;
      // The same text with one more space goes through Apollo.
      const reference = await post({ query: query + ' ' }, { accept });
      expect([accept, answer.status, answer.headers.get('content-type')]).toEqual([
        accept,
        reference.status,
        reference.headers.get('content-type'),
      ]);
      expect(await answer.text()).toBe(await reference.text());
      // All but the one Apollo refuses (406) were forwarded.
      expect(forwardedNow).toBe(reference.status === 200 ? 1 : 0);
    }
  });

  it('continues the caller trace in the forwarded request', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const query = 'query Traced { caller { traceparent } }';
    await post({ query });
    const res = await post({ query }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(await forwarded('Traced')).toBe(1);
    const body = (await res.json()) as { data: { caller: { traceparent: string } } };
    expect(body.data.caller.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('checks the caller role on every forwarded request', async () => {
    const query = 'query Audit { auditEvents }';
    await post({ query });
    expect(await (await post({ query })).json()).toEqual({ data: { auditEvents: ['recorded'] } });
    expect(await forwarded('Audit')).toBe(1);
    const viewer = await token({ roles: ['viewer'] });
    const refused = await post({ query }, {}, viewer);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { errors: [{ extensions: { code: string } }] };
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await forwarded('Audit')).toBe(1);
  });

  it('leaves to Apollo what it must shape: fragments, mutations, long texts, oversized bodies', async () => {
    const fragment = 'query Fragmented { caller { ...Who } } fragment Who on Caller { role }';
    const mutation = 'mutation Renamed { rename(id: "d1") }';
    for (let i = 0; i < 2; i++) {
      expect(await (await post({ query: fragment })).json()).toEqual({
        data: { caller: { role: 'admin' } },
      });
      expect(await (await post({ query: mutation })).json()).toEqual({
        data: { rename: 'd1' },
      });
    }
    expect(await forwarded('Fragmented')).toBe(0);
    expect(await forwarded('Renamed')).toBe(0);

    // A query text padded past what is worth remembering (comments are not tokens).
    const padded = `query Commented { caller { role } } # ${'x'.repeat(10 * 1024)}`;
    await post({ query: padded });
    expect((await post({ query: padded })).status).toBe(200);
    expect(await forwarded('Commented')).toBe(0);

    const query = 'query Padded($ms: Int!) { slow(ms: $ms) }';
    await post({ query, variables: { ms: 0 } });
    const big = await post({ query, variables: { ms: 0, pad: 'x'.repeat(20 * 1024) } });
    expect(big.status).toBe(413);
    expect(await forwarded('Padded')).toBe(0);
  });

  it('lets Apollo shape an answer with errors from the same answer, without asking again', async () => {
    const failing = 'query Failing { caller { role } failing }';
    await post({ query: failing });
    const asked = subgraph.requests();
    const answer = await post({ query: failing });
    expect(subgraph.requests()).toBe(asked + 1);
    const reference = await post({ query: failing + ' ' });
    expect(answer.status).toBe(reference.status);
    const body = (await answer.json()) as { errors?: unknown[] };
    expect(body.errors).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain('/srv/mmm');
    expect(body).toEqual(await reference.json());
    expect(await forwarded('Failing')).toBe(0);
    expect(series(await metrics(), 'gateway_forward_fallbacks_total', { reason: 'errors' })).toBe(
      1,
    );
  });

  it('checks variables against the API schema before the subgraph sees them', async () => {
    const query = 'query Typed($ms: Int!) { slow(ms: $ms) }';
    expect(await (await post({ query, variables: { ms: 2 } })).json()).toEqual({
      data: { slow: 2 },
    });
    const asked = subgraph.requests();
    const wrong = await post({ query, variables: { ms: 'soon' } });
    expect(subgraph.requests()).toBe(asked);
    const reference = await post({ query: query + ' ', variables: { ms: 'soon' } });
    expect(wrong.status).toBe(reference.status);
    expect(await wrong.json()).toEqual(await reference.json());
    expect(await forwarded('Typed')).toBe(0);
  });

  it('answers as Apollo does whatever the operation name and variable names spell', async () => {
    const query = 'query Named { caller { role } }';
    const proto = 'query Proto($__proto__: Int = 4) { slow(ms: $__proto__) }';
    await post({ query });
    await post({ query: proto });
    await post({ query: `query A { caller { role } }\n# tail` });
    for (const body of [
      { query, operationName: null },
      { query, operationName: 'Named' },
      // A text and name that would spell the learned key if they were joined with a newline.
      { query: '# tail', operationName: '\nquery A { caller { role } }' },
      { query: proto, variables: JSON.parse('{"__proto__": 7}') as Record<string, unknown> },
    ]) {
      const answer = await post(body);
      const reference = await post({ ...body, query: body.query + ' ' });
      // Error locations move with the extra space: compare all but them.
      const seen = async (res: Response) => {
        const { data, errors } = (await res.json()) as {
          data?: unknown;
          errors?: Array<{ message: string; extensions?: { code?: string } }>;
        };
        return { status: res.status, data, errors: errors?.map((e) => e.extensions?.code) };
      };
      expect([JSON.stringify(body), await seen(answer)]).toEqual([
        JSON.stringify(body),
        await seen(reference),
      ]);
    }
    expect(await forwarded('Proto')).toBe(1);

    // An empty name is refused at the door (Apollo's gateway would answer 500).
    const empty = await post({ query, operationName: '' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      errors: [
        {
          message:
            'operationName must name an operation of the document, or be absent; it is empty.',
          extensions: { code: 'BAD_USER_INPUT', field: 'operationName' },
        },
      ],
    });
  });
});

describe('forwarding to a subgraph that stopped', () => {
  it('answers as Apollo does when the subgraph cannot be reached', async () => {
    const telemetry = startTelemetry('gateway-test');
    const subgraph = await startCallerSubgraph();
    const gateway = gatewayOver(subgraph.url);
    try {
      const url = await gateway.start(0, '127.0.0.1');
      const admin = await token();
      const ask = () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
          body: JSON.stringify({ query: '{ caller { role } }' }),
        });
      expect(await (await ask()).json()).toEqual({ data: { caller: { role: 'admin' } } });
      await subgraph.stop();
      const body = (await (await ask()).json()) as {
        errors: Array<{ message: string; extensions: Record<string, unknown> }>;
      };
      expect(body.errors.map((e) => [e.message, e.extensions.code])).toEqual([
        ['subgraph callers is unavailable', 'SERVICE_UNAVAILABLE'],
      ]);
    } finally {
      await gateway.stop();
      await subgraph.stop();
      await telemetry.shutdown();
    }
  });
});
