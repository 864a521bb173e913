import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@mmm/platform/testkit';

/** A PostgreSQL server of the test's own: a temporary data folder, a free loopback port. */
export interface PostgresServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const REPO = path.resolve(__dirname, '..', '..', '..');

/** The folder of initdb and pg_ctl; installs Debian's postgresql when absent (as root). */
export function postgresBinDir(): string {
  return execFileSync('bash', [path.join(REPO, 'scripts', 'ensure-postgresql.sh')], {
    encoding: 'utf8',
  }).trim();
}

/**
 * initdb into a temporary folder and pg_ctl start on a free port. PostgreSQL refuses to run as
 * root, so as root the folder goes to the postgres user and the programs run as that user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const user = root ? 'postgres' : os.userInfo().username;
  if (root) execFileSync('chown', ['postgres:postgres', dir]);
  const run = (program: string, args: string[]) => {
    const command = root ? 'runuser' : path.join(bin, program);
    const full = root ? ['-u', 'postgres', '--', path.join(bin, program), ...args] : args;
    const result = spawnSync(command, full, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) {
      throw new Error(`${program} failed: ${result.stderr || result.stdout}`);
    }
  };
  run('initdb', ['-D', data, '-U', user, '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'server.log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    '-w',
    'start',
  ]);
  return {
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
