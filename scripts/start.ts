// `npm start`: a nats-server with JetStream in .data/nats, the five subgraphs and the gateway,
// then the demo dataset. Ctrl-C stops the services and the gateway first, nats-server last.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';
import {
  type Child,
  portOrFree,
  startChild,
  stopChild,
  waitListening,
  waitReady,
} from './processes';

const services = ['ingestion', 'modeling', 'optimization', 'attribution', 'reporting'] as const;
const GATEWAY_PORT = 4000;

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

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data ?? {};
}

/** The demo: a synthetic weekly dataset with known ground truth, made by the ingestion service. */
async function loadDemoDataset(gatewayUrl: string): Promise<string> {
  const data = await gql(
    gatewayUrl,
    `mutation Demo($input: SyntheticDatasetInput!) {
      generateSyntheticDataset(input: $input) {
        dataset { id name periodCount }
        truth { channels { channel roas } }
      }
    }`,
    { input: { name: 'demo', seed: 42 } },
  );
  const { dataset, truth } = data.generateSyntheticDataset as {
    dataset: { id: string; name: string; periodCount: number };
    truth: { channels: Array<{ channel: string; roas: number }> };
  };
  const roas = truth.channels.map((c) => `${c.channel} ${c.roas.toFixed(2)}`).join(', ');
  return `${dataset.name} (${dataset.id}), ${dataset.periodCount} weeks; true ROAS: ${roas}`;
}

async function main(): Promise<void> {
  const natsBinary = ensureNatsServer();
  const children: Child[] = [];
  let stopping = false;

  // The gateway first (no new requests), then the services (they drain their NATS
  // connections), nats-server last.
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    const byName = (name: string) => children.filter((child) => child.name === name);
    await Promise.all(byName('gateway').map((child) => stopChild(child)));
    await Promise.all(
      children.filter((c) => c.name !== 'gateway' && c.name !== 'nats').map((c) => stopChild(c)),
    );
    await Promise.all(byName('nats').map((child) => stopChild(child)));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // A crash of this script must not leave its detached children behind.
  process.on('exit', () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill();
  });

  const watch = (child: Child) => {
    void child.exited.then((code) => {
      if (stopping) return;
      console.error(`${child.name} exited unexpectedly (${code}); stopping everything.`);
      void stopAll(1);
    });
  };

  try {
    const natsPort = await portOrFree(4222);
    const storeDir = path.join(repoRoot, '.data', 'nats');
    mkdirSync(storeDir, { recursive: true });
    const nats = startChild(
      'nats',
      natsBinary,
      ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(natsPort)],
      process.env,
    );
    children.push(nats);
    watch(nats);
    await waitListening(natsPort, nats);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;

    const env: NodeJS.ProcessEnv = { ...process.env, NATS_URL: natsUrl };
    const subgraphUrls: Record<string, string> = {};
    const started: Array<{ child: Child; port: number }> = [];
    for (const [i, name] of services.entries()) {
      const port = await portOrFree(4001 + i);
      const main = path.join(repoRoot, 'services', name, 'dist', 'src', 'main.js');
      const child = startChild(name, process.execPath, [main], {
        ...env,
        PORT: String(port),
        SERVICE_NAME: name,
      });
      children.push(child);
      watch(child);
      subgraphUrls[`${name.toUpperCase()}_URL`] = `http://127.0.0.1:${port}/graphql`;
      started.push({ child, port });
    }
    await Promise.all(
      started.map(({ child, port }) => waitReady(`http://127.0.0.1:${port}/readyz`, child)),
    );

    const gatewayPort = await portOrFree(GATEWAY_PORT);
    const gatewayMain = path.join(repoRoot, 'gateway', 'dist', 'src', 'main.js');
    const gateway = startChild('gateway', process.execPath, [gatewayMain], {
      ...env,
      ...subgraphUrls,
      PORT: String(gatewayPort),
      SERVICE_NAME: 'gateway',
    });
    children.push(gateway);
    watch(gateway);
    await waitReady(`http://127.0.0.1:${gatewayPort}/readyz`, gateway);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;

    const demo = await loadDemoDataset(gatewayUrl);
    const sample = JSON.stringify({ query: '{ datasets { id name } }' });
    console.log(
      [
        '',
        `MMM platform is up. Demo dataset: ${demo}`,
        `  GraphQL gateway  ${gatewayUrl}`,
        `  NATS             ${natsUrl} (JetStream store in .data/nats)`,
        '',
        'Try:',
        `  curl -s ${gatewayUrl} -H 'content-type: application/json' -d '${sample}'`,
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`start failed: ${(err as Error).message}`);
    await stopAll(1);
  }
}

void main();
