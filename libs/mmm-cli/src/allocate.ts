/**
 * `mmm allocate`: read a saved model (mmm fit --out) and optional rules, find the best split of
 * the budget (allocateBudget of @mmm/core), optionally the efficient frontier, print a table
 * or JSON, and write the JSON with --out. Flags are parsed and checked once into
 * AllocateArgs; every problem is a UsageError of one line naming the flag, file or rule.
 */
import * as fs from 'node:fs';
import {
  allocateBudget,
  AllocationScenarioError,
  efficientFrontier,
  InfeasibleAllocationError,
  ModelFormatError,
  modelDraws,
  parseModel,
  type AllocationObjective,
  type AllocationResult,
  type AllocationScenario,
  type CarryoverMode,
  type FrontierPoint,
  type MediaMixModel,
} from '@mmm/core';
import { UsageError } from './errors';
import { parseFlags, readText } from './flags';
import type { Io } from './fit';

export const ALLOCATE_USAGE = `usage: mmm allocate --model model.json --periods N [--budget B]
  [--objective response|roi|target-roas|target-cpa] [--target T] [--target-on total|marginal]
  [--bounds rules.json] [--carryover horizon|steady-state|historical-mean]
  [--budget-mode equal|ceiling] [--frontier lo:hi:steps] [--grid-steps S] [--json]
  [--out allocation.json]
  --budget: total over the N periods (default: current spend x N); a ceiling for roi and the
  targets. Spend in the output is per period.
  --target: the least ROAS (target-roas) or the most CPA (target-cpa); --target-on marginal
  applies it to the return of the last unit of spend instead of the total.
  --bounds: JSON with channels ({"tv": {"minMultiple": 0.5, "maxMultiple": 2}, "search": {"max":
  9000}, "print": {"locked": true}}), defaultChannelRule, groups ([{"name": "digital",
  "channels": [...], "minShare": 0.4, "maxShare": 0.6}]) and shareOfVoice ([{"channels":
  ["tv"], "competitorSpend": 50000, "minShare": 0.25}]).
  --frontier: also the best response at \`steps\` budgets from lo to hi (totals over N periods).`;

export interface AllocateArgs {
  model: string;
  periods: number;
  /** Total over the periods; undefined = the current spend over them. */
  budget: number | undefined;
  objective: AllocationObjective;
  target: number | undefined;
  targetOn: 'total' | 'marginal';
  bounds: string | undefined;
  carryover: CarryoverMode;
  budgetMode: 'equal' | 'ceiling';
  frontier: { lo: number; hi: number; steps: number } | undefined;
  gridSteps: number | undefined;
  json: boolean;
  out: string | undefined;
}

const VALUE_FLAGS = new Set([
  'model',
  'periods',
  'budget',
  'objective',
  'target',
  'target-on',
  'bounds',
  'carryover',
  'budget-mode',
  'frontier',
  'grid-steps',
  'out',
]);
const BOOLEAN_FLAGS = new Set(['json', 'help']);

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function amount(raw: string, flag: string): number {
  const v = NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || v < 0) {
    throw new UsageError(`${flag} must be a finite number >= 0, got '${raw}'`);
  }
  return v;
}

function integer(raw: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be an integer, got '${raw}'`);
  const v = Number(raw);
  if (v < min || v > max)
    throw new UsageError(`${flag} must be between ${min} and ${max}, got ${v}`);
  return v;
}

function choice<T extends string>(
  raw: string | undefined,
  flag: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`${flag} must be ${allowed.join(', ')}; got '${raw}'`);
  }
  return raw as T;
}

export function parseAllocateArgs(argv: readonly string[]): AllocateArgs {
  const flags = parseFlags(argv, { values: VALUE_FLAGS, booleans: BOOLEAN_FLAGS });
  for (const required of ['model', 'periods']) {
    if (!flags.has(required)) throw new UsageError(`--${required} is required`);
  }
  const objective = choice(
    flags.get('objective'),
    '--objective',
    ['response', 'roi', 'target-roas', 'target-cpa'] as const,
    'response',
  );
  const target = flags.has('target') ? amount(flags.get('target')!, '--target') : undefined;
  const isTarget = objective === 'target-roas' || objective === 'target-cpa';
  if (isTarget && target === undefined)
    throw new UsageError(`--objective ${objective} needs --target`);
  if (!isTarget && target !== undefined) {
    throw new UsageError('--target applies to --objective target-roas or target-cpa only');
  }
  if (isTarget && !(target! > 0)) throw new UsageError(`--target must be > 0, got ${target}`);
  if (!isTarget && flags.has('target-on')) {
    throw new UsageError('--target-on applies to --objective target-roas or target-cpa only');
  }
  let frontier: AllocateArgs['frontier'];
  const rawFrontier = flags.get('frontier');
  if (rawFrontier !== undefined) {
    const parts = rawFrontier.split(':');
    if (parts.length !== 3) {
      throw new UsageError(
        `--frontier expects lo:hi:steps (e.g. 1e6:3e6:50), got '${rawFrontier}'`,
      );
    }
    const lo = amount(parts[0], '--frontier lo');
    const hi = amount(parts[1], '--frontier hi');
    const steps = integer(parts[2], '--frontier steps', 2, 10_000);
    if (hi <= lo) throw new UsageError(`--frontier hi must be above lo, got ${lo}:${hi}`);
    frontier = { lo, hi, steps };
  }
  const out = flags.get('out');
  if (out !== undefined && (out === flags.get('model') || out === flags.get('bounds'))) {
    throw new UsageError(`--out ${out} would overwrite an input file`);
  }
  return {
    model: flags.get('model')!,
    periods: integer(flags.get('periods')!, '--periods', 1, 100_000),
    budget: flags.has('budget') ? amount(flags.get('budget')!, '--budget') : undefined,
    objective,
    target,
    targetOn: choice(
      flags.get('target-on'),
      '--target-on',
      ['total', 'marginal'] as const,
      'total',
    ),
    bounds: flags.get('bounds'),
    carryover: choice(
      flags.get('carryover'),
      '--carryover',
      ['horizon', 'steady-state', 'historical-mean'] as const,
      'horizon',
    ),
    budgetMode: choice(
      flags.get('budget-mode'),
      '--budget-mode',
      ['equal', 'ceiling'] as const,
      'equal',
    ),
    frontier,
    gridSteps: flags.has('grid-steps')
      ? integer(flags.get('grid-steps')!, '--grid-steps', 20, 1_000_000)
      : undefined,
    json: flags.has('json'),
    out,
  };
}

const RULE_KEYS = ['channels', 'defaultChannelRule', 'groups', 'shareOfVoice'] as const;

/** The rules file: the scenario's rule fields, nothing else (a typo fails loudly). */
function readRules(file: string): Pick<AllocationScenario, (typeof RULE_KEYS)[number]> {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file, '--bounds'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--bounds ${file}: not JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`--bounds ${file}: expected a JSON object`);
  }
  for (const key of Object.keys(raw)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(
        `--bounds ${file}: unknown key '${key}' (keys: ${RULE_KEYS.join(', ')})`,
      );
    }
  }
  return raw as Pick<AllocationScenario, (typeof RULE_KEYS)[number]>;
}

function readModel(file: string): MediaMixModel {
  try {
    return parseModel(readText(file, '--model'));
  } catch (error) {
    if (error instanceof ModelFormatError)
      throw new UsageError(`--model ${file}: ${error.message}`);
    throw error;
  }
}

export type AllocationSummary = Omit<AllocationResult, 'channels'> & {
  model: string;
  channels: (Omit<AllocationResult['channels'][number], 'roas' | 'cpa'> & {
    roas?: number | null;
    cpa?: number | null;
  })[];
  lift: { absolute: number; relative: number | null };
  frontier: FrontierPoint[] | null;
};

export async function allocateCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseAllocateArgs(argv);
  const model = readModel(args.model);
  const rules = args.bounds ? readRules(args.bounds) : {};
  const scenario: AllocationScenario = {
    ...rules,
    periods: args.periods,
    budget: args.budget,
    objective: args.objective,
    target: args.target,
    targetOn: args.targetOn,
    budgetMode: args.budgetMode,
    carryover: args.carryover,
  };
  // The model's draws (schema 4) give the response and lift their intervals.
  const options = {
    gridSteps: args.gridSteps,
    draws: modelDraws(model),
    intervalLevel: model.uncertainty?.level ?? 0.9,
  };
  let result: AllocationResult;
  let frontier: FrontierPoint[] | null = null;
  try {
    result = allocateBudget(model, scenario, options);
    if (args.frontier) {
      const { lo, hi, steps } = args.frontier;
      const budgets = Array.from({ length: steps }, (_, i) => lo + ((hi - lo) * i) / (steps - 1));
      frontier = efficientFrontier(model, scenario, budgets, options);
    }
  } catch (error) {
    if (error instanceof AllocationScenarioError) {
      const where =
        args.bounds && /^(channels|defaultChannelRule|groups|shareOfVoice)/.test(error.field)
          ? `--bounds ${args.bounds}: `
          : '';
      throw new UsageError(`${where}${error.message}`);
    }
    if (error instanceof InfeasibleAllocationError) throw new UsageError(error.message);
    throw error;
  }
  const summary = summarize(args, result, frontier);
  if (args.out) {
    try {
      fs.writeFileSync(args.out, JSON.stringify(summary, null, 2) + '\n');
    } catch (error) {
      throw new UsageError(`cannot write --out ${args.out}: ${(error as Error).message}`);
    }
  }
  io.stdout(args.json ? JSON.stringify(summary, null, 2) : formatAllocation(summary));
  return 0;
}

function summarize(
  args: AllocateArgs,
  result: AllocationResult,
  frontier: FrontierPoint[] | null,
): AllocationSummary {
  const conversions = result.kpi.type === 'conversions';
  const lift = result.response.lift.estimate;
  const before = result.response.current.estimate;
  return {
    model: args.model,
    ...result,
    // Only the efficiency measure of the KPI type, as in `mmm fit`.
    channels: result.channels.map(({ roas, cpa, ...c }) =>
      conversions ? { ...c, cpa } : { ...c, roas },
    ),
    lift: { absolute: lift, relative: before !== 0 ? lift / before : null },
    frontier,
  };
}

const money = (v: number | null): string =>
  v === null || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US');
const pct = (v: number | null): string =>
  v === null || !Number.isFinite(v) ? '-' : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`;
const ratio = (v: number | null, digits = 3): string =>
  v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits);

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const fmt = (r: string[]) =>
    r
      .map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j])))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

export function formatAllocation(s: AllocationSummary): string {
  const lines: string[] = [];
  const kpi = s.kpi.name;
  const conversions = s.kpi.type === 'conversions';
  const perPeriod = s.spend.recommended / s.periods;
  const objective =
    s.objective === 'response'
      ? `the most ${kpi} for the budget`
      : s.objective === 'roi'
        ? `the best ${conversions ? 'conversions per unit of spend' : 'ROAS'} within the budget`
        : `the most spend with ${s.targetOn === 'marginal' ? 'marginal ' : ''}${s.objective === 'target-cpa' ? `CPA <= ${s.target}` : `ROAS >= ${s.target}`}`;
  lines.push(
    `model: ${s.model} (KPI ${kpi}, ${s.kpi.type}); horizon ${s.periods} periods, carryover: ${s.carryover}`,
  );
  lines.push(
    `objective: ${objective}; budget ${money(s.budget)} over ${s.periods} periods, spent ${money(s.spend.recommended)} (${money(perPeriod)} per period)`,
  );
  const method =
    s.method === 'kkt'
      ? 'exact (KKT: equal marginal returns)'
      : `global on a budget grid (step ${money(s.gridStep)} per period), refined exactly`;
  const kkt =
    s.kkt.scope === 'none'
      ? ''
      : `, largest KKT violation ${s.kkt.maxViolation.toExponential(1)}${s.kkt.scope === 'pieces' ? ' on the chosen concave pieces' : ''}`;
  lines.push(`method: ${method}; status ${s.status}${kkt}`);
  lines.push('');
  const efficiency = conversions ? 'CPA' : 'ROAS';
  const rows = s.channels.map((c) => [
    c.channel,
    money(c.current),
    money(c.recommended),
    pct(c.change),
    money(c.response.current),
    money(c.response.recommended),
    conversions ? ratio(c.cpa ?? null, 2) : ratio(c.roas ?? null),
    ratio(c.marginalRoas),
    (c.bound ?? '') + (c.beyondHistory ? (c.bound ? ', ' : '') + 'beyond history' : ''),
  ]);
  rows.push([
    'total',
    money(s.spend.current / s.periods),
    money(s.spend.recommended / s.periods),
    pct(s.spend.current > 0 ? s.spend.recommended / s.spend.current - 1 : null),
    money(s.response.current.estimate),
    money(s.response.recommended.estimate),
    conversions
      ? ratio(s.roas.recommended ? 1 / s.roas.recommended : null, 2)
      : ratio(s.roas.recommended),
    ratio(s.marginalRoas),
    '',
  ]);
  lines.push(
    ...table(
      [
        'channel',
        'current',
        'recommended',
        'change',
        `${kpi} now`,
        `${kpi} then`,
        efficiency,
        'marginal',
        'bound',
      ],
      rows,
    ),
  );
  lines.push('(spend per period; the KPI columns are incremental totals over the horizon)');
  lines.push('');
  const interval = (i: { lower: number | null; upper: number | null }) =>
    i.lower === null || i.upper === null ? '' : ` [${money(i.lower)}, ${money(i.upper)}]`;
  lines.push(
    `incremental ${kpi} over the horizon: ${money(s.response.current.estimate)} -> ${money(s.response.recommended.estimate)}${interval(s.response.recommended)}, lift ${money(s.lift.absolute)}${interval(s.response.lift)} (${pct(s.lift.relative)})`,
  );
  lines.push(
    `expected ${kpi} over the horizon (forecast): ${money(s.expectedKpi.current.estimate)} -> ${money(s.expectedKpi.recommended.estimate)}${interval(s.expectedKpi.recommended)}`,
  );
  if (s.binding.length > 0) {
    lines.push('', 'binding rules (gain per extra unit of spend if loosened):');
    lines.push(
      ...table(
        ['rule', 'channels', 'at', 'gain'],
        s.binding.map((b) => [
          b.rule,
          b.kind === 'budget' ? 'all' : b.channels.join(', '),
          money(b.spend),
          ratio(b.shadowPrice),
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  for (const note of s.notes) lines.push(`note: ${note}`);
  if (s.frontier) {
    lines.push('', 'efficient frontier (budget over the horizon):');
    lines.push(
      ...table(
        ['budget', kpi, efficiency, 'marginal'],
        s.frontier.map((p) => [
          money(p.budget),
          money(p.response),
          conversions ? ratio(p.roas ? 1 / p.roas : null, 2) : ratio(p.roas),
          ratio(p.marginalRoas),
        ]),
      ),
    );
  }
  return lines.join('\n');
}
