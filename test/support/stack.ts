// Starts the whole platform as a user would run it: a real nats-server with JetStream on a free
// port and a temporary store, the five compiled services and the compiled gateway as child
// processes, each waited for on its /readyz. Tests then talk to it only over HTTP and NATS.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { testkit } from '@mmm/platform';

export const ROOT = path.resolve(__dirname, '..', '..');

export const SERVICES = [
  'ingestion',
  'modeling',
  'optimization',
  'attribution',
  'reporting',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface RunningProcess {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
}

export interface Stack {
  nats: testkit.NatsServer;
  gatewayUrl: string;
  services: Record<ServiceName, RunningProcess>;
  gateway: RunningProcess;
  stop(): Promise<void>;
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

export function startProcess(
  file: string,
  env: Record<string, string>,
): { child: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 500) output.splice(0, output.length - 500);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output, exited };
}

async function waitReady(p: RunningProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) {
      throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${p.output.join('\n')}`);
    }
    try {
      const res = await fetch(new URL('/readyz', p.url));
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.name} not ready after ${timeoutMs} ms (${last}):\n${p.output.join('\n')}`);
}

async function stopProcess(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export async function startStack(): Promise<Stack> {
  const nats = await testkit.startNatsServer({ jetstream: true });
  const started: RunningProcess[] = [];
  try {
    const services = {} as Record<ServiceName, RunningProcess>;
    for (const name of SERVICES) {
      const port = await testkit.freePort();
      const { child, output } = startProcess(entryPoint(name), {
        NATS_URL: nats.url,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      });
      services[name] = { name, url: `http://127.0.0.1:${port}`, child, output };
      started.push(services[name]);
    }
    await Promise.all(SERVICES.map((name) => waitReady(services[name])));

    const gatewayPort = await testkit.freePort();
    const gatewayEnv: Record<string, string> = {
      NATS_URL: nats.url,
      PORT: String(gatewayPort),
      LOG_LEVEL: 'warn',
    };
    for (const name of SERVICES) {
      gatewayEnv[`${name.toUpperCase()}_URL`] = `${services[name].url}/graphql`;
    }
    const g = startProcess(entryPoint('gateway'), gatewayEnv);
    const gateway: RunningProcess = {
      name: 'gateway',
      url: `http://127.0.0.1:${gatewayPort}`,
      child: g.child,
      output: g.output,
    };
    started.push(gateway);
    await waitReady(gateway);

    return {
      nats,
      gateway,
      services,
      gatewayUrl: `${gateway.url}/graphql`,
      stop: async () => {
        await stopProcess(gateway.child);
        await Promise.all(SERVICES.map((name) => stopProcess(services[name].child)));
        await nats.stop();
      },
    };
  } catch (err) {
    await Promise.all(started.map((p) => stopProcess(p.child)));
    await nats.stop();
    throw err;
  }
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}
