/**
 * Flags of `mmm fit`, parsed and checked once into fully defaulted options; every problem
 * is a UsageError with one line that names the flag.
 */
import { UsageError } from './errors';
import { parseFlags } from './flags';

export type AdstockFlag = 'geometric' | 'weibull_cdf' | 'weibull_pdf';
export type ControlSign = 'positive' | 'negative' | 'default';

export interface FitArgs {
  data: string;
  date: string;
  kpi: string;
  kpiType: 'revenue' | 'conversions';
  spend: string[];
  controls: string[];
  /** Coefficient sign per control (Robyn's context_signs); controls not named are unbounded. */
  controlSigns: Map<string, ControlSign>;
  organic: string[];
  adstock: AdstockFlag;
  iterations: number;
  trials: number;
  seed: number;
  holdout: number;
  /** Worker threads; 0 = evaluate in the main thread. Default: every core. */
  workers: number | undefined;
  bootstrap: number;
  /** Model draws for the intervals (0 = none; default 200). */
  draws: number;
  /**
   * How the model is chosen; undefined = the library's default ('posterior', or 'best-fit'
   * with lift tests).
   */
  select: 'posterior' | 'best-fit' | 'knee' | undefined;
  /** CSV of lift tests: channel,start,end,lift (dates inclusive, lift in KPI units). */
  lift: string | undefined;
  /** CSV of events/holidays: date,event; one dummy column per event name. */
  events: string | undefined;
  /** Yearly Fourier order; undefined = the library's default (2). */
  fourierOrder: number | undefined;
  /** Day-of-week Fourier order on daily data; undefined = the library's default (3). */
  weeklyOrder: number | undefined;
  /** Where to write every searched candidate as CSV. */
  candidates: string | undefined;
  out: string | undefined;
  json: boolean;
}

export const FIT_USAGE = `usage: mmm fit --data file.csv --date date --kpi revenue --spend a,b,c
  [--controls x,y] [--control-signs x:negative,y:positive] [--organic z]
  [--adstock geometric|weibull_cdf|weibull_pdf] [--kpi-type revenue|conversions]
  [--events events.csv] [--fourier-order K] [--weekly-order K]
  [--iterations N] [--trials T] [--seed S] [--holdout W] [--workers K] [--draws D]
  [--bootstrap B] [--select posterior|best-fit|knee] [--lift lift.csv] [--candidates candidates.csv]
  [--out model.json] [--json]
  --draws: model draws behind the 90% intervals (default 200; 0 = none): hyperparameters from
  the posterior, each with a block-bootstrap coefficient draw; kept in the --out model.
  --bootstrap: block-bootstrap refits at the chosen hyperparameters (conditional intervals,
  kept in the model as uncertainty.bootstrap; default 0).
  --events: CSV with columns date,event (ISO dates); one dummy column per event name, 1 in
  the period that contains the date.
  --control-signs: coefficient sign per control, positive, negative or default (unbounded).
  --candidates: writes every searched candidate (trial, iteration, index, hyperparameters,
  objectives, front) as CSV.
  --lift: CSV with columns channel,start,end,lift (ISO dates, inclusive; measured incremental
  KPI over those periods); adds MAPE.LIFT to the search objectives.
  --select: posterior (default without --lift: the posterior mean of the hyperparameters over
  the best candidates), best-fit (default with --lift: the front's best fit) or knee (Robyn's
  pick on NRMSE and DECOMP.RSSD).`;

const VALUE_FLAGS = new Set([
  'data',
  'date',
  'kpi',
  'kpi-type',
  'spend',
  'controls',
  'organic',
  'adstock',
  'iterations',
  'trials',
  'seed',
  'holdout',
  'workers',
  'bootstrap',
  'draws',
  'select',
  'lift',
  'events',
  'fourier-order',
  'weekly-order',
  'control-signs',
  'candidates',
  'out',
]);
const BOOLEAN_FLAGS = new Set(['json', 'help']);

function list(value: string | undefined, flag: string): string[] {
  if (value === undefined) return [];
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${flag} has an empty column name`);
  return items;
}

function integer(
  flags: Map<string, string>,
  flag: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = flags.get(flag);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${flag} must be an integer, got '${raw}'`);
  const v = Number(raw);
  if (v < min || v > max) {
    throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${v}`);
  }
  return v;
}

export function parseFitArgs(argv: readonly string[]): FitArgs {
  const flags = parseFlags(argv, { values: VALUE_FLAGS, booleans: BOOLEAN_FLAGS });
  for (const required of ['data', 'date', 'kpi', 'spend']) {
    if (!flags.has(required)) throw new UsageError(`--${required} is required`);
  }
  const adstock = flags.get('adstock') ?? 'geometric';
  if (adstock !== 'geometric' && adstock !== 'weibull_cdf' && adstock !== 'weibull_pdf') {
    throw new UsageError(
      `--adstock must be geometric, weibull_cdf or weibull_pdf, got '${adstock}'`,
    );
  }
  const kpiType = flags.get('kpi-type') ?? 'revenue';
  if (kpiType !== 'revenue' && kpiType !== 'conversions') {
    throw new UsageError(`--kpi-type must be revenue or conversions, got '${kpiType}'`);
  }
  const select = flags.get('select');
  if (
    select !== undefined &&
    select !== 'posterior' &&
    select !== 'best-fit' &&
    select !== 'knee'
  ) {
    throw new UsageError(`--select must be posterior, best-fit or knee, got '${select}'`);
  }
  if (select === 'posterior' && flags.has('lift')) {
    throw new UsageError('--select posterior does not take --lift; use best-fit or knee');
  }
  const spend = list(flags.get('spend'), 'spend');
  const controls = list(flags.get('controls'), 'controls');
  const organic = list(flags.get('organic'), 'organic');
  const kpi = flags.get('kpi') as string;
  const date = flags.get('date') as string;
  const seen = new Map<string, string>([
    [date, '--date'],
    [kpi, '--kpi'],
  ]);
  for (const [flag, names] of [
    ['--spend', spend],
    ['--controls', controls],
    ['--organic', organic],
  ] as const) {
    for (const name of names) {
      const other = seen.get(name);
      if (other) throw new UsageError(`column '${name}' is given to both ${other} and ${flag}`);
      seen.set(name, flag);
    }
  }
  const controlSigns = new Map<string, ControlSign>();
  for (const item of list(flags.get('control-signs'), 'control-signs')) {
    const [name, sign, ...rest] = item.split(':').map((s) => s.trim());
    if (sign === undefined || rest.length > 0 || name === '') {
      throw new UsageError(`--control-signs expects name:sign items, got '${item}'`);
    }
    if (sign !== 'positive' && sign !== 'negative' && sign !== 'default') {
      throw new UsageError(
        `--control-signs: sign of '${name}' must be positive, negative or default, got '${sign}'`,
      );
    }
    if (!controls.includes(name)) {
      throw new UsageError(`--control-signs: '${name}' is not a --controls column`);
    }
    if (controlSigns.has(name)) throw new UsageError(`--control-signs: '${name}' given twice`);
    controlSigns.set(name, sign);
  }
  const outputs = new Map<string, string>();
  for (const flag of ['out', 'candidates', 'data']) {
    const file = flags.get(flag);
    if (file === undefined) continue;
    const other = outputs.get(file);
    if (other) throw new UsageError(`--${flag} and --${other} name the same file ${file}`);
    outputs.set(file, flag);
  }
  return {
    data: flags.get('data') as string,
    date,
    kpi,
    kpiType,
    spend,
    controls,
    controlSigns,
    organic,
    adstock,
    iterations: integer(flags, 'iterations', 2000, 10, 1_000_000),
    trials: integer(flags, 'trials', 5, 1, 1000),
    seed: integer(flags, 'seed', 1, 0, 2 ** 31 - 1),
    holdout: integer(flags, 'holdout', 0, 0),
    workers: flags.has('workers') ? integer(flags, 'workers', 0, 0, 1024) : undefined,
    bootstrap: integer(flags, 'bootstrap', 0, 0, 10_000),
    draws: integer(flags, 'draws', 200, 0, 10_000),
    select,
    lift: flags.get('lift'),
    events: flags.get('events'),
    fourierOrder: flags.has('fourier-order')
      ? integer(flags, 'fourier-order', 2, 0, 20)
      : undefined,
    weeklyOrder: flags.has('weekly-order') ? integer(flags, 'weekly-order', 3, 0, 3) : undefined,
    candidates: flags.get('candidates'),
    out: flags.get('out'),
    json: flags.has('json'),
  };
}
