/**
 * Checks of rendered manifests, each returning the problems it finds as lines "<Kind>/<name>: ...":
 * the typed models of kubernetes-models (types, enums, required fields; they let unknown keys
 * through), the strict Kubernetes 1.31 JSON schemas when ../shared/k8s-schemas is present
 * (unknown fields too), a strict check of KEDA's nats-jetstream metadata (a plain string map to
 * the models), and the platform's policies.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Manifest } from './render';
import { repoRoot } from './render';

type ModelClass = new (data: unknown) => { validate(): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (module: string): Record<string, ModelClass> => require(module);
const MODEL_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
};

export const id = (d: Manifest) => `${d.kind}/${d.metadata?.name}`;

/** kubernetes-models: every document must be a known kind that validates. */
export function modelProblems(docs: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    const module = MODEL_MODULES[doc.apiVersion];
    const Model = module ? load(module)[doc.kind] : undefined;
    if (!Model) {
      problems.push(`${id(doc)}: no model for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (error) {
      problems.push(`${id(doc)}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return problems;
}

/**
 * ../shared/k8s-schemas relative to the repository (CI lays shared/ beside the clone);
 * K8S_SCHEMA_DIR names another place (a git worktree elsewhere, say).
 */
export const strictSchemaDir =
  process.env.K8S_SCHEMA_DIR ?? path.resolve(repoRoot, '..', 'shared', 'k8s-schemas');

export interface StrictSchemas {
  /** Problems of the documents that have a schema; the kinds without one are listed apart. */
  check(docs: readonly Manifest[]): { problems: string[]; uncovered: string[] };
}

export function loadStrictSchemas(dir = strictSchemaDir): StrictSchemas | undefined {
  if (!existsSync(dir)) return undefined;
  const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
  addFormats(ajv);
  for (const format of ['int32', 'int64', 'byte']) ajv.addFormat(format, true);
  const compiled = new Map<string, ValidateFunction | null>();
  const schemaFile = (doc: Manifest): string => {
    const [group, version] = doc.apiVersion.includes('/')
      ? doc.apiVersion.split('/')
      : ['', doc.apiVersion];
    const kind = doc.kind.toLowerCase();
    if (group.includes('.') && !group.endsWith('.k8s.io')) {
      return path.join(dir, 'crds', group, `${kind}_${version}.json`);
    }
    const label = group.split('.')[0];
    return path.join(
      dir,
      `v${'1.31.0'}-standalone-strict`,
      label ? `${kind}-${label}-${version}.json` : `${kind}-${version}.json`,
    );
  };
  const validator = (doc: Manifest): ValidateFunction | null => {
    const file = schemaFile(doc);
    if (!compiled.has(file)) {
      if (!existsSync(file)) compiled.set(file, null);
      else {
        const schema = JSON.parse(readFileSync(file, 'utf8'));
        delete schema.$schema;
        compiled.set(file, ajv.compile(schema));
      }
    }
    return compiled.get(file) ?? null;
  };
  return {
    check(docs) {
      const problems: string[] = [];
      const uncovered = new Set<string>();
      for (const doc of docs) {
        const validate = validator(doc);
        if (!validate) {
          uncovered.add(`${doc.apiVersion} ${doc.kind}`);
          continue;
        }
        if (!validate(doc)) {
          const e = validate.errors?.[0];
          const extra =
            e?.params && 'additionalProperty' in e.params
              ? ` '${e.params.additionalProperty}'`
              : '';
          problems.push(`${id(doc)}: ${e?.instancePath || '/'} ${e?.message}${extra}`);
        }
      }
      return { problems, uncovered: [...uncovered].sort() };
    },
  };
}

/** KEDA's nats-jetstream trigger metadata (keda.sh docs, scaler parameter list). */
const NATS_JETSTREAM_KEYS = new Set([
  'natsServerMonitoringEndpoint',
  'account',
  'stream',
  'consumer',
  'lagThreshold',
  'activationLagThreshold',
  'useHttps',
]);
const NATS_JETSTREAM_REQUIRED = ['natsServerMonitoringEndpoint', 'account', 'stream', 'consumer'];

/** The models type trigger metadata as any string map: check its keys and values here. */
export function kedaProblems(docs: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const doc of docs.filter((d) => d.kind === 'ScaledObject')) {
    const triggers =
      (doc.spec?.triggers as { type: string; metadata?: Record<string, unknown> }[]) ?? [];
    if (triggers.length === 0) problems.push(`${id(doc)}: no triggers`);
    triggers.forEach((t, i) => {
      const at = `${id(doc)}: trigger ${i} (${t.type})`;
      if (t.type !== 'nats-jetstream') {
        problems.push(`${at}: only nats-jetstream triggers are expected`);
        return;
      }
      const meta = t.metadata ?? {};
      for (const key of Object.keys(meta)) {
        if (!NATS_JETSTREAM_KEYS.has(key)) problems.push(`${at}: unknown metadata key '${key}'`);
        if (typeof meta[key] !== 'string') problems.push(`${at}: metadata ${key} must be a string`);
      }
      for (const key of NATS_JETSTREAM_REQUIRED) {
        if (!meta[key]) problems.push(`${at}: metadata ${key} is required`);
      }
      for (const key of ['lagThreshold', 'activationLagThreshold']) {
        if (key in meta && !/^\d+$/.test(String(meta[key]))) {
          problems.push(`${at}: metadata ${key} must be a whole number, got '${meta[key]}'`);
        }
      }
      if ('lagThreshold' in meta && Number(meta.lagThreshold) < 1) {
        problems.push(`${at}: metadata lagThreshold must be at least 1`);
      }
      const endpoint = String(meta.natsServerMonitoringEndpoint ?? '');
      if (endpoint && !/^[a-zA-Z0-9.-]+:\d{1,5}$/.test(endpoint)) {
        problems.push(
          `${at}: natsServerMonitoringEndpoint must be host:port without a scheme, got '${endpoint}'`,
        );
      }
      if ('useHttps' in meta && !['true', 'false'].includes(String(meta.useHttps))) {
        problems.push(`${at}: metadata useHttps must be "true" or "false"`);
      }
    });
  }
  return problems;
}

interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: Record<string, unknown> & {
    capabilities?: { drop?: string[]; add?: string[] };
  };
  startupProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
  livenessProbe?: { httpGet?: { path?: string } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { name: string; hostPath?: unknown }[];
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

/** The pod template of a workload, and whether it runs for good (probes) or to completion. */
export function podTemplate(
  doc: Manifest,
): { template: PodTemplate; longRunning: boolean } | undefined {
  const spec = doc.spec as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(doc.kind)) {
    return { template: spec.template as PodTemplate, longRunning: true };
  }
  if (doc.kind === 'Job') return { template: spec.template as PodTemplate, longRunning: false };
  if (doc.kind === 'CronJob') {
    const job = spec.jobTemplate as { spec: { template: PodTemplate } };
    return { template: job.spec.template, longRunning: false };
  }
  return undefined;
}

function matches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
) {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}
const isEmptySelector = (s: LabelSelector | undefined) =>
  s !== undefined && Object.keys(s.matchLabels ?? {}).length === 0 && !s.matchExpressions?.length;

/**
 * Whether an ingress peer lets in more than named pods: every pod of the namespace (an empty pod
 * selector), every namespace (an empty namespace selector), or the whole internet.
 */
function openPeer(peer: Peer): string | undefined {
  if (peer.ipBlock && ['0.0.0.0/0', '::/0'].includes(peer.ipBlock.cidr))
    return `ipBlock ${peer.ipBlock.cidr}`;
  if (peer.namespaceSelector && isEmptySelector(peer.namespaceSelector)) return 'every namespace';
  if (
    !peer.namespaceSelector &&
    !peer.ipBlock &&
    (!peer.podSelector || isEmptySelector(peer.podSelector))
  ) {
    return 'every pod of the namespace';
  }
  return undefined;
}

export interface PolicyOptions {
  /** Workload components that may be open to any source (the edge): the gateway. */
  openComponents?: readonly string[];
  /** Components only the gateway may reach (in-namespace peers must select gateway pods). */
  gatewayOnlyComponents?: readonly string[];
}

export const SUBGRAPHS = ['ingestion', 'modeling', 'optimization', 'attribution', 'reporting'];

/** The platform's rules for what it deploys. */
export function policyProblems(docs: readonly Manifest[], options: PolicyOptions = {}): string[] {
  const open = new Set(options.openComponents ?? ['gateway']);
  const gatewayOnly = new Set(options.gatewayOnlyComponents ?? SUBGRAPHS);
  const problems: string[] = [];
  const workloads = docs.flatMap((doc) => {
    const pod = podTemplate(doc);
    return pod ? [{ doc, ...pod }] : [];
  });
  const ns = (d: Manifest) => d.metadata.namespace ?? '';

  for (const { doc, template, longRunning } of workloads) {
    const spec = template.spec;
    const podSc = spec.securityContext ?? {};
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC)
      problems.push(`${id(doc)}: uses the host's namespaces`);
    for (const v of spec.volumes ?? [])
      if (v.hostPath) problems.push(`${id(doc)}: hostPath volume ${v.name}`);
    const podSeccomp = (podSc.seccompProfile as { type?: string } | undefined)?.type;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const at = `${id(doc)} container ${c.name}`;
      const req = c.resources?.requests ?? {};
      if (!req.cpu || !req.memory) problems.push(`${at}: no cpu and memory requests`);
      if (!c.resources?.limits?.memory) problems.push(`${at}: no memory limit`);
      const image = c.image ?? '';
      const tag = image.includes('@')
        ? undefined
        : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
      if (!image.includes('@') && (!tag || tag === 'latest')) {
        problems.push(`${at}: image ${image} has no pinned tag (latest or none)`);
      }
      const sc = c.securityContext ?? {};
      const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
      if (nonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (sc.runAsUser === 0 || podSc.runAsUser === 0) problems.push(`${at}: runs as uid 0`);
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true)
        problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.privileged === true) problems.push(`${at}: privileged`);
      if (!(c.securityContext?.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${at}: capabilities do not drop ALL`);
      if ((c.securityContext?.capabilities?.add ?? []).length)
        problems.push(`${at}: adds capabilities`);
      const seccomp = (sc.seccompProfile as { type?: string } | undefined)?.type ?? podSeccomp;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        problems.push(`${at}: seccomp profile is not RuntimeDefault`);
      if (longRunning) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
          if (!c[probe]) problems.push(`${at}: no ${probe}`);
        }
        // The platform's own processes: ready on /readyz, alive on /healthz.
        if (
          template.metadata?.labels?.['app.kubernetes.io/part-of'] === 'mmm-platform' &&
          doc.kind === 'Deployment'
        ) {
          if (c.readinessProbe && c.readinessProbe.httpGet?.path !== '/readyz')
            problems.push(`${at}: readinessProbe is not GET /readyz`);
          if (c.livenessProbe && c.livenessProbe.httpGet?.path !== '/healthz')
            problems.push(`${at}: livenessProbe is not GET /healthz`);
        }
      }
    }
  }

  // A Service must select the pods of a workload, on a port those pods declare.
  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    const spec = svc.spec as {
      selector?: Record<string, string>;
      ports?: { name?: string; targetPort?: string | number }[];
    };
    const backing = workloads.filter(
      (w) =>
        ns(w.doc) === ns(svc) &&
        w.longRunning &&
        matches(spec.selector, w.template.metadata?.labels),
    );
    if (backing.length === 0) {
      problems.push(`${id(svc)}: selects no pod of any workload`);
      continue;
    }
    for (const port of spec.ports ?? []) {
      if (typeof port.targetPort !== 'string') continue;
      const declared = backing.some((w) =>
        w.template.spec.containers.some((c) => c.ports?.some((p) => p.name === port.targetPort)),
      );
      if (!declared)
        problems.push(`${id(svc)}: targetPort ${port.targetPort} is no container port of its pods`);
    }
  }

  // Autoscalers and budgets must point at workloads that exist; one autoscaler per Deployment.
  const scaled = new Map<string, string>();
  for (const doc of docs.filter(
    (d) => d.kind === 'HorizontalPodAutoscaler' || d.kind === 'ScaledObject',
  )) {
    const ref =
      (doc.spec as { scaleTargetRef?: { kind?: string; name?: string } }).scaleTargetRef ?? {};
    const kind = ref.kind ?? 'Deployment';
    const target = docs.find(
      (d) => d.kind === kind && d.metadata.name === ref.name && ns(d) === ns(doc),
    );
    if (!target) problems.push(`${id(doc)}: targets ${kind} ${ref.name}, which is not rendered`);
    const key = `${kind}/${ref.name}`;
    if (scaled.has(key))
      problems.push(`${id(doc)}: ${key} is already scaled by ${scaled.get(key)}`);
    scaled.set(key, id(doc));
    if (target && (target.spec as { replicas?: number }).replicas !== undefined) {
      problems.push(`${id(doc)}: ${key} also sets spec.replicas, which every upgrade would reset`);
    }
  }
  for (const pdb of docs.filter((d) => d.kind === 'PodDisruptionBudget')) {
    const selector = (pdb.spec as { selector?: LabelSelector }).selector?.matchLabels;
    if (
      !workloads.some(
        (w) => ns(w.doc) === ns(pdb) && matches(selector, w.template.metadata?.labels),
      )
    ) {
      problems.push(`${id(pdb)}: selects no pod of any workload`);
    }
  }
  for (const sm of docs.filter((d) => d.kind === 'ServiceMonitor')) {
    const spec = sm.spec as { selector?: LabelSelector; endpoints?: { port?: string }[] };
    const services = docs.filter(
      (d) =>
        d.kind === 'Service' &&
        ns(d) === ns(sm) &&
        matches(spec.selector?.matchLabels, d.metadata.labels),
    );
    for (const e of spec.endpoints ?? []) {
      if (
        !services.some((s) =>
          ((s.spec as { ports?: { name?: string }[] }).ports ?? []).some((p) => p.name === e.port),
        )
      ) {
        problems.push(`${id(sm)}: no Service it selects has a port named ${e.port}`);
      }
    }
  }
  for (const cj of docs.filter((d) => d.kind === 'CronJob')) {
    if ((cj.spec as { concurrencyPolicy?: string }).concurrencyPolicy !== 'Forbid') {
      problems.push(`${id(cj)}: concurrencyPolicy is not Forbid (runs could overlap)`);
    }
  }

  // Every workload but the edge takes traffic only from named peers.
  const policies = docs.filter((d) => d.kind === 'NetworkPolicy');
  for (const { doc, template } of workloads) {
    const labels = template.metadata?.labels ?? {};
    const component = labels['app.kubernetes.io/component'] ?? '';
    if (open.has(component)) continue;
    const applying = policies.filter((p) => {
      const spec = p.spec as { podSelector?: LabelSelector; policyTypes?: string[] };
      const all = isEmptySelector(spec.podSelector);
      return (
        ns(p) === ns(doc) &&
        (all || matches(spec.podSelector?.matchLabels, labels)) &&
        (spec.policyTypes ?? ['Ingress']).includes('Ingress')
      );
    });
    if (applying.length === 0) {
      problems.push(`${id(doc)}: no NetworkPolicy selects its pods, so anything may reach them`);
      continue;
    }
    for (const p of applying) {
      const rules = (p.spec as { ingress?: { from?: Peer[] }[] }).ingress ?? [];
      rules.forEach((rule, i) => {
        if (!rule.from || rule.from.length === 0) {
          problems.push(
            `${id(p)}: ingress rule ${i} has no "from", so it lets anything reach ${id(doc)}`,
          );
          return;
        }
        for (const peer of rule.from) {
          const why = openPeer(peer);
          if (why) problems.push(`${id(p)}: ingress rule ${i} lets ${why} reach ${id(doc)}`);
          else if (
            gatewayOnly.has(component) &&
            !peer.namespaceSelector &&
            !peer.ipBlock &&
            peer.podSelector?.matchLabels?.['app.kubernetes.io/component'] !== 'gateway'
          ) {
            problems.push(
              `${id(p)}: ingress rule ${i} lets pods other than the gateway reach ${id(doc)}`,
            );
          }
        }
      });
    }
  }
  return problems;
}
