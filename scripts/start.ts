// `npm start`: a nats-server with JetStream in the data folder (.data by default, see config.ts),
// the five subgraphs and the gateway, then the demo dataset. Ctrl-C stops everything.
//
// How the children are tied to this script, so that none outlives it:
// - The services and the gateway stay in our process group, so a terminal's Ctrl-C (SIGINT to
//   the foreground group) reaches them directly as well as us; each shuts down on SIGINT like on
//   SIGTERM, and we only wait for them. They also get an IPC channel and a preload
//   (exit-with-parent.ts) that shuts them down when the channel closes: this covers the case no
//   signal can, this script being SIGKILLed.
// - nats-server runs in a group of its own, so Ctrl-C does not stop it under services that are
//   still draining their connections; we stop it last. A Go binary cannot watch its parent, so
//   after a SIGKILL of this script it may live on: it writes its pid into the data folder, and
//   the next start stops such a leftover before starting a new server on the same store.
// - A lock file (start.pid, checked for liveness) keeps two starts off one JetStream store.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ROLES } from '@mmm/platform';
import path from 'node:path';
import { inheritedEnv, startConfig, type StartConfig } from './config';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  TOKEN_DAYS,
  developmentTokens,
  localSecrets,
} from './local-auth';
import { repoRoot } from './paths';
import {
  type Child,
  describeExit,
  isAlive,
  portOrFree,
  sleep,
  startChild,
  stopChild,
  waitListening,
  waitReady,
} from './processes';

const services = ['ingestion', 'modeling', 'optimization', 'attribution', 'reporting'] as const;
/** Processes beside the subgraphs: the modeling service's training worker (same build). */
const workers = [
  { name: 'modeling-worker', service: 'modeling', env: { MODELING_ROLE: 'worker' } },
];

/** The command line of a live process, or undefined where /proc cannot tell. */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** The pid in a pid file when that process still runs and looks like `what`. */
function livePid(file: string, what: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  // A pid reused by an unrelated process does not count.
  const cmd = commandLine(pid);
  return cmd === undefined || cmd.includes(what) ? pid : undefined;
}

/** Takes the data folder's lock; false (after one line) when another start holds it. */
function takeLock(config: StartConfig): boolean {
  const file = path.join(config.dataDir, 'start.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', () => {
        if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
      });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = livePid(file, 'start');
    if (owner !== undefined) {
      console.error(
        `another \`npm start\` (pid ${owner}) is using ${config.dataDir}: stop it first, or set MMM_DATA_DIR to another folder.`,
      );
      return false;
    }
    rmSync(file, { force: true }); // left by a start that was killed
  }
  throw new Error(`could not take the lock ${file}`);
}

/** Stops a nats-server left running on our store by a start that was killed. */
async function stopLeftoverNats(pidFile: string): Promise<void> {
  const pid = livePid(pidFile, 'nats-server');
  if (pid === undefined) return;
  console.log(`stopping nats-server (pid ${pid}) left running by an earlier start`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Finds nats-server, installing it as root when missing (one line and exit 1 otherwise). */
function ensureNatsServer(): string {
  try {
    return execFileSync('bash', [path.join(repoRoot, 'scripts', 'ensure-nats-server.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    // The script has printed its one-line instruction.
    process.exit(1);
  }
}

/**
 * Finds Chromium for PDF reports, installing Debian's package as root when missing; without it
 * the platform still runs (HTML reports, the dashboard) and says so.
 */
function ensureChromium(): string | undefined {
  try {
    return execFileSync('bash', [path.join(repoRoot, 'scripts', 'ensure-chromium.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    console.error('PDF reports are off until chromium is installed; HTML reports work.');
    return undefined;
  }
}

let adminToken = '';

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data ?? {};
}

/**
 * The demo: a synthetic weekly dataset with known ground truth, made by the ingestion service,
 * and a model trained on it by the training worker (auto-train).
 */
async function loadDemoDataset(gatewayUrl: string): Promise<string> {
  const data = await gql(
    gatewayUrl,
    `mutation Demo($input: SyntheticDatasetInput!) {
      generateSyntheticDataset(input: $input) {
        dataset { id name periodCount }
        truth { channels { channel roas } }
      }
    }`,
    { input: { name: 'demo', seed: 42, autoTrain: true } },
  );
  const { dataset, truth } = data.generateSyntheticDataset as {
    dataset: { id: string; name: string; periodCount: number };
    truth: { channels: Array<{ channel: string; roas: number }> };
  };
  const roas = truth.channels.map((c) => `${c.channel} ${c.roas.toFixed(2)}`).join(', ');
  return `${dataset.name} (${dataset.id}), ${dataset.periodCount} weeks; true ROAS: ${roas}`;
}

async function main(): Promise<void> {
  const config = startConfig();
  mkdirSync(config.dataDir, { recursive: true });
  if (!takeLock(config)) process.exit(1);
  const natsPidFile = path.join(config.dataDir, 'nats.pid');
  await stopLeftoverNats(natsPidFile);
  const natsBinary = ensureNatsServer();
  const chromium = ensureChromium();

  const children: Child[] = [];
  let stopping = false;

  // The gateway first (no new requests), then the services (they drain their NATS
  // connections), nats-server last. After a Ctrl-C the services and the gateway are already
  // shutting down on their own SIGINT; our SIGTERM changes nothing for them.
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    const stop = (which: (c: Child) => boolean) =>
      Promise.all(children.filter(which).map((c) => stopChild(c)));
    await stop((c) => c.name === 'gateway');
    await stop((c) => c.name !== 'gateway' && c.name !== 'nats');
    await stop((c) => c.name === 'nats');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGHUP', () => void stopAll(0));
  // A crash of this script must not leave nats-server (in its own group) behind.
  process.on('exit', () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill();
  });

  const watch = (child: Child) => {
    void child.exited.then((exit) => {
      if (stopping) return;
      // A child that exits 0 was asked to stop (e.g. Ctrl-C reached it a moment before us).
      if (exit.code === 0) {
        void stopAll(0);
        return;
      }
      console.error(`${child.name} ended (${describeExit(exit)}); stopping everything.`);
      void stopAll(1);
    });
  };
  const width = Math.max(...services.map((s) => s.length), ...workers.map((w) => w.name.length));
  const preload = path.join(__dirname, 'exit-with-parent.js');
  const startNode = (name: string, main: string, env: NodeJS.ProcessEnv) => {
    const child = startChild(name, process.execPath, ['--require', preload, main], {
      env: { ...env, SERVICE_NAME: name },
      echo: true,
      width,
      ipc: true,
    });
    children.push(child);
    watch(child);
    return child;
  };

  try {
    const natsPort = await portOrFree(config.natsPort);
    const storeDir = path.join(config.dataDir, 'nats');
    mkdirSync(storeDir, { recursive: true });
    const nats = startChild(
      'nats',
      natsBinary,
      ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(natsPort), '--pid', natsPidFile],
      { env: inheritedEnv(), echo: true, width, detached: true },
    );
    children.push(nats);
    watch(nats);
    await waitListening(natsPort, nats);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;

    const secrets = localSecrets(config.dataDir);
    const tokens = await developmentTokens(secrets.jwtSecret);
    adminToken = tokens.admin;
    // Locally nothing routes by readiness, so a stop need not wait for a load balancer.
    const env: NodeJS.ProcessEnv = {
      SHUTDOWN_READY_GRACE_MS: '0',
      ...inheritedEnv(),
      NATS_URL: natsUrl,
      GATEWAY_SIGNING_SECRET: secrets.signingSecret,
    };
    const subgraphUrls: Record<string, string> = {};
    const started: Array<{ child: Child; port: number }> = [];
    // The gateway's port first: reporting's dashboard forwards its GraphQL there.
    const gatewayPort = await portOrFree(config.gatewayPort);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
    const reportingEnv = {
      GATEWAY_URL: gatewayUrl,
      ...(chromium ? { CHROMIUM_PATH: chromium } : {}),
    };
    let dashboardUrl = '';
    for (const [i, name] of services.entries()) {
      const port = await portOrFree(config.firstServicePort > 0 ? config.firstServicePort + i : 0);
      const main = path.join(repoRoot, 'services', name, 'dist', 'src', 'main.js');
      const own = name === 'reporting' ? reportingEnv : {};
      if (name === 'reporting') dashboardUrl = `http://127.0.0.1:${port}/dashboard/`;
      const child = startNode(name, main, { ...env, ...own, PORT: String(port) });
      subgraphUrls[`${name.toUpperCase()}_URL`] = `http://127.0.0.1:${port}/graphql`;
      started.push({ child, port });
    }
    for (const [i, worker] of workers.entries()) {
      const port = await portOrFree(
        config.firstServicePort > 0 ? config.firstServicePort + services.length + i : 0,
      );
      const main = path.join(repoRoot, 'services', worker.service, 'dist', 'src', 'main.js');
      started.push({
        child: startNode(worker.name, main, { ...env, ...worker.env, PORT: String(port) }),
        port,
      });
    }
    await Promise.all(
      started.map(({ child, port }) => waitReady(`http://127.0.0.1:${port}/readyz`, child)),
    );

    const gatewayMain = path.join(repoRoot, 'gateway', 'dist', 'src', 'main.js');
    const gateway = startNode('gateway', gatewayMain, {
      ...env,
      ...subgraphUrls,
      AUTH_JWT_SECRET: secrets.jwtSecret,
      AUTH_ISSUER: LOCAL_ISSUER,
      AUTH_AUDIENCE: LOCAL_AUDIENCE,
      // Locally, tools such as Apollo Sandbox may read the schema.
      INTROSPECTION: 'true',
      PORT: String(gatewayPort),
    });
    await waitReady(`http://127.0.0.1:${gatewayPort}/readyz`, gateway);

    const demo = await loadDemoDataset(gatewayUrl);
    const sample = JSON.stringify({
      query:
        '{ datasets { id name models { id stage channels { channel roas { estimate lower upper } } } } }',
    });
    console.log(
      [
        '',
        `MMM platform is up. Demo dataset: ${demo}`,
        '  A model of it is training on the worker (a few seconds); the query below lists it.',
        `  GraphQL gateway  ${gatewayUrl}`,
        `  Dashboard        ${dashboardUrl}`,
        `  NATS             ${natsUrl} (JetStream store in ${storeDir})`,
        '',
        `Development tokens (workspace default, ${TOKEN_DAYS} days; paste one into the dashboard):`,
        ...ROLES.map((role) => `  ${role.padEnd(8)} ${tokens[role]}`),
        '',
        'Try:',
        `  curl -s ${gatewayUrl} -H 'authorization: Bearer ${tokens.viewer}' \\`,
        `    -H 'content-type: application/json' -d '${sample}'`,
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    if (stopping) return;
    console.error(`start failed: ${(err as Error).message}`);
    await stopAll(1);
  }
}

void main();
