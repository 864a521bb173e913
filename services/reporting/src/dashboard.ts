import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { readBody, type Logger } from '@mmm/platform';

// The dashboard: a plain page (HTML, CSS, one script, no build step) and ECharts' browser build
// from the echarts package, all served from this process (no CDN: it works offline). The page
// talks only to the gateway's GraphQL, through /dashboard/graphql on this same origin, which
// forwards the request as it is (workspace, token and request id headers included) to
// GATEWAY_URL: no CORS is needed and the gateway's own URL can stay internal.

/** The static files, from src/dashboard (also when running from dist/src). */
function dashboardDir(): string {
  const candidates = [
    path.join(__dirname, 'dashboard'),
    path.join(__dirname, '..', '..', 'src', 'dashboard'),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return found;
}

function echartsBrowserBuild(): string {
  // The package's CommonJS entry is dist/echarts.js; its minified browser build sits beside it.
  return path.join(path.dirname(require.resolve('echarts')), 'echarts.min.js');
}

interface Asset {
  type: string;
  body: Buffer;
}

const FORWARDED = [
  'content-type',
  'x-workspace-id',
  'x-request-id',
  'authorization',
  'traceparent',
];

export function dashboardRoute(options: {
  gatewayUrl: string;
  logger: Logger;
  maxBodyBytes?: number;
}) {
  const dir = dashboardDir();
  const assets: Record<string, Asset> = {
    '/dashboard/': {
      type: 'text/html; charset=utf-8',
      body: readFileSync(path.join(dir, 'index.html')),
    },
    '/dashboard/app.js': {
      type: 'text/javascript; charset=utf-8',
      body: readFileSync(path.join(dir, 'app.js')),
    },
    '/dashboard/app.css': {
      type: 'text/css; charset=utf-8',
      body: readFileSync(path.join(dir, 'app.css')),
    },
    '/dashboard/echarts.min.js': {
      type: 'text/javascript; charset=utf-8',
      body: readFileSync(echartsBrowserBuild()),
    },
  };

  async function proxy(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req, options.maxBodyBytes ?? 50 * 1024 * 1024);
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let upstream: Response;
    try {
      upstream = await fetch(options.gatewayUrl, { method: 'POST', headers, body });
    } catch (error) {
      options.logger.warn('dashboard: gateway unreachable', {
        gateway: options.gatewayUrl,
        error: String(error),
      });
      const message = `The gateway at ${options.gatewayUrl} cannot be reached.`;
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ errors: [{ message, extensions: { code: 'GATEWAY_UNREACHABLE' } }] }),
      );
      return;
    }
    const text = await upstream.text();
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://reporting');
    if (url.pathname === '/dashboard') {
      res.writeHead(302, { location: '/dashboard/' });
      res.end();
      return true;
    }
    if (url.pathname === '/dashboard/graphql') {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' });
        res.end('POST GraphQL requests here\n');
        return true;
      }
      await proxy(req, res);
      return true;
    }
    const asset = assets[url.pathname];
    if (!asset) return false;
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.byteLength,
      'cache-control': url.pathname.endsWith('echarts.min.js')
        ? 'public, max-age=86400'
        : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  };
}
