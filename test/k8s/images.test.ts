/**
 * The image recipes and skaffold.yaml, checked without a Docker engine: the recipes' invariants
 * (pinned Node 22 base, production dependencies only, non-root numeric user, exec-form start) and
 * that every skaffold artifact builds from a Dockerfile and context that exist into the image
 * the chart deploys.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './support/render';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** The problems of a Dockerfile's text, one line each. */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  for (const l of lines) {
    const m = /^ARG\s+(\w+)=(\S+)/.exec(l);
    if (m) args.set(m[1], m[2]);
  }
  const froms = lines.filter((l) => /^FROM\s/i.test(l));
  if (froms.length < 2)
    problems.push('not a multi-stage build (build, then a clean runtime stage)');
  for (const from of froms) {
    const ref = from
      .split(/\s+/)[1]
      .replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? '');
    if (!ref) problems.push(`${from}: the base image is an ARG without a default`);
    else if (!ref.includes('@')) {
      const tag = ref.split('/').pop()?.split(':')[1];
      if (!tag || tag === 'latest')
        problems.push(`${from}: base image ${ref} is not pinned to a tag`);
      if (ref.startsWith('node:') && !tag?.startsWith('22'))
        problems.push(`${from}: base image ${ref} is not Node 22`);
    }
  }
  const runtime = lines.slice(lines.lastIndexOf(froms[froms.length - 1]));
  const user = runtime.filter((l) => /^USER\s/.test(l)).pop();
  if (!user) problems.push('the runtime stage sets no USER (it would run as root)');
  else if (!/^USER\s+[1-9]\d*(:[1-9]\d*)?$/.test(user)) {
    problems.push(
      `${user}: the runtime user must be a non-zero number (Kubernetes checks runAsNonRoot by uid)`,
    );
  }
  const all = lines.join('\n');
  if (!/npm ci --omit=dev|npm prune --omit=dev|npm ci --production/.test(all)) {
    problems.push('dev dependencies are not dropped (npm ci --omit=dev or npm prune --omit=dev)');
  }
  if (runtime.some((l) => /^RUN\s.*npm (ci|install)\b(?!.*--omit=dev)/.test(l))) {
    problems.push('the runtime stage installs packages with their dev dependencies');
  }
  const start = runtime.filter((l) => /^(CMD|ENTRYPOINT)\s/.test(l));
  if (start.length === 0) problems.push('no CMD or ENTRYPOINT');
  for (const s of start)
    if (!/^(CMD|ENTRYPOINT)\s+\[/.test(s))
      problems.push(`${s}: not exec form (signals would reach a shell)`);
  return problems;
}

describe('the image recipes', () => {
  it.each(['services/Dockerfile', 'gateway/Dockerfile'])('%s keeps the invariants', (file) => {
    expect(dockerfileProblems(read(file))).toEqual([]);
  });

  it('the services image carries the mmm command, tini, and Chromium for reporting only', () => {
    const text = read('services/Dockerfile');
    expect(text).toContain('COPY --from=build /app/libs/mmm-cli/dist libs/mmm-cli/dist');
    expect(text).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    expect(text).toMatch(
      /if \[ "\$SERVICE" = reporting \]; then\s*\\\s*apt-get install -y --no-install-recommends chromium/,
    );
  });

  it('.dockerignore keeps dependencies, builds and git out of the context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git']) expect(ignored).toContain(entry);
  });

  it.each<[string, (t: string) => string, string]>([
    [
      'a root user',
      (t) => t.replace('USER 1000:1000', 'USER root'),
      'USER root: the runtime user must be a non-zero number',
    ],
    ['no user', (t) => t.replace('USER 1000:1000', ''), 'the runtime stage sets no USER'],
    [
      'a latest base',
      (t) => t.replace('node:22-bookworm-slim', 'node:latest'),
      'base image node:latest is not pinned',
    ],
    [
      'an untagged base',
      (t) => t.replace('node:22-bookworm-slim', 'node'),
      'base image node is not pinned',
    ],
    [
      'Node 20',
      (t) => t.replace('node:22-bookworm-slim', 'node:20-bookworm-slim'),
      'is not Node 22',
    ],
    [
      'dev dependencies kept',
      (t) => t.replace(' && npm prune --omit=dev', ''),
      'dev dependencies are not dropped',
    ],
    [
      'a shell-form start',
      (t) => t.replace(/CMD \[.*\]/, 'CMD node gateway/dist/src/main.js'),
      'not exec form',
    ],
  ])('a deliberate mistake is caught: %s', (_what, change, problem) => {
    const broken = change(read('gateway/Dockerfile'));
    expect(dockerfileProblems(broken).join('\n')).toContain(problem);
  });
});

interface Artifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string; buildArgs?: Record<string, string> };
}
interface Skaffold {
  build: { artifacts: Artifact[] };
  manifests: {
    helm: {
      releases: {
        chartPath: string;
        valuesFiles?: string[];
        setValueTemplates?: Record<string, string>;
      }[];
    };
  };
  profiles: { name: string; patches?: { path: string; value: unknown }[] }[];
}

/** The problems of a skaffold config: artifacts that cannot build, a chart that is not there. */
export function skaffoldProblems(config: Skaffold): string[] {
  const problems: string[] = [];
  const values = parse(read('charts/mmm-platform/values.yaml')) as {
    components: Record<string, { image: { repository: string } }>;
  };
  const images = new Set(config.build.artifacts.map((a) => a.image));
  for (const a of config.build.artifacts) {
    const context = path.join(repoRoot, a.context ?? '.');
    if (!existsSync(context)) problems.push(`${a.image}: context ${a.context} does not exist`);
    const dockerfile = path.join(context, a.docker?.dockerfile ?? 'Dockerfile');
    if (!existsSync(dockerfile))
      problems.push(`${a.image}: Dockerfile ${a.docker?.dockerfile} does not exist`);
    else if (/ARG SERVICE\b/.test(readFileSync(dockerfile, 'utf8'))) {
      const service = a.docker?.buildArgs?.SERVICE;
      if (!service || !existsSync(path.join(repoRoot, 'services', service, 'package.json'))) {
        problems.push(`${a.image}: buildArgs.SERVICE '${service}' is not a service`);
      }
    }
  }
  for (const [name, c] of Object.entries(values.components)) {
    if (!images.has(c.image.repository))
      problems.push(`component ${name}: image ${c.image.repository} is built by no artifact`);
  }
  for (const release of config.manifests.helm.releases) {
    if (!existsSync(path.join(repoRoot, release.chartPath, 'Chart.yaml')))
      problems.push(`chartPath ${release.chartPath} holds no Chart.yaml`);
    for (const file of release.valuesFiles ?? [])
      if (!existsSync(path.join(repoRoot, file)))
        problems.push(`values file ${file} does not exist`);
    for (const key of Object.keys(release.setValueTemplates ?? {})) {
      let node: unknown = parse(read('charts/mmm-platform/values.yaml'));
      for (const part of key.split('.').slice(0, -1))
        node = (node as Record<string, unknown> | undefined)?.[part];
      if (node === undefined || typeof node !== 'object')
        problems.push(`setValueTemplates ${key}: no such value in the chart`);
    }
  }
  for (const profile of config.profiles) {
    for (const patch of profile.patches ?? []) {
      if (
        patch.path.endsWith('valuesFiles/-') &&
        !existsSync(path.join(repoRoot, String(patch.value)))
      ) {
        problems.push(`profile ${profile.name}: values file ${patch.value} does not exist`);
      }
    }
  }
  return problems;
}

describe('skaffold.yaml', () => {
  const config = parse(read('skaffold.yaml')) as Skaffold;

  it('builds every image from a Dockerfile and context that exist, and deploys the chart', () => {
    expect(skaffoldProblems(config)).toEqual([]);
    expect(config.build.artifacts.map((a) => a.image).sort()).toEqual(
      ['attribution', 'gateway', 'ingestion', 'modeling', 'optimization', 'reporting'].map(
        (s) => `mmm-${s}`,
      ),
    );
    expect(config.profiles.map((p) => p.name)).toEqual(['dev', 'prod']);
  });

  it('deliberate mistakes are caught: a wrong Dockerfile, service, chart path or value', () => {
    const broken = structuredClone(config);
    broken.build.artifacts[0].image = 'mmm-gate';
    broken.build.artifacts[0].docker = { dockerfile: 'gateway/Dockerfil' };
    broken.build.artifacts[1].docker!.buildArgs = { SERVICE: 'ingest' };
    broken.manifests.helm.releases[0].chartPath = 'chart/mmm-platform';
    broken.manifests.helm.releases[0].setValueTemplates = { 'component.gateway.image.tag': 'x' };
    expect(skaffoldProblems(broken)).toEqual([
      'mmm-gate: Dockerfile gateway/Dockerfil does not exist',
      "mmm-ingestion: buildArgs.SERVICE 'ingest' is not a service",
      'component gateway: image mmm-gateway is built by no artifact',
      'chartPath chart/mmm-platform holds no Chart.yaml',
      'setValueTemplates component.gateway.image.tag: no such value in the chart',
    ]);
  });
});
