import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Route = (
  seen: Seen,
  res: ServerResponse,
) => void | { status?: number; headers?: Record<string, string | undefined>; json?: unknown };

/** A real HTTP server on loopback that answers as a test scripts it, and records each request. */
export async function startFake(route: Route) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      seen.push(request);
      const answer = route(request, res);
      if (answer === undefined) return;
      res.writeHead(answer.status ?? 200, {
        'content-type': 'application/json',
        ...Object.fromEntries(
          Object.entries(answer.headers ?? {}).filter(
            (e): e is [string, string] => e[1] !== undefined,
          ),
        ),
      });
      res.end(JSON.stringify(answer.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
