/**
 * The kustomize base and overlays (k8s/) for users without Helm: the pieces generated from the
 * chart are current, every overlay builds with `kubectl kustomize`, and what it builds passes
 * the same checks as the chart.
 */
// Rendered manifests are plain JSON; the tests walk into them without a type per kind.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { staleK8sPieces } from '../../scripts/k8s-base';
import {
  kedaProblems,
  loadStrictSchemas,
  modelProblems,
  policyProblems,
  strictSchemaDir,
} from './support/checks';
import {
  find,
  kubectlBinary,
  kustomize,
  parseManifests,
  repoRoot,
  type Manifest,
} from './support/render';

const kubectl = kubectlBinary();
if (!kubectl) {
  throw new Error(
    'kubectl not found and scripts/ensure-kubectl.sh could not install it (it needs root and apt-get): the k8s/ overlays are built with `kubectl kustomize`.',
  );
}
const build = (dir: string): Manifest[] => {
  const r = kustomize(kubectl, dir);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseManifests(r.stdout);
};
const overlays = {
  dev: build(path.join(repoRoot, 'k8s', 'overlays', 'dev')),
  prod: build(path.join(repoRoot, 'k8s', 'overlays', 'prod')),
};
const strict = loadStrictSchemas();
const named = (docs: Manifest[], kind: string) =>
  docs
    .filter((d) => d.kind === kind)
    .map((d) => d.metadata.name)
    .sort();

it('the pieces generated from the chart are current (npm run k8s rewrites them)', () => {
  expect(staleK8sPieces(repoRoot)).toEqual([]);
});

describe.each(Object.entries(overlays))('the %s overlay', (name, docs) => {
  it('puts every object in its namespace', () => {
    const ns = name === 'dev' ? 'mmm-dev' : 'mmm';
    for (const d of docs.filter((d) => d.kind !== 'Namespace'))
      expect([d.kind, d.metadata.namespace]).toEqual([d.kind, ns]);
  });

  it('validates against the models, the strict schemas, and the policies', () => {
    expect(modelProblems(docs)).toEqual([]);
    expect(kedaProblems(docs)).toEqual([]);
    expect(policyProblems(docs)).toEqual([]);
    if (!strict) {
      console.warn(
        `STRICT SCHEMAS NOT CHECKED: ${strictSchemaDir} is absent (CI lays shared/ beside the clone).`,
      );
      return;
    }
    expect(strict.check(docs)).toEqual({ problems: [], uncovered: [] });
  });
});

it('dev: one replica of everything, no autoscaler, a single NATS server with R1 streams', () => {
  const dev = overlays.dev;
  expect(named(dev, 'HorizontalPodAutoscaler')).toEqual([]);
  for (const d of dev.filter((d) => d.kind === 'Deployment'))
    expect((d.spec as any).replicas ?? 1).toBe(1);
  expect((find(dev, 'StatefulSet', 'mmm-nats').spec as any).replicas).toBe(1);
  expect(find(dev, 'ConfigMap', 'mmm-nats-config').data?.['nats.conf']).not.toContain('cluster {');
  expect(find(dev, 'ConfigMap', 'mmm-env').data).toMatchObject({
    NATS_REPLICAS: '1',
    LOG_LEVEL: 'debug',
  });
});

it('prod: autoscalers and budgets for every component, 3 NATS servers, R3 streams, pinned images', () => {
  const prod = overlays.prod;
  const deployments = named(prod, 'Deployment');
  expect(named(prod, 'HorizontalPodAutoscaler')).toEqual(deployments);
  expect(named(prod, 'PodDisruptionBudget')).toEqual([...deployments, 'mmm-nats'].sort());
  expect((find(prod, 'StatefulSet', 'mmm-nats').spec as any).replicas).toBe(3);
  expect(find(prod, 'ConfigMap', 'mmm-env').data?.NATS_REPLICAS).toBe('3');
  const image = (find(prod, 'Deployment', 'mmm-gateway').spec as any).template.spec.containers[0]
    .image;
  expect(image).toBe('registry.example.com/mmm/mmm-gateway:0.1.0');
});

describe('deliberate mistakes are caught', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(path.join(os.tmpdir(), 'mmm-k8s-'));
    cpSync(path.join(repoRoot, 'k8s'), copy, { recursive: true });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('a patch aimed at an object the base does not have fails the build', () => {
    writeFileSync(
      path.join(copy, 'overlays', 'prod', 'env.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mmm-environment\ndata:\n  NATS_REPLICAS: "3"\n',
    );
    const r = kustomize(kubectl, path.join(copy, 'overlays', 'prod'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/mmm-environment/);
  });

  it('an overlay that drops the NATS network policy leaves NATS open', () => {
    const docs = overlays.prod.filter(
      (d) => !(d.kind === 'NetworkPolicy' && d.metadata.name === 'mmm-nats'),
    );
    expect(policyProblems(docs)).toContain(
      'StatefulSet/mmm-nats: no NetworkPolicy selects its pods, so anything may reach them',
    );
  });
});
