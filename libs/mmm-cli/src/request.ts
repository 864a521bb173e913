/**
 * `mmm request`: asks a running platform for work through its gateway, with the same GraphQL
 * mutation a person would send, so a schedule (the chart's CronJobs) and a person take one path:
 * `training` (trainModel), `optimization` (optimizeBudget), `report` (generateReport) and `pull`
 * (pullSource).
 */
import http from 'node:http';
import https from 'node:https';
import type { Io } from './fit';
import { UsageError } from './errors';
import { parseFlags, readText } from './flags';

export const REQUEST_USAGE = `Every request authenticates with a bearer token: MMM_TOKEN, or --token-file FILE (a
mounted Secret); npm start prints development tokens.

usage: mmm request training --gateway URL [--workspace W]
  (--dataset ID | --dataset-name NAME | --all-datasets)
  [--seed S] [--iterations N] [--trials T] [--holdout W] [--timeout-seconds S]
  Queues a training job through the gateway (the trainModel mutation): on one dataset, on the
  newest dataset of a name (latest end date, then latest stored), or on the newest dataset of
  every name in the workspace. Prints one line per job queued; exit code 1 when any failed.

usage: mmm request optimization --gateway URL [--workspace W] (--model ID | --production)
  [--periods N] [--objective RESPONSE|ROI] [--name TEXT] [--timeout-seconds S]
  Solves a budget scenario (the optimizeBudget mutation) on one model or on every production
  model of the workspace: the current spend per period over the next N periods (default 13),
  moved to where it earns most. The reporting service renders a report of each scenario.

usage: mmm request report --gateway URL [--workspace W] (--model ID | --production)
  [--format HTML|PDF] [--with-latest-scenario] [--timeout-seconds S]
  Renders the executive report (the generateReport mutation) of one model or of every
  production model, with the model's newest scenario when asked.

usage: mmm request pull --gateway URL [--workspace W] (--source ID | --all-sources)
  [--days N] [--timeout-seconds S (default 600; other requests 60)]
  Pulls a data source (the pullSource mutation), or every source of the workspace, into a new
  dataset version: the last N days up to yesterday (UTC), or the source's own lookback. A failed
  pull keeps the previous version; its code and reason are printed and the exit code is 1.`;

const KINDS = ['training', 'optimization', 'report', 'pull'] as const;
export type RequestKind = (typeof KINDS)[number];

/** One model, or every production model of the workspace. */
export type ModelTarget = { model: string } | { production: true };

interface Door {
  gateway: string;
  workspace: string | undefined;
  timeoutMs: number;
  token: string | undefined;
}

export type RequestArgs = Door &
  (
    | {
        kind: 'training';
        target: { dataset: string } | { datasetName: string } | { all: true };
        settings: { seed?: number; iterations?: number; trials?: number; holdoutPeriods?: number };
      }
    | {
        kind: 'optimization';
        target: ModelTarget;
        periods: number;
        objective: 'RESPONSE' | 'ROI';
        name: string | undefined;
      }
    | { kind: 'report'; target: ModelTarget; format: 'HTML' | 'PDF'; withLatestScenario: boolean }
    | { kind: 'pull'; target: { source: string } | { all: true }; days: number | undefined }
  );

const DOOR_FLAGS = ['gateway', 'workspace', 'timeout-seconds', 'token-file'];
const FLAGS: Record<RequestKind, { values: Set<string>; booleans: Set<string> }> = {
  training: {
    values: new Set([
      ...DOOR_FLAGS,
      'dataset',
      'dataset-name',
      'seed',
      'iterations',
      'trials',
      'holdout',
    ]),
    booleans: new Set(['all-datasets']),
  },
  optimization: {
    values: new Set([...DOOR_FLAGS, 'model', 'periods', 'objective', 'name']),
    booleans: new Set(['production']),
  },
  report: {
    values: new Set([...DOOR_FLAGS, 'model', 'format']),
    booleans: new Set(['production', 'with-latest-scenario']),
  },
  pull: {
    values: new Set([...DOOR_FLAGS, 'source', 'days']),
    booleans: new Set(['all-sources']),
  },
};

function integerFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const upper = value.toUpperCase();
  if (!(allowed as readonly string[]).includes(upper)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return upper as T;
}

// How long a request waits for its answer unless told: a pull waits on an ad platform or a
// database, a little less long than the gateway lets it (PULL_TIMEOUT_MS, 11 min by default).
const DEFAULT_TIMEOUT_SECONDS: Record<RequestKind, number> = {
  training: 60,
  optimization: 60,
  report: 60,
  pull: 600,
};

function parseDoor(
  kind: RequestKind,
  flags: Map<string, string>,
  env: Readonly<Record<string, string | undefined>>,
): Door {
  const gateway = flags.get('gateway');
  if (!gateway) throw new UsageError('--gateway is required (e.g. http://127.0.0.1:4000/graphql)');
  if (!/^https?:\/\/[^/\s]+/.test(gateway)) {
    throw new UsageError(`--gateway must be an http(s) URL, got '${gateway}'`);
  }
  const workspace = flags.get('workspace');
  if (workspace !== undefined && !/^[-_a-zA-Z0-9]{1,64}$/.test(workspace)) {
    throw new UsageError(
      `--workspace must be 1-64 characters of [-_a-zA-Z0-9], got '${workspace}'`,
    );
  }
  const timeout = flags.get('timeout-seconds');
  const timeoutMs =
    (timeout === undefined
      ? DEFAULT_TIMEOUT_SECONDS[kind]
      : integerFlag('timeout-seconds', timeout, 1, 3600)) * 1000;
  const file = flags.get('token-file');
  const token = file !== undefined ? readText(file, '--token-file').trim() : env.MMM_TOKEN?.trim();
  if (token !== undefined && !/^[A-Za-z0-9_\-.=]+$/.test(token)) {
    throw new UsageError(
      `the token ${file !== undefined ? `in ${file}` : 'in MMM_TOKEN'} is not a bearer token`,
    );
  }
  return { gateway, workspace, timeoutMs, token: token || undefined };
}

function parseModelTarget(flags: Map<string, string>): ModelTarget {
  const model = flags.get('model');
  if ((model === undefined) === !flags.has('production')) {
    throw new UsageError('give exactly one of --model and --production');
  }
  return model !== undefined ? { model } : { production: true };
}

/** Parses `mmm request` flags into checked options; every problem names its flag. */
export function parseRequestArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): RequestArgs {
  const [kind, ...rest] = argv;
  if (!(KINDS as readonly string[]).includes(kind ?? '')) {
    throw new UsageError(
      kind === undefined
        ? `say what to request: mmm request (${KINDS.join(' | ')}) ...`
        : `unknown request '${kind}' (requests: ${KINDS.join(', ')})`,
    );
  }
  const known = kind as RequestKind;
  const flags = parseFlags(rest, FLAGS[known]);
  const door = parseDoor(known, flags, env);
  if (known === 'optimization') {
    const periods = flags.get('periods');
    const objective = flags.get('objective');
    return {
      ...door,
      kind: known,
      target: parseModelTarget(flags),
      periods: periods === undefined ? 13 : integerFlag('periods', periods, 1, 1000),
      objective:
        objective === undefined ? 'RESPONSE' : oneOf('objective', objective, ['RESPONSE', 'ROI']),
      name: flags.get('name'),
    };
  }
  if (known === 'pull') {
    const source = flags.get('source');
    if ((source === undefined) === !flags.has('all-sources')) {
      throw new UsageError('give exactly one of --source and --all-sources');
    }
    const days = flags.get('days');
    return {
      ...door,
      kind: known,
      target: source !== undefined ? { source } : { all: true },
      days: days === undefined ? undefined : integerFlag('days', days, 1, 3660),
    };
  }
  if (known === 'report') {
    const format = flags.get('format');
    return {
      ...door,
      kind: known,
      target: parseModelTarget(flags),
      format: format === undefined ? 'PDF' : oneOf('format', format, ['HTML', 'PDF']),
      withLatestScenario: flags.has('with-latest-scenario'),
    };
  }
  const chosen = [flags.has('dataset'), flags.has('dataset-name'), flags.has('all-datasets')];
  if (chosen.filter(Boolean).length !== 1) {
    throw new UsageError('give exactly one of --dataset, --dataset-name and --all-datasets');
  }
  const target = flags.has('dataset')
    ? { dataset: flags.get('dataset') as string }
    : flags.has('dataset-name')
      ? { datasetName: flags.get('dataset-name') as string }
      : { all: true as const };
  const settings: { seed?: number; iterations?: number; trials?: number; holdoutPeriods?: number } =
    {};
  const seed = flags.get('seed');
  if (seed !== undefined) settings.seed = integerFlag('seed', seed, 0, 2 ** 31 - 1);
  const iterations = flags.get('iterations');
  if (iterations !== undefined)
    settings.iterations = integerFlag('iterations', iterations, 10, 1_000_000);
  const trials = flags.get('trials');
  if (trials !== undefined) settings.trials = integerFlag('trials', trials, 1, 1000);
  const holdout = flags.get('holdout');
  if (holdout !== undefined) settings.holdoutPeriods = integerFlag('holdout', holdout, 0, 10_000);
  return { ...door, kind: known, target, settings };
}

interface DatasetRow {
  id: string;
  name: string;
  endDate: string;
  createdAt: string;
}

/** The newest dataset of each name: latest end date, then latest stored. */
export function newestByName(datasets: readonly DatasetRow[]): DatasetRow[] {
  const newest = new Map<string, DatasetRow>();
  for (const d of datasets) {
    const known = newest.get(d.name);
    if (
      !known ||
      d.endDate > known.endDate ||
      (d.endDate === known.endDate && d.createdAt > known.createdAt)
    ) {
      newest.set(d.name, d);
    }
  }
  return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name));
}

class GatewayError extends Error {
  override readonly name = 'GatewayError';
}

/**
 * POSTs on node:http(s), bounded by timeoutMs alone: Node's fetch (undici) also gives up on an
 * answer whose headers take more than 300 s, which a long source pull's answer does.
 */
function postJson(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
        response.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

async function graphql(
  args: Door,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (args.workspace) headers['x-workspace-id'] = args.workspace;
  if (args.token) headers.authorization = `Bearer ${args.token}`;
  let res: { status: number; text: string };
  try {
    res = await postJson(
      args.gateway,
      headers,
      JSON.stringify({ query, variables }),
      args.timeoutMs,
    );
  } catch (error) {
    throw new GatewayError(
      `cannot reach the gateway at ${args.gateway} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const { text } = res;
  let body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError(`the gateway answered HTTP ${res.status} without JSON`);
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    const code = first.extensions?.code ? `${first.extensions.code}: ` : '';
    throw new GatewayError(`${code}${first.message}`);
  }
  if (res.status < 200 || res.status >= 300 || !body.data) {
    throw new GatewayError(`the gateway answered HTTP ${res.status}`);
  }
  return body.data;
}

const TRAIN = `mutation ScheduledTraining($input: TrainModelInput!) {
  trainModel(input: $input) { id status datasetId }
}`;
const DATASETS = `query ScheduledTrainingDatasets { datasets { id name endDate createdAt } }`;
const PRODUCTION_MODELS = `query ScheduledProductionModels { models(stage: PRODUCTION) { id datasetId } }`;
const OPTIMIZE = `mutation ScheduledOptimization($modelId: ID!, $scenario: ScenarioInput!) {
  optimizeBudget(modelId: $modelId, scenario: $scenario) {
    id status method response { lift { estimate } }
  }
}`;
const LATEST_SCENARIO = `query ScheduledReportScenario($id: ID!) {
  model(id: $id) { id optimizations { id } }
}`;
const REPORT = `mutation ScheduledReport($modelId: ID!, $scenarioId: ID, $format: ReportFormat) {
  generateReport(modelId: $modelId, scenarioId: $scenarioId, format: $format) { id status }
}`;

const SOURCES = `query ScheduledPullSources { sources { id name kind } }`;
const PULL = `mutation ScheduledPull($sourceId: ID!, $dateRange: DateRangeInput) {
  pullSource(sourceId: $sourceId, dateRange: $dateRange) {
    ok
    dataset { id periodCount endDate }
    failure { failureCode message startDate endDate }
  }
}`;

/** The last `days` days up to yesterday (UTC): yesterday is the last complete day. */
export function lastDays(days: number, now: Date): { start: string; end: string } {
  const yesterday = Math.floor(now.getTime() / 86_400_000) - 1;
  const day = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);
  return { start: day(yesterday - days + 1), end: day(yesterday) };
}

type Target = { id: string; label: string };

/** Runs one request per target; a refused target is named on stderr and the others go on. */
async function forEachTarget(
  io: Io,
  targets: readonly Target[],
  noun: string,
  send: (target: Target) => Promise<string>,
): Promise<number> {
  let failed = 0;
  for (const target of targets) {
    try {
      io.stdout(await send(target));
    } catch (error) {
      failed++;
      io.stderr(`mmm request: ${noun} ${target.label}: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

async function datasetTargets(args: Extract<RequestArgs, { kind: 'training' }>): Promise<Target[]> {
  if ('dataset' in args.target) return [{ id: args.target.dataset, label: args.target.dataset }];
  const data = await graphql(args, DATASETS, {});
  const all = newestByName(data.datasets as DatasetRow[]);
  const wanted = 'datasetName' in args.target ? args.target.datasetName : undefined;
  const chosen = wanted === undefined ? all : all.filter((d) => d.name === wanted);
  if (wanted !== undefined && chosen.length === 0) {
    throw new GatewayError(`no dataset named '${wanted}' in the workspace`);
  }
  return chosen.map((d) => ({ id: d.id, label: `${d.id} (${d.name}, to ${d.endDate})` }));
}

async function modelTargets(args: Door & { target: ModelTarget }): Promise<Target[]> {
  if ('model' in args.target) return [{ id: args.target.model, label: args.target.model }];
  const data = await graphql(args, PRODUCTION_MODELS, {});
  return (data.models as { id: string; datasetId: string }[]).map((m) => ({
    id: m.id,
    label: `${m.id} (production model of dataset ${m.datasetId})`,
  }));
}

async function pullSources(args: Extract<RequestArgs, { kind: 'pull' }>, io: Io): Promise<number> {
  let targets: Target[];
  if ('source' in args.target) {
    targets = [{ id: args.target.source, label: args.target.source }];
  } else {
    const data = await graphql(args, SOURCES, {});
    targets = (data.sources as { id: string; name: string; kind: string }[]).map((s) => ({
      id: s.id,
      label: `${s.id} (${s.name}, ${s.kind})`,
    }));
  }
  if (targets.length === 0) {
    io.stdout('no sources in the workspace: nothing to pull');
    return 0;
  }
  const dateRange = args.days === undefined ? undefined : lastDays(args.days, new Date());
  return forEachTarget(io, targets, 'source', async (target) => {
    const data = await graphql(args, PULL, { sourceId: target.id, dateRange });
    const pulled = data.pullSource as {
      ok: boolean;
      dataset: { id: string; periodCount: number; endDate: string } | null;
      failure: { failureCode: string; message: string } | null;
    };
    if (!pulled.ok || pulled.dataset === null) {
      // The previous version stays; the schedule should still see the run fail.
      throw new GatewayError(`${pulled.failure?.failureCode}: ${pulled.failure?.message}`);
    }
    const { dataset } = pulled;
    return `pulled source ${target.label}: dataset ${dataset.id} (${dataset.periodCount} periods, to ${dataset.endDate})`;
  });
}

export async function requestCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseRequestArgs(argv, io.env ?? {});
  if (args.kind === 'pull') return pullSources(args, io);
  if (args.kind === 'training') {
    const targets = await datasetTargets(args);
    if (targets.length === 0) {
      io.stdout('no datasets in the workspace: nothing to train');
      return 0;
    }
    return forEachTarget(io, targets, 'dataset', async (target) => {
      const data = await graphql(args, TRAIN, {
        input: { datasetId: target.id, ...args.settings },
      });
      const job = data.trainModel as { id: string; status: string };
      return `training job ${job.id} ${job.status} on dataset ${target.label}`;
    });
  }
  const targets = await modelTargets(args);
  if (targets.length === 0) {
    io.stdout(
      `no production models in the workspace: nothing to ${args.kind === 'report' ? 'report' : 'optimize'}`,
    );
    return 0;
  }
  if (args.kind === 'optimization') {
    return forEachTarget(io, targets, 'model', async (target) => {
      const scenario = {
        name: args.name ?? `scheduled ${args.periods}-period plan`,
        periods: args.periods,
        objective: args.objective,
      };
      const data = await graphql(args, OPTIMIZE, { modelId: target.id, scenario });
      const solved = data.optimizeBudget as {
        id: string;
        status: string;
        method: string;
        response: { lift: { estimate: number } };
      };
      const lift = solved.response.lift.estimate;
      return `scenario ${solved.id} ${solved.status} (${solved.method}) on model ${target.label}: lift ${lift.toPrecision(4)}`;
    });
  }
  return forEachTarget(io, targets, 'model', async (target) => {
    let scenarioId: string | undefined;
    if (args.withLatestScenario) {
      const found = await graphql(args, LATEST_SCENARIO, { id: target.id });
      const model = found.model as { optimizations: { id: string }[] } | null;
      if (!model) throw new GatewayError(`model ${target.id} was not found`);
      scenarioId = model.optimizations[0]?.id;
    }
    const data = await graphql(args, REPORT, {
      modelId: target.id,
      scenarioId,
      format: args.format,
    });
    const report = data.generateReport as { id: string; status: string };
    const about = scenarioId ? ` with scenario ${scenarioId}` : '';
    return `report ${report.id} ${report.status} (${args.format}) on model ${target.label}${about}`;
  });
}
