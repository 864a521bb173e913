import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { BodyTooLargeError, readBody, type Logger } from '@mmm/platform';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { GatewayContext } from './context';
import { REQUEST_ID_HEADER, requestIdFrom } from './context';
import { DoorRefusal, type Door } from './door';
import type { Forwarding } from './forwarding';

export interface HttpRoutesOptions {
  apollo: ApolloServer<GatewayContext>;
  /** Answers one-subgraph queries Apollo has seen without its pipeline; the rest go to Apollo. */
  forwarding: Forwarding;
  registry: Registry;
  isReady: () => boolean;
  door: Door;
  /** Largest request body read, in bytes (file uploads' limit; others are checked once parsed). */
  maxUploadBytes: number;
  /** A request still running after this answers 504 GATEWAY_TIMEOUT. */
  requestTimeoutMs: number;
  /** Counts refusals at the door by code. */
  onRefused?: (code: string) => void;
  logger: Logger;
}

class RequestTimeout extends Error {}

const tracer = trace.getTracer('mmm-gateway');

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Node http handler: /graphql through Apollo, plus /healthz, /readyz and /metrics. */
export function createRequestHandler(options: HttpRoutesOptions) {
  const { apollo, forwarding, registry, isReady } = options;

  async function graphql(req: IncomingMessage, res: ServerResponse, search: string) {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const startedAt = performance.now();
    const requestId = requestIdFrom(headers);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const { caller, workspaceId } = await options.door.admit(headers, requestId);

    let body: unknown;
    let bodyBytes = 0;
    if (req.method === 'POST') {
      const text = await readBody(req, options.maxUploadBytes);
      bodyBytes = Buffer.byteLength(text);
      if ((headers.get('content-type') ?? '').startsWith('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON.' }] });
          return;
        }
      } else {
        body = text;
      }
      // Apollo's gateway fails on an empty name with a 500 (no operation resolved, no error).
      if ((body as { operationName?: unknown } | null)?.operationName === '') {
        throw new DoorRefusal(
          400,
          'BAD_USER_INPUT',
          'operationName must name an operation of the document, or be absent; it is empty.',
          {},
          'operationName',
        );
      }
    }
    // The request's span continues the caller's trace (traceparent) and is the parent of the
    // gateway's fetch spans, whose context the subgraph sources pass on.
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const response = await tracer.startActiveSpan(
      'graphql request',
      { kind: SpanKind.SERVER, attributes: { 'mmm.request_id': requestId } },
      parent,
      async (span) => {
        let timer: NodeJS.Timeout | undefined;
        let limitMs = options.requestTimeoutMs;
        let settled = false;
        let late: (error: RequestTimeout) => void = () => undefined;
        const lateness = new Promise<never>((_, reject) => (late = reject));
        const arm = (ms: number) => {
          clearTimeout(timer);
          limitMs = ms;
          const left = ms - (performance.now() - startedAt);
          timer = setTimeout(() => late(new RequestTimeout()), Math.max(0, left));
        };
        arm(options.requestTimeoutMs);
        try {
          const context: GatewayContext = {
            requestId,
            workspaceId,
            bodyBytes,
            identity: { subject: caller.subject, role: caller.role, workspaceId },
            deadline: {
              extendTo: (ms) => {
                // Apollo may still be running after a 504: no timer outlives the request.
                if (ms > limitMs && !settled) arm(ms);
              },
            },
          };
          const run = async () => {
            const accept = headers.get('accept');
            const forwarded = await forwarding.forward({ body, accept, bodyBytes, context });
            if (forwarded) return forwarded;
            return apollo.executeHTTPGraphQLRequest({
              httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
              context: async () => context,
            });
          };
          const result = await Promise.race([run(), lateness]);
          span.setAttribute('http.response.status_code', result.status ?? 200);
          return result;
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          if (err instanceof RequestTimeout) {
            throw new DoorRefusal(
              504,
              'GATEWAY_TIMEOUT',
              `The request did not finish within ${limitMs} ms.`,
            );
          }
          throw err;
        } finally {
          settled = true;
          clearTimeout(timer);
          span.end();
        }
      },
    );
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    // Per-request lines only at debug: at info they would cost more than the request under load.
    options.logger.debug('graphql request', {
      request_id: requestId,
      status: res.statusCode,
      duration_ms: Math.round(performance.now() - startedAt),
    });
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://gateway');
    switch (url.pathname) {
      case '/healthz':
        return sendJson(res, 200, { status: 'ok' });
      case '/readyz':
        return isReady()
          ? sendJson(res, 200, { status: 'ready' })
          : sendJson(res, 503, { status: 'not ready' });
      case '/metrics':
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
        return;
      case '/':
      case '/graphql':
        return graphql(req, res, url.search);
      default:
        return sendJson(res, 404, { error: `No route for ${url.pathname}.` });
    }
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) {
        options.onRefused?.('PAYLOAD_TOO_LARGE');
        if (!res.headersSent) {
          sendJson(res, 413, {
            errors: [{ message: err.message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
          });
        }
        return;
      }
      if (err instanceof DoorRefusal) {
        options.onRefused?.(err.code);
        if (!res.headersSent) {
          for (const [key, value] of Object.entries(err.headers)) res.setHeader(key, value);
          sendJson(res, err.status, err.body);
        } else res.end();
        return;
      }
      options.logger.error('request failed', { path: req.url, err });
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error.' }] });
      else res.end();
    });
  };
}
