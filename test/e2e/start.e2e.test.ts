// `npm start` as a user runs it: the compiled start script (what `npm start` runs after the build)
// in a process group of its own, as a terminal would put it, with a temporary data folder and
// free ports. Ctrl-C is a SIGINT to that group. Also the nats-server check that `npm start` and
// .ci/run rely on, in its branches that need no network.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  isAlive,
  sleep,
  startChild,
  stopChild,
  type Child,
} from '../../scripts/processes';
import { ROOT, SERVICES, graphql } from '../support/stack';

jest.setTimeout(90_000);

const startScript = path.join(ROOT, 'dist', 'scripts', 'start.js');
const ensureScript = path.join(ROOT, 'scripts', 'ensure-nats-server.sh');

interface Started {
  child: Child;
  gatewayUrl: string;
  /**
   * The start script's own children (nats-server, five services, the training worker, the
   * gateway): pid -> command.
   */
  children: Map<number, string>;
}

const running: Child[] = [];
const dataDirs: string[] = [];
const pidsToReap: number[] = [];

function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mmm-start-'));
  dataDirs.push(dir);
  return dir;
}

/** pid -> command line of the processes whose parent is `parent`. */
function childrenOf(parent: number): Map<number, string> {
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const found = new Map<number, string>();
  for (const line of table.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m && Number(m[2]) === parent) found.set(Number(m[1]), m[3]);
  }
  return found;
}

async function eventually(what: string, check: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await sleep(100);
  }
}

function launch(dataDir: string, env: Record<string, string> = {}): Child {
  if (!existsSync(startScript)) {
    throw new Error(`${startScript} is missing: run \`npm run build\` before the end-to-end tests`);
  }
  const child = startChild('start', process.execPath, [startScript], {
    env: {
      ...process.env,
      MMM_DATA_DIR: dataDir,
      MMM_NATS_PORT: '0',
      MMM_GATEWAY_PORT: '0',
      MMM_FIRST_SERVICE_PORT: '0',
      ...env,
    },
    // Its own process group, as a shell gives a foreground job: Ctrl-C signals the whole group.
    detached: true,
  });
  running.push(child);
  return child;
}

/** Starts the platform and waits for the banner. */
async function start(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const child = launch(dataDir, env);
  let gatewayUrl: string | undefined;
  await eventually(
    'the banner',
    () => {
      if (child.process.exitCode !== null) {
        throw new Error(`start exited ${child.process.exitCode}:\n${child.output.join('\n')}`);
      }
      for (const line of child.output) {
        const m = /^\s*GraphQL gateway\s+(http\S+)/.exec(line);
        if (m) gatewayUrl = m[1];
      }
      return gatewayUrl !== undefined;
    },
    60_000,
  );
  const children = childrenOf(child.process.pid!);
  for (const pid of children.keys()) pidsToReap.push(pid);
  return { child, gatewayUrl: gatewayUrl!, children };
}

afterEach(async () => {
  // A failed test must not leave a platform running: the group, then any child left over.
  for (const child of running.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      try {
        process.kill(-child.process.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await child.exited;
    }
  }
  for (const pid of pidsToReap.splice(0)) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The development tokens the banner prints, by role. */
function printedTokens(output: string[]): Record<string, string> {
  return Object.fromEntries(
    [
      ...output.join('\n').matchAll(/^ {2}(viewer|analyst|admin) +(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/gm),
    ].map((m) => [m[1], m[2]]),
  );
}

describe('npm start', () => {
  it('starts everything, loads the demo dataset, refuses a second start on the same data folder, and stops cleanly on Ctrl-C', async () => {
    const dataDir = tempDataDir();
    const gatewayPort = await freePort();
    const up = await start(dataDir, { MMM_GATEWAY_PORT: String(gatewayPort) });

    // The preferred port is taken when free; the banner names the gateway to use.
    expect(up.gatewayUrl).toBe(`http://127.0.0.1:${gatewayPort}/graphql`);
    const commands = [...up.children.values()];
    expect(commands).toHaveLength(8);
    expect(commands.filter((c) => /nats-server/.test(c))).toHaveLength(1);
    for (const main of SERVICES) {
      // Modeling runs twice from one build: the subgraph and the training worker.
      expect(commands.filter((c) => c.includes(`services/${main}/dist/src/main.js`))).toHaveLength(
        main === 'modeling' ? 2 : 1,
      );
    }
    expect(commands.filter((c) => c.includes('gateway/dist/src/main.js'))).toHaveLength(1);

    // One development token per role, each on its own line naming the role.
    const printed = printedTokens(up.child.output);
    expect(Object.keys(printed).sort()).toEqual(['admin', 'analyst', 'viewer']);
    const unauthenticated = await fetch(up.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ datasets { id } }' }),
    });
    expect(unauthenticated.status).toBe(401);
    const viewerCannotDelete = await graphql(
      up.gatewayUrl,
      'mutation { deleteDataset(id: "x") }',
      {},
      { authorization: `Bearer ${printed.viewer}` },
    );
    expect(viewerCannotDelete.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const res = await graphql<{ datasets: Array<{ id: string; name: string }> }>(
      up.gatewayUrl,
      '{ datasets { id name periodCount } }',
      {},
      { authorization: `Bearer ${printed.viewer}` },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.datasets).toEqual([
      expect.objectContaining({ name: 'demo', periodCount: 104 }),
    ]);
    const bannerId = /Demo dataset: demo \((\w+)\)/.exec(up.child.output.join('\n'))?.[1];
    expect(res.data?.datasets[0].id).toBe(bannerId);

    // The dashboard's URL is on a line of its own, and the page answers there.
    const dashboard = /^\s*Dashboard\s+(http\S+)/m.exec(up.child.output.join('\n'))?.[1];
    expect(dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\/$/);
    expect(await (await fetch(dashboard!)).text()).toContain('<title>MMM Dashboard</title>');

    // Two servers on one JetStream store would corrupt it: the second start stops at once.
    const second = launch(dataDir);
    const secondExit = await second.exited;
    expect(secondExit).toEqual({ code: 1, signal: null });
    expect(second.output).toEqual([
      `another \`npm start\` (pid ${up.child.process.pid}) is using ${dataDir}: stop it first, or set MMM_DATA_DIR to another folder.`,
    ]);
    expect(isAlive(up.child.process.pid!)).toBe(true);

    // Ctrl-C: SIGINT to the whole foreground group.
    process.kill(-up.child.process.pid!, 'SIGINT');
    expect(await up.child.exited).toEqual({ code: 0, signal: null });
    const left = [...up.children.keys()].filter(isAlive);
    expect(left).toEqual([]);
    expect(existsSync(path.join(dataDir, 'start.pid'))).toBe(false);
    const output = up.child.output.join('\n');
    for (const name of ['gateway', ...SERVICES, 'modeling-worker']) {
      expect(output).toMatch(new RegExp(`^\\[${name}\\]\\s*\\{.*"msg":"shut down"`, 'm'));
    }
  });

  it('after the start script is killed, its services stop on their own and the next start replaces the nats-server left behind', async () => {
    const dataDir = tempDataDir();
    const first = await start(dataDir);
    const natsPid = [...first.children].find(([, cmd]) => /nats-server/.test(cmd))![0];
    const nodePids = [...first.children.keys()].filter((pid) => pid !== natsPid);

    // SIGKILL to the script alone: no handler runs, no signal reaches its children.
    process.kill(first.child.process.pid!, 'SIGKILL');
    expect(await first.child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await eventually('the services and the gateway to stop', () => !nodePids.some(isAlive));
    // nats-server cannot watch its parent; its pid file names it for the next start.
    expect(isAlive(natsPid)).toBe(true);
    expect(Number(readFileSync(path.join(dataDir, 'nats.pid'), 'utf8'))).toBe(natsPid);

    // The lock left by the killed script is stale and does not stop the next start.
    const next = await start(dataDir);
    expect(next.child.output).toContain(
      `stopping nats-server (pid ${natsPid}) left running by an earlier start`,
    );
    expect(isAlive(natsPid)).toBe(false);
    // The data folder keeps its secrets: the new tokens and the old ones both hold.
    const tokens = printedTokens(next.child.output);
    const res = await graphql<{ datasets: Array<{ name: string }> }>(
      next.gatewayUrl,
      '{ datasets { name } }',
      {},
      { authorization: `Bearer ${tokens.viewer}` },
    );
    expect(res.data?.datasets.map((d) => d.name)).toEqual(['demo']);

    process.kill(-next.child.process.pid!, 'SIGINT');
    expect(await next.child.exited).toEqual({ code: 0, signal: null });
    expect([...next.children.keys()].filter(isAlive)).toEqual([]);
  });

  it('stops with the one-line instruction when nats-server is missing and cannot be installed', async () => {
    const dataDir = tempDataDir();
    const emptyDir = tempDataDir();
    const child = launch(dataDir, { NATS_SEARCH_PATH: emptyDir, NATS_INSTALL: 'never' });
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(child.output).toEqual([
      'nats-server not found: install it (sudo apt-get install -y nats-server) and run again.',
    ]);
    expect(existsSync(path.join(dataDir, 'start.pid'))).toBe(false);
    await stopChild(child); // already ended: returns at once
  });
});

describe('scripts/ensure-nats-server.sh', () => {
  const run = (env: Record<string, string>, asNonRoot = false) => {
    // A real non-root run: as root, drop to nobody for the script.
    const command =
      asNonRoot && process.getuid?.() === 0
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'bash', ensureScript]
        : ['bash', ensureScript];
    const result = spawnSync(command[0], command.slice(1), {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const instruction =
    'nats-server not found: install it (sudo apt-get install -y nats-server) and run again.\n';

  it('prints the path of the nats-server it finds', () => {
    const found = run({});
    expect(found.code).toBe(0);
    const binary = found.stdout.trim();
    expect(path.basename(binary)).toBe('nats-server');
    expect(run({ NATS_SEARCH_PATH: path.dirname(binary) })).toEqual({
      code: 0,
      stdout: `${binary}\n`,
      stderr: '',
    });
    expect(run({ NATS_SERVER_BIN: binary, NATS_SEARCH_PATH: '' })).toEqual({
      code: 0,
      stdout: `${binary}\n`,
      stderr: '',
    });
  });

  it('run by a non-root user without nats-server, stops with one line telling how to install it', () => {
    const emptyDir = tempDataDir();
    const result = run({ NATS_SEARCH_PATH: emptyDir }, true);
    expect(result).toEqual({ code: 1, stdout: '', stderr: instruction });
  });

  it('does not install when NATS_INSTALL=never, even as root', () => {
    const emptyDir = tempDataDir();
    expect(run({ NATS_SEARCH_PATH: emptyDir, NATS_INSTALL: 'never' })).toEqual({
      code: 1,
      stdout: '',
      stderr: instruction,
    });
  });

  it('refuses a NATS_SERVER_BIN that is not an executable file, in one line', () => {
    const emptyDir = tempDataDir();
    expect(run({ NATS_SERVER_BIN: emptyDir })).toEqual({
      code: 1,
      stdout: '',
      stderr: `NATS_SERVER_BIN=${emptyDir} is not an executable file: fix or unset it.\n`,
    });
  });
});
