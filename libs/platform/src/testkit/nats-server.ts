import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { executableSearchPath } from '../config';

export interface NatsServerOptions {
  /** Start with JetStream (-js); default true. */
  jetstream?: boolean;
  /** Port to listen on; a free one by default. */
  port?: number;
  /** Store directory; a fresh temp dir (removed by stop) by default. */
  storeDir?: string;
  /** How long to wait for the server to accept connections; default 10 s. */
  startTimeoutMs?: number;
}

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** The child process (tests may kill it to simulate an outage). */
  process: ChildProcess;
  /** Kills the server and removes the temp store dir. */
  stop(): Promise<void>;
  /** Kills the server and starts it again on the same port and store. */
  restart(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The nats-server binary: on PATH, or Debian's /usr/sbin/nats-server. */
export function natsServerBinary(): string {
  const dirs = executableSearchPath().concat(['/usr/sbin', '/usr/local/bin']);
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nats-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error('nats-server not found on PATH or in /usr/sbin (apt-get install nats-server)');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('data', (data) => {
      socket.destroy();
      // The server greets with INFO once it is ready for clients.
      resolve(data.toString().startsWith('INFO'));
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a real nats-server for tests on a free port, bound to 127.0.0.1,
 * with JetStream in a temp store dir. Never touches the one on 4222.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort());
  const ownStore = !options.storeDir;
  const storeDir = options.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-nats-'));
  const binary = natsServerBinary();
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (options.jetstream ?? true) args.push('-js', '-sd', storeDir);
  const timeout = options.startTimeoutMs ?? 10_000;

  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`nats-server exited at start: ${stderr.trim()}`);
      if (await canConnect(port)) return child;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`nats-server did not accept connections on ${port} within ${timeout} ms`);
  };

  const kill = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });

  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    process: await launch(),
    async stop() {
      await kill(server.process);
      if (ownStore) fs.rmSync(storeDir, { recursive: true, force: true });
    },
    async restart() {
      await kill(server.process);
      server.process = await launch();
    },
  };
  return server;
}
