/**
 * `mmm request`: asks a running platform for work through its gateway, with the same GraphQL
 * mutation a person would send, so a schedule (the chart's CronJobs) and a person take one path.
 * Today: `training` (trainModel). Optimization, reports and data pulls join as their mutations land.
 */
import type { Io } from './fit';
import { UsageError } from './errors';
import { parseFlags } from './flags';

export const REQUEST_USAGE = `usage: mmm request training --gateway URL [--workspace W]
  (--dataset ID | --dataset-name NAME | --all-datasets)
  [--seed S] [--iterations N] [--trials T] [--holdout W] [--timeout-seconds S]
  Queues a training job through the gateway (the trainModel mutation): on one dataset, on the
  newest dataset of a name (latest end date, then latest stored), or on the newest dataset of
  every name in the workspace. Prints one line per job queued; exit code 1 when any failed.`;

export interface RequestArgs {
  kind: 'training';
  gateway: string;
  workspace: string | undefined;
  target: { dataset: string } | { datasetName: string } | { all: true };
  settings: { seed?: number; iterations?: number; trials?: number; holdoutPeriods?: number };
  timeoutMs: number;
}

const VALUE_FLAGS = new Set([
  'gateway',
  'workspace',
  'dataset',
  'dataset-name',
  'seed',
  'iterations',
  'trials',
  'holdout',
  'timeout-seconds',
]);
const SWITCHES = new Set(['all-datasets']);

function integerFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** Parses `mmm request` flags into checked options; every problem names its flag. */
export function parseRequestArgs(argv: readonly string[]): RequestArgs {
  const [kind, ...rest] = argv;
  if (kind !== 'training') {
    throw new UsageError(
      kind === undefined
        ? 'say what to request: mmm request training ...'
        : `unknown request '${kind}' (requests: training)`,
    );
  }
  const flags = parseFlags(rest, { values: VALUE_FLAGS, booleans: SWITCHES });
  const values = new Map([...flags].filter(([name]) => !SWITCHES.has(name)));
  const switches = new Set([...flags.keys()].filter((name) => SWITCHES.has(name)));
  const gateway = values.get('gateway');
  if (!gateway) throw new UsageError('--gateway is required (e.g. http://127.0.0.1:4000/graphql)');
  if (!/^https?:\/\/[^/\s]+/.test(gateway)) {
    throw new UsageError(`--gateway must be an http(s) URL, got '${gateway}'`);
  }
  const workspace = values.get('workspace');
  if (workspace !== undefined && !/^[-_a-zA-Z0-9]{1,64}$/.test(workspace)) {
    throw new UsageError(
      `--workspace must be 1-64 characters of [-_a-zA-Z0-9], got '${workspace}'`,
    );
  }
  const chosen = [values.has('dataset'), values.has('dataset-name'), switches.has('all-datasets')];
  if (chosen.filter(Boolean).length !== 1) {
    throw new UsageError('give exactly one of --dataset, --dataset-name and --all-datasets');
  }
  const target: RequestArgs['target'] = values.has('dataset')
    ? { dataset: values.get('dataset') as string }
    : values.has('dataset-name')
      ? { datasetName: values.get('dataset-name') as string }
      : { all: true };
  const settings: RequestArgs['settings'] = {};
  const seed = values.get('seed');
  if (seed !== undefined) settings.seed = integerFlag('seed', seed, 0, 2 ** 31 - 1);
  const iterations = values.get('iterations');
  if (iterations !== undefined)
    settings.iterations = integerFlag('iterations', iterations, 10, 1_000_000);
  const trials = values.get('trials');
  if (trials !== undefined) settings.trials = integerFlag('trials', trials, 1, 1000);
  const holdout = values.get('holdout');
  if (holdout !== undefined) settings.holdoutPeriods = integerFlag('holdout', holdout, 0, 10_000);
  const timeout = values.get('timeout-seconds');
  const timeoutMs =
    (timeout === undefined ? 60 : integerFlag('timeout-seconds', timeout, 1, 3600)) * 1000;
  return { kind: 'training', gateway, workspace, target, settings, timeoutMs };
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

async function graphql(
  args: RequestArgs,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (args.workspace) headers['x-workspace-id'] = args.workspace;
  let res: Response;
  try {
    res = await fetch(args.gateway, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(args.timeoutMs),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause ?? error) : error;
    throw new GatewayError(
      `cannot reach the gateway at ${args.gateway} (${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  const text = await res.text();
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
  if (!res.ok || !body.data) throw new GatewayError(`the gateway answered HTTP ${res.status}`);
  return body.data;
}

const TRAIN = `mutation ScheduledTraining($input: TrainModelInput!) {
  trainModel(input: $input) { id status datasetId }
}`;
const DATASETS = `query ScheduledTrainingDatasets { datasets { id name endDate createdAt } }`;

export async function requestCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseRequestArgs(argv);
  let targets: { id: string; label: string }[];
  if ('dataset' in args.target) {
    targets = [{ id: args.target.dataset, label: args.target.dataset }];
  } else {
    const data = await graphql(args, DATASETS, {});
    const all = newestByName(data.datasets as DatasetRow[]);
    const wanted = 'datasetName' in args.target ? args.target.datasetName : undefined;
    const chosen = wanted === undefined ? all : all.filter((d) => d.name === wanted);
    if (wanted !== undefined && chosen.length === 0) {
      throw new GatewayError(`no dataset named '${wanted}' in the workspace`);
    }
    targets = chosen.map((d) => ({ id: d.id, label: `${d.id} (${d.name}, to ${d.endDate})` }));
    if (targets.length === 0) {
      io.stdout('no datasets in the workspace: nothing to train');
      return 0;
    }
  }
  let failed = 0;
  for (const target of targets) {
    try {
      const data = await graphql(args, TRAIN, {
        input: { datasetId: target.id, ...args.settings },
      });
      const job = data.trainModel as { id: string; status: string };
      io.stdout(`training job ${job.id} ${job.status} on dataset ${target.label}`);
    } catch (error) {
      failed++;
      io.stderr(`mmm request: dataset ${target.label}: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}
