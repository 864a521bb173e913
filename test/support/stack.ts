// Starts the whole platform as a user would run it: a real nats-server with JetStream on a free
// port and a temporary store, the five compiled services and the compiled gateway as child
// processes, each waited for on its /readyz. Tests then talk to it only over HTTP and NATS.
// The process plumbing is the start script's own (scripts/processes.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { toCsv, type SyntheticDataset } from '@mmm/core';
import { signDevelopmentToken } from '@mmm/gateway';
import type { Role } from '@mmm/platform';
import * as testkit from '@mmm/platform/testkit';
import {
  freePort,
  startChild,
  stopChild,
  waitReady,
  type Child,
  type Exit,
} from '../../scripts/processes';

export const ROOT = path.resolve(__dirname, '..', '..');

export const SERVICES = [
  'ingestion',
  'modeling',
  'optimization',
  'attribution',
  'reporting',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface RunningProcess extends Child {
  url: string;
}

export interface Stopped {
  name: string;
  exit: Exit;
  output: string[];
}

export interface Stack {
  nats: testkit.NatsServer;
  gatewayUrl: string;
  services: Record<ServiceName, RunningProcess>;
  /** Modeling's training workers (MODELING_ROLE=worker), one at start. */
  workers: RunningProcess[];
  gateway: RunningProcess;
  /** Starts one more training worker; resolves once it is ready. */
  startWorker(env?: Record<string, string>): Promise<RunningProcess>;
  /** Stops the gateway, then the services, then nats-server; later calls return the same. */
  stop(): Promise<Stopped[]>;
}

export function entryPoint(name: ServiceName | 'gateway'): string {
  const file =
    name === 'gateway'
      ? path.join(ROOT, 'gateway', 'dist', 'src', 'main.js')
      : path.join(ROOT, 'services', name, 'dist', 'src', 'main.js');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build\` before the end-to-end tests`);
  }
  return file;
}

/** Runs a compiled entry point with only PATH and the given environment. */
export function startProcess(name: string, file: string, env: Record<string, string>): Child {
  return startChild(name, process.execPath, [file], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

async function stopAndCollect(p: Child): Promise<Stopped> {
  const exit = await stopChild(p, { timeoutMs: 10_000 });
  return { name: p.name, exit, output: p.output };
}

/** The JSON log records of a process (other lines are skipped). */
export function logRecords(output: string[]): Array<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  for (const line of output) {
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === 'object') records.push(value as Record<string, unknown>);
    } catch {
      // not a log record
    }
  }
  return records;
}

/** How the stack's gateway verifies tokens (HS256, as `npm start` runs it). */
export const STACK_AUTH = {
  AUTH_JWT_SECRET: 'e2e-jwt-secret-that-is-at-least-32-characters',
  AUTH_ISSUER: 'mmm-local',
  AUTH_AUDIENCE: 'mmm-platform',
};

/** A token the stack's gateway accepts: an admin of the workspaces given (`default`) unless told. */
export function stackToken(
  claims: {
    subject?: string;
    roles?: Role[];
    workspaces?: string[];
    expiresInSeconds?: number;
  } = {},
  secret = STACK_AUTH.AUTH_JWT_SECRET,
): Promise<string> {
  return signDevelopmentToken(
    {
      subject: claims.subject ?? 'e2e-admin',
      roles: claims.roles ?? ['admin'],
      workspaces: claims.workspaces ?? ['default'],
      issuer: STACK_AUTH.AUTH_ISSUER,
      audience: STACK_AUTH.AUTH_AUDIENCE,
      expiresInSeconds: claims.expiresInSeconds ?? 3600,
    },
    secret,
  );
}

/** Settings of the training workers in tests: quick polls and redelivery after a crash. */
export const TEST_WORKER_ENV = {
  MODELING_ROLE: 'worker',
  TRAINING_POLL_MS: '100',
  TRAINING_ACK_WAIT_MS: '4000',
};

export async function startStack(
  options: { workerEnv?: Record<string, string> } = {},
): Promise<Stack> {
  const nats = await testkit.startNatsServer({ jetstream: true });
  const started: RunningProcess[] = [];
  // Info, not warn: the "shut down" record that the shutdown test looks for is an info line.
  // No load balancer to drain in tests: close listeners as soon as readiness turns 503.
  const common = {
    NATS_URL: nats.url,
    LOG_LEVEL: 'info',
    SHUTDOWN_READY_GRACE_MS: '0',
    GATEWAY_SIGNING_SECRET: testkit.TEST_SIGNING_SECRET,
  };
  try {
    // The gateway's port first: reporting's dashboard forwards GraphQL to it.
    const gatewayPort = await freePort();
    const own: Partial<Record<ServiceName, Record<string, string>>> = {
      reporting: { GATEWAY_URL: `http://127.0.0.1:${gatewayPort}/graphql` },
    };
    const services = {} as Record<ServiceName, RunningProcess>;
    for (const name of SERVICES) {
      const port = await freePort();
      const child = startProcess(name, entryPoint(name), {
        ...common,
        ...own[name],
        PORT: String(port),
      });
      services[name] = Object.assign(child, { url: `http://127.0.0.1:${port}` });
      started.push(services[name]);
    }
    const workers: RunningProcess[] = [];
    let workerCount = 0;
    const startWorker = async (env: Record<string, string> = {}) => {
      const port = await freePort();
      const name = `modeling-worker-${++workerCount}`;
      const child = startProcess(name, entryPoint('modeling'), {
        ...common,
        ...TEST_WORKER_ENV,
        ...options.workerEnv,
        ...env,
        SERVICE_NAME: name,
        PORT: String(port),
      });
      const worker = Object.assign(child, { url: `http://127.0.0.1:${port}` });
      workers.push(worker);
      started.push(worker);
      await waitReady(`${worker.url}/readyz`, worker, 30_000);
      return worker;
    };
    await Promise.all([
      ...SERVICES.map((name) => waitReady(`${services[name].url}/readyz`, services[name], 30_000)),
      startWorker(),
    ]);

    const gatewayEnv: Record<string, string> = {
      ...common,
      ...STACK_AUTH,
      // The tests poll hard; the limit itself is proven in the gateway's own tests.
      RATE_LIMIT_PER_MINUTE: '1000000',
      PORT: String(gatewayPort),
    };
    for (const name of SERVICES) {
      gatewayEnv[`${name.toUpperCase()}_URL`] = `${services[name].url}/graphql`;
    }
    const gateway = Object.assign(startProcess('gateway', entryPoint('gateway'), gatewayEnv), {
      url: `http://127.0.0.1:${gatewayPort}`,
    });
    started.push(gateway);
    await waitReady(`${gateway.url}/readyz`, gateway, 30_000);

    let stopped: Promise<Stopped[]> | undefined;
    return {
      nats,
      gateway,
      services,
      workers,
      startWorker,
      gatewayUrl: `${gateway.url}/graphql`,
      stop: () =>
        (stopped ??= (async () => {
          const first = await stopAndCollect(gateway);
          const rest = await Promise.all([
            ...SERVICES.map((name) => stopAndCollect(services[name])),
            ...workers.map((w) => stopAndCollect(w)),
          ]);
          await nats.stop();
          return [first, ...rest];
        })()),
    };
  } catch (err) {
    await Promise.all(started.map((p) => stopChild(p, { timeoutMs: 10_000 })));
    await nats.stop();
    throw err;
  }
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

const tokens = new Map<string, Promise<string>>();

/**
 * POSTs a query to the stack's gateway. Without an authorization header it sends an admin token
 * of the workspace named in x-workspace-id (or `default`), as a person of that workspace would.
 */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  let authorization = headers.authorization;
  if (authorization === undefined) {
    const ws = headers['x-workspace-id'] ?? 'default';
    if (!tokens.has(ws)) tokens.set(ws, stackToken({ workspaces: [ws] }));
    authorization = `Bearer ${await tokens.get(ws)}`;
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers, authorization },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

/** The ingestDataset input of a synthetic dataset (weekly revenue; its CSV unless given). */
export function syntheticIngestInput(data: SyntheticDataset, content = toCsv(data)) {
  return {
    content,
    frequency: 'WEEKLY',
    roles: {
      date: data.dateColumn,
      kpi: data.kpiColumn,
      kpiType: 'REVENUE',
      paidMedia: data.spendColumns.map((spend) => ({ spend })),
      controls: data.controlColumns,
    },
  };
}

/** Polls until the probe answers something truthy; throws past the deadline. */
export async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
