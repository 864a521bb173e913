// Process plumbing shared by the start script and the end-to-end tests (test/support imports it):
// free ports, children whose output lines are kept (and printed with their name when asked),
// readiness polling and stopping with a deadline.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
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
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The preferred port when it is free, else any free one (0 means any). */
export async function portOrFree(preferred: number): Promise<number> {
  return preferred > 0 && (await portIsFree(preferred)) ? preferred : freePort();
}

export interface Exit {
  /** The exit code, null when a signal ended the process or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines of stdout and stderr, oldest first. */
  output: string[];
  /** Resolves once the process has exited (or failed to start). */
  exited: Promise<Exit>;
}

export interface ChildOptions {
  env: NodeJS.ProcessEnv;
  /** Print each line prefixed with the child's name (the start script); otherwise only keep it. */
  echo?: boolean;
  /** Width of the name column when echoing. */
  width?: number;
  /** Start the child in a process group of its own: a signal to our group does not reach it. */
  detached?: boolean;
  /** Open an IPC channel (fd 3): a Node child sees it close when this process dies. */
  ipc?: boolean;
}

const KEPT_LINES = 500;

export function startChild(
  name: string,
  command: string,
  args: string[],
  options: ChildOptions,
): Child {
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
  if (options.ipc) stdio.push('ipc');
  const child = spawn(command, args, {
    env: options.env,
    stdio,
    detached: options.detached ?? false,
  });
  const output: string[] = [];
  const prefix = `[${name}]`.padEnd((options.width ?? 12) + 2);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > KEPT_LINES) output.splice(0, output.length - KEPT_LINES);
      if (options.echo) console.log(prefix + line);
    });
  }
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      output.push(`failed to start: ${err.message}`);
      if (options.echo) console.log(`${prefix}failed to start: ${err.message}`);
      resolve({ code: null, signal: null });
    });
  });
  return { name, process: child, output, exited };
}

export function hasExited(child: Child): boolean {
  return child.process.exitCode !== null || child.process.signalCode !== null;
}

/** "exit 1", "SIGKILL": how a process ended, for messages. */
export function describeExit(exit: Exit): string {
  return exit.signal ?? `exit ${exit.code}`;
}

/**
 * Sends the signal (SIGTERM by default), waits up to timeoutMs for the exit, then SIGKILL.
 * Resolves with how the process ended; stopping a stopped child just returns that.
 */
export async function stopChild(
  child: Child,
  { signal = 'SIGTERM', timeoutMs = 15_000 }: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<Exit> {
  if (!hasExited(child)) child.process.kill(signal);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  try {
    return await child.exited;
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tail(child: Child, lines = 30): string {
  return child.output.length ? `\n${child.output.slice(-lines).join('\n')}` : '';
}

/** Polls url until it answers 200. Fails when the child exits first or after timeoutMs. */
export async function waitReady(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      const exit = await child.exited;
      throw new Error(`${child.name} ended (${describeExit(exit)}) before ready:${tail(child)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message; // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs / 1000} s (${last})`);
}

/** Resolves once a TCP server accepts connections on the port. */
export async function waitListening(port: number, child: Child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      const exit = await child.exited;
      throw new Error(
        `${child.name} ended (${describeExit(exit)}) before listening:${tail(child)}`,
      );
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${child.name} not listening on ${port} after ${timeoutMs / 1000} s`);
}

/** True while a process with this pid exists (a zombie counts until it is reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
