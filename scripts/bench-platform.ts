// A platform for benchmarks: its own nats-server with a temporary store and the compiled
// services (and gateway) as child processes on free ports, quiet logs; everything stops at the
// end. Shared by bench-training and bench-serving.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevelopmentToken } from '@mmm/gateway';
import { signedIdentityHeaders } from '@mmm/platform';
import { natsServerBinary } from '@mmm/platform/testkit';
import { repoRoot } from './paths';
import { freePort, startChild, stopChild, waitListening, waitReady, type Child } from './processes';

export interface BenchProcess {
  child: Child;
  /** Base URL (no path). */
  url: string;
}

export interface BenchPlatform {
  natsUrl: string;
  /** Starts a compiled service (or the gateway) with the given environment; waits for /readyz. */
  start(
    name: string,
    entry: 'gateway' | string,
    env?: Record<string, string>,
    /** Arguments for node before the entry point (e.g. --cpu-prof). */
    nodeArgs?: string[],
  ): Promise<BenchProcess>;
  stop(process: BenchProcess): Promise<void>;
  stopAll(): Promise<void>;
  /**
   * Headers of an admin of `default`: a bearer token for the gateway, or the identity the
   * gateway would sign for a direct call to a subgraph (valid for a minute: ask again per run).
   */
  callerHeaders(via: 'gateway' | 'subgraph'): Promise<Record<string, string>>;
}

const ISSUER = 'mmm-bench';
const AUDIENCE = 'mmm-platform';

export async function startBenchPlatform(): Promise<BenchPlatform> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mmm-bench-'));
  const children: Child[] = [];
  const natsPort = await freePort();
  const nats = startChild(
    'nats',
    natsServerBinary(),
    ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(natsPort)],
    { env: { PATH: process.env.PATH ?? '' } },
  );
  children.push(nats);
  await waitListening(natsPort, nats);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const jwtSecret = randomBytes(32).toString('hex');
  const signingSecret = randomBytes(32).toString('hex');
  const token = await signDevelopmentToken(
    {
      subject: 'bench',
      roles: ['admin'],
      workspaces: ['default'],
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresInSeconds: 24 * 3600,
    },
    jwtSecret,
  );
  return {
    natsUrl,
    async callerHeaders(via): Promise<Record<string, string>> {
      if (via === 'gateway') return { authorization: `Bearer ${token}` };
      const requestId = randomUUID();
      return {
        'x-request-id': requestId,
        ...signedIdentityHeaders(
          { subject: 'bench', role: 'admin', workspaceId: 'default' },
          signingSecret,
          requestId,
        ),
      };
    },
    async start(name, entry, env = {}, nodeArgs = []) {
      const main =
        entry === 'gateway'
          ? path.join(repoRoot, 'gateway', 'dist', 'src', 'main.js')
          : path.join(repoRoot, 'services', entry, 'dist', 'src', 'main.js');
      const port = await freePort();
      const child = startChild(name, process.execPath, [...nodeArgs, main], {
        env: {
          PATH: process.env.PATH ?? '',
          LOG_LEVEL: 'warn',
          SHUTDOWN_READY_GRACE_MS: '0',
          NATS_URL: natsUrl,
          SERVICE_NAME: name,
          GATEWAY_SIGNING_SECRET: signingSecret,
          ...(entry === 'gateway'
            ? {
                AUTH_JWT_SECRET: jwtSecret,
                AUTH_ISSUER: ISSUER,
                AUTH_AUDIENCE: AUDIENCE,
                // The load is one caller on purpose; its rate is not what is measured.
                RATE_LIMIT_PER_MINUTE: '10000000',
              }
            : {}),
          ...env,
          PORT: String(port),
        },
      });
      children.push(child);
      const started = { child, url: `http://127.0.0.1:${port}` };
      await waitReady(`${started.url}/readyz`, child);
      return started;
    },
    async stop(process) {
      await stopChild(process.child);
    },
    async stopAll() {
      await Promise.all(children.filter((c) => c !== nats).map((c) => stopChild(c)));
      await stopChild(nats);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs a GraphQL query; throws on errors. */
export async function benchGql(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<Record<string, any>> {
  const res = await fetch(url.endsWith('/graphql') ? url : `${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data ?? {};
}
