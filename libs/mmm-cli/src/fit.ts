/**
 * `mmm fit`: read the table, fit the model (search, refit, outputs), write the serialized
 * model, print a summary (text or JSON).
 */
import * as fs from 'node:fs';
import { fitMediaMix, serializeModel, type FitMediaMixResult, type LiftTest } from '@mmm/core';
import { parseFitArgs, type FitArgs } from './args';
import { columnIndex, dateColumn, numericColumn, parseCsv } from './csv';
import { UsageError } from './errors';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface FitSummary {
  data: string;
  periods: number;
  firstDate: string;
  lastDate: string;
  frequency: 'weekly' | 'daily';
  kpi: string;
  kpiType: 'revenue' | 'conversions';
  holdout: number;
  search: {
    algorithm: string;
    iterations: number;
    trials: number;
    seed: number;
    candidates: number;
    workers: number;
    seconds: number;
    paretoFront: number;
    selection: string;
    /** The chosen candidate's objectives (nrmse, decompRssd, and mapeLift with --lift). */
    objectives: Record<string, number>;
  };
  metrics: {
    rsq: number;
    adjustedRsq: number;
    nrmse: number;
    mape: number;
    decompRssd: number;
  };
  holdoutMetrics: { periods: number; rsq: number; nrmse: number; mape: number } | null;
  channels: {
    name: string;
    kind: 'paid' | 'organic';
    spend: number;
    spendShare: number;
    effectShare: number;
    contribution: number;
    roas: number | null;
    cpa: number | null;
    marginalRoas: number | null;
    carryoverShare: number;
    roasInterval: [number, number] | null;
  }[];
  out: string | null;
}

function readTable(args: FitArgs) {
  let text: string;
  try {
    text = fs.readFileSync(args.data, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code;
    throw new UsageError(`cannot read --data ${args.data}: ${why ?? (error as Error).message}`);
  }
  const file = args.data;
  const table = parseCsv(text, file);
  const { dates, periodDays } = dateColumn(table, args.date, file);
  const kpi = numericColumn(table, args.kpi, '--kpi', file);
  const paid = args.spend.map((name) => ({
    name,
    values: numericColumn(table, name, '--spend', file, { nonNegative: true }),
  }));
  const organic = args.organic.map((name) => ({
    name,
    values: numericColumn(table, name, '--organic', file, { nonNegative: true }),
  }));
  const controls = args.controls.map((name) => ({
    name,
    values: numericColumn(table, name, '--controls', file),
  }));
  for (const c of paid) {
    if (c.values.every((v) => v === 0)) {
      throw new UsageError(`${file}: --spend column '${c.name}' is zero in every row`);
    }
  }
  return { dates, periodDays, kpi, paid, organic, controls };
}

/**
 * Lift tests from a CSV (channel,start,end,lift), mapped to period indices: a test covers
 * the periods whose date lies in [start, end].
 */
function readLiftTests(file: string, args: FitArgs, dates: string[]): LiftTest[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read --lift ${file}: ${code === 'ENOENT' ? 'no such file' : code}`,
    );
  }
  const table = parseCsv(text, file);
  for (const column of ['channel', 'start', 'end', 'lift']) {
    columnIndex(table, column, '--lift', file);
  }
  const lift = numericColumn(table, 'lift', '--lift', file);
  const at = (name: string) => table.header.indexOf(name);
  const channels = new Set([...args.spend, ...args.organic]);
  return table.rows.map((row, r) => {
    const line = table.lines[r];
    const channel = row[at('channel')].trim();
    if (!channels.has(channel)) {
      throw new UsageError(
        `${file}: line ${line}: channel '${channel}' is not a --spend or --organic column`,
      );
    }
    const start = row[at('start')].trim();
    const end = row[at('end')].trim();
    for (const d of [start, end]) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) {
        throw new UsageError(`${file}: line ${line}: '${d}' is not a date (YYYY-MM-DD)`);
      }
    }
    // ISO dates compare as strings.
    const first = dates.findIndex((d) => d >= start);
    let last = -1;
    for (let t = dates.length - 1; t >= 0; t--) {
      if (dates[t] <= end) {
        last = t;
        break;
      }
    }
    if (first < 0 || last < first) {
      throw new UsageError(
        `${file}: line ${line}: no period of the data lies in ${start} .. ${end}`,
      );
    }
    if (lift[r] === 0) throw new UsageError(`${file}: line ${line}: lift must not be 0`);
    if (last >= dates.length - args.holdout) {
      throw new UsageError(
        `${file}: line ${line}: ${start} .. ${end} reaches into the --holdout periods`,
      );
    }
    return { channel, start: first, end: last, lift: lift[r] };
  });
}

export async function fitCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseFitArgs(argv);
  const table = readTable(args);
  const rows = table.kpi.length;
  if (args.holdout >= rows) {
    throw new UsageError(`--holdout ${args.holdout} must be smaller than the ${rows} periods`);
  }
  const liftTests = args.lift ? readLiftTests(args.lift, args, table.dates) : undefined;
  const result = await fitMediaMix(
    {
      dates: table.dates,
      kpi: table.kpi,
      controls: table.controls,
      paid: table.paid,
      organic: table.organic,
    },
    {
      adstock: args.adstock,
      iterations: args.iterations,
      trials: args.trials,
      seed: args.seed,
      workers: args.workers,
      holdout: args.holdout,
      kpiName: args.kpi,
      kpiType: args.kpiType,
      bootstrapSamples: args.bootstrap,
      selection: args.select,
      liftTests,
    },
  );
  if (args.out) {
    try {
      fs.writeFileSync(args.out, serializeModel(result.model) + '\n');
    } catch (error) {
      throw new UsageError(`cannot write --out ${args.out}: ${(error as Error).message}`);
    }
  }
  const summary = summarize(args, table.dates, table.periodDays, result);
  io.stdout(args.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return 0;
}

function summarize(
  args: FitArgs,
  dates: string[],
  periodDays: number,
  result: FitMediaMixResult,
): FitSummary {
  const intervals = new Map(result.intervals?.channels.map((c) => [c.name, c]) ?? []);
  return {
    data: args.data,
    periods: dates.length,
    firstDate: dates[0],
    lastDate: dates[dates.length - 1],
    frequency: periodDays === 1 ? 'daily' : 'weekly',
    kpi: args.kpi,
    kpiType: args.kpiType,
    holdout: args.holdout,
    search: {
      algorithm: 'NSGA-II',
      iterations: result.search.settings.iterations,
      trials: result.search.settings.trials,
      seed: result.search.settings.seed,
      candidates: result.search.count,
      workers: result.search.settings.workers,
      seconds: result.search.timing.seconds,
      paretoFront: result.search.paretoFront.length,
      selection: typeof result.search.selection === 'string' ? result.search.selection : 'knee',
      objectives: Object.fromEntries(
        // The chosen model's own objectives: under 'posterior' it is the refit at the
        // posterior mean, not one of the searched candidates.
        result.search.objectiveNames.map((name, k) => [name, result.search.chosenObjectives[k]]),
      ),
    },
    metrics: result.train,
    holdoutMetrics: result.holdout,
    channels: result.channels.map((c) => {
      const interval = intervals.get(c.name);
      const range = args.kpiType === 'conversions' ? interval?.cpa : interval?.roas;
      return {
        name: c.name,
        kind: c.kind,
        spend: c.spend,
        spendShare: c.spendShare,
        effectShare: c.effectShare,
        contribution: c.contribution,
        roas: c.roas,
        cpa: c.cpa,
        marginalRoas: c.marginalRoas,
        carryoverShare: c.carryoverShare,
        roasInterval: range ? [range.lower, range.upper] : null,
      };
    }),
    out: args.out ?? null,
  };
}

const num = (v: number | null, digits: number): string =>
  v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const money = (v: number): string => Math.round(v).toLocaleString('en-US');

export function formatSummary(s: FitSummary): string {
  const lines: string[] = [];
  lines.push(
    `data: ${s.data}, ${s.periods} ${s.frequency} periods (${s.firstDate} .. ${s.lastDate}), KPI ${s.kpi} (${s.kpiType})` +
      (s.holdout > 0 ? `, last ${s.holdout} held out` : ''),
  );
  lines.push(
    `search: ${s.search.algorithm} ${s.search.iterations} x ${s.search.trials} = ${s.search.candidates} candidates in ${s.search.seconds.toFixed(2)} s on ${s.search.workers || 1} thread(s), seed ${s.search.seed}; Pareto front ${s.search.paretoFront}, chosen by ${s.search.selection}`,
  );
  if (s.search.objectives.mapeLift !== undefined) {
    lines.push(`calibration: MAPE.LIFT ${pct(s.search.objectives.mapeLift)} over the lift tests`);
  }
  const m = s.metrics;
  lines.push(
    `fit: R2 ${m.rsq.toFixed(3)}, adjusted R2 ${m.adjustedRsq.toFixed(3)}, NRMSE ${m.nrmse.toFixed(4)}, MAPE ${pct(m.mape)}, DECOMP.RSSD ${m.decompRssd.toFixed(4)}`,
  );
  if (s.holdoutMetrics) {
    const h = s.holdoutMetrics;
    lines.push(
      `holdout (${h.periods} periods): R2 ${h.rsq.toFixed(3)}, NRMSE ${h.nrmse.toFixed(4)}, MAPE ${pct(h.mape)}`,
    );
  }
  const efficiency = s.kpiType === 'conversions' ? 'CPA' : 'ROAS';
  const header = ['channel', 'spend', 'spend %', 'effect %', efficiency, 'marginal', 'carryover'];
  const rows = s.channels.map((c) => [
    c.kind === 'organic' ? `${c.name} (organic)` : c.name,
    c.kind === 'organic' ? '-' : money(c.spend),
    c.kind === 'organic' ? '-' : pct(c.spendShare),
    c.kind === 'organic' ? '-' : pct(c.effectShare),
    (s.kpiType === 'conversions' ? num(c.cpa, 2) : num(c.roas, 3)) +
      (c.roasInterval ? ` [${c.roasInterval[0].toFixed(2)}, ${c.roasInterval[1].toFixed(2)}]` : ''),
    num(c.marginalRoas, 3),
    pct(c.carryoverShare),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const fmt = (r: string[]) =>
    r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  ');
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  if (s.out) lines.push(`model written to ${s.out}`);
  return lines.join('\n');
}
