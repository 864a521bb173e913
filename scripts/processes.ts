// Small process plumbing shared by the start script and the load check: free ports, readiness
// polling, and children whose output lines carry their name.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Resolves true when nothing listens on the port (on any interface). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

/** A port the kernel reports free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The preferred port when it is free, else any free one. */
export async function portOrFree(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : freePort();
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/**
 * Starts a process in its own process group (so a terminal's Ctrl-C reaches only the parent,
 * which then stops children in order) and prints its output prefixed with its name.
 */
export function startChild(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  width = 12,
): Child {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const prefix = `[${name}]`.padEnd(width + 2);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (l) => console.log(prefix + l));
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => {
      console.log(`${prefix}failed to start: ${err.message}`);
      resolve('spawn-error');
    });
  });
  return { name, process: child, exited };
}

/** Sends SIGTERM, waits up to timeoutMs for the exit, then SIGKILL. */
export async function stopChild(child: Child, timeoutMs = 15_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      resolve();
    }, timeoutMs);
  });
  await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  await child.exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls url until it answers 200. Fails when the child exits first or after timeoutMs.
 */
export async function waitReady(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  let exited: number | string | undefined;
  void child.exited.then((code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`${child.name} exited (${exited}) before ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs / 1000} s`);
}

/** Resolves once a TCP server accepts connections on the port. */
export async function waitListening(port: number, child: Child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let exited: number | string | undefined;
  void child.exited.then((code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`${child.name} exited (${exited}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${child.name} not listening on ${port} after ${timeoutMs / 1000} s`);
}
