/**
 * `mmm fit`: read the table, fit the model (search, refit, outputs), write the serialized
 * model, print a summary (text or JSON).
 */
import * as fs from 'node:fs';
import {
  fitMediaMix,
  parseIsoDate,
  parseIsoDay,
  serializeModel,
  type EventDate,
  type FitMediaMixResult,
  type LiftTest,
} from '@mmm/core';
import { parseFitArgs, type FitArgs } from './args';
import { columnIndex, dateColumn, numericColumn, parseCsv } from './csv';
import { UsageError } from './errors';
import { readText } from './flags';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The variables the command reads (MMM_TOKEN); none when absent. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface SummaryInterval {
  lower: number;
  upper: number;
  level: number;
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
    /** Contribution / spend; only with a revenue KPI. */
    roas?: number | null;
    /** Spend / contribution; only with a conversions KPI. */
    cpa?: number | null;
    marginalRoas: number | null;
    carryoverShare: number;
    /**
     * Central intervals over the model's draws (see `intervals`; null without draws or where
     * a figure is not finite); ROAS or CPA by the KPI type.
     */
    contributionInterval: SummaryInterval | null;
    roasInterval?: SummaryInterval | null;
    cpaInterval?: SummaryInterval | null;
    marginalRoasInterval: SummaryInterval | null;
    effectShareInterval: SummaryInterval | null;
  }[];
  /**
   * Where the intervals come from: the model's draws (method 'posterior-bootstrap', or
   * 'bootstrap' when the choice sampled no posterior), else --bootstrap refits at the chosen
   * hyperparameters ('conditional-bootstrap', contribution and ROAS/CPA only); null: none.
   */
  intervals: { method: string; draws: number; level: number } | null;
  out: string | null;
}

function readTable(args: FitArgs) {
  const text = readText(args.data, '--data');
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
    sign: args.controlSigns.get(name),
  }));
  return { dates, periodDays, kpi, paid, organic, controls };
}

/** A channel without activity in the training rows cannot be estimated (it would fit at 0). */
function checkActivity(args: FitArgs, table: ReturnType<typeof readTable>): void {
  const trainEnd = table.kpi.length - args.holdout;
  for (const [flag, channels] of [
    ['--spend', table.paid],
    ['--organic', table.organic],
  ] as const) {
    for (const c of channels) {
      if (c.values.subarray(0, trainEnd).some((v) => v !== 0)) continue;
      const where =
        args.holdout > 0
          ? `every training row (the first ${trainEnd}; only the --holdout ${args.holdout} has activity)`
          : 'every row';
      if (args.holdout > 0 && c.values.every((v) => v === 0)) {
        throw new UsageError(`${args.data}: ${flag} column '${c.name}' is zero in every row`);
      }
      throw new UsageError(`${args.data}: ${flag} column '${c.name}' is zero in ${where}`);
    }
  }
}

/**
 * Events from a CSV (date,event): each event name becomes a dummy column of the design. An
 * event name must be new among the columns and fall at least once in the training rows
 * (a dummy that is 0 there cannot be estimated); dates outside the data are ignored, so a
 * holiday calendar of many years can be given as is.
 */
function readEvents(file: string, args: FitArgs, dates: string[]): EventDate[] {
  const table = parseCsv(readText(file, '--events'), file);
  const dateAt = columnIndex(table, 'date', '--events', file);
  const eventAt = columnIndex(table, 'event', '--events', file);
  const taken = new Set([args.date, args.kpi, ...args.spend, ...args.organic, ...args.controls]);
  const step = dates.length > 1 ? parseIsoDate(dates[1]) - parseIsoDate(dates[0]) : 7 * 86_400_000;
  const trainEnd = parseIsoDate(dates[dates.length - args.holdout - 1]) + step;
  const first = parseIsoDate(dates[0]);
  const inTraining = new Set<string>();
  const events = table.rows.map((row, r) => {
    const line = table.lines[r];
    const date = row[dateAt].trim();
    const name = row[eventAt].trim();
    const day = parseIsoDay(date);
    const ms = day === null ? NaN : day * 86_400_000;
    if (day === null) {
      throw new UsageError(`${file}: line ${line}: '${date}' is not a date (YYYY-MM-DD)`);
    }
    if (name === '') throw new UsageError(`${file}: line ${line}: the event name is empty`);
    if (taken.has(name) || /^(trend|season_(sin|cos)\d+|weekday_(sin|cos)\d+)$/.test(name)) {
      throw new UsageError(`${file}: line ${line}: event '${name}' clashes with a column name`);
    }
    if (ms >= first && ms < trainEnd) inTraining.add(name);
    return { date, name };
  });
  for (const { name } of events) {
    if (!inTraining.has(name)) {
      throw new UsageError(
        `${file}: event '${name}' has no date in the training periods (${dates[0]} .. ${dates[dates.length - args.holdout - 1]})`,
      );
    }
  }
  return events;
}

/**
 * Every searched candidate, one row each: trial and iteration (1-based, Robyn's numbering),
 * index in the search, hyperparameters by layout name, objectives, and whether it is on the
 * Pareto front over all trials.
 */
function candidatesCsv(search: FitMediaMixResult['search']): string {
  const { layout, objectiveNames, parameters, objectives, trial, count, paretoFront } = search;
  const front = new Set(paretoFront);
  const objectiveCount = objectiveNames.length;
  const lines = [['trial', 'iteration', 'index', ...layout.names, ...objectiveNames, 'front']];
  const seenInTrial = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const iteration = (seenInTrial.get(trial[i]) ?? 0) + 1;
    seenInTrial.set(trial[i], iteration);
    lines.push([
      String(trial[i] + 1),
      String(iteration),
      String(i),
      ...Array.from(parameters.subarray(i * layout.size, (i + 1) * layout.size), String),
      ...Array.from(objectives.subarray(i * objectiveCount, (i + 1) * objectiveCount), String),
      front.has(i) ? '1' : '0',
    ]);
  }
  return lines.map((l) => l.join(',')).join('\n') + '\n';
}

/**
 * Lift tests from a CSV (channel,start,end,lift), mapped to period indices: a test covers
 * the periods whose date lies in [start, end].
 */
function readLiftTests(file: string, args: FitArgs, dates: string[]): LiftTest[] {
  const table = parseCsv(readText(file, '--lift'), file);
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
      if (parseIsoDay(d) === null) {
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
  checkActivity(args, table);
  if (args.weeklyOrder !== undefined && table.periodDays !== 1) {
    throw new UsageError('--weekly-order applies to daily data only; the data is weekly');
  }
  const liftTests = args.lift ? readLiftTests(args.lift, args, table.dates) : undefined;
  const events = args.events ? readEvents(args.events, args, table.dates) : undefined;
  const result = await fitMediaMix(
    {
      dates: table.dates,
      kpi: table.kpi,
      controls: table.controls,
      paid: table.paid,
      organic: table.organic,
      events,
      fourierOrder: args.fourierOrder,
      weeklyOrder: args.weeklyOrder,
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
      draws: args.draws,
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
  if (args.candidates) {
    try {
      fs.writeFileSync(args.candidates, candidatesCsv(result.search));
    } catch (error) {
      throw new UsageError(
        `cannot write --candidates ${args.candidates}: ${(error as Error).message}`,
      );
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
  const combined = result.model.uncertainty?.combined;
  const level = result.model.uncertainty?.level ?? 0.9;
  const drawn = new Map(combined?.channels.map((c) => [c.name, c]) ?? []);
  const conditional = new Map(result.intervals?.channels.map((c) => [c.name, c]) ?? []);
  const intervals = combined
    ? { method: combined.method, draws: combined.draws, level }
    : result.intervals
      ? { method: 'conditional-bootstrap', draws: result.intervals.samples, level }
      : null;
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
    intervals,
    channels: result.channels.map((c) => {
      const interval = combined ? drawn.get(c.name) : conditional.get(c.name);
      const pair = (
        i: { lower: number; upper: number } | null | undefined,
      ): SummaryInterval | null => (i ? { lower: i.lower, upper: i.upper, level } : null);
      // Only the efficiency measure of the KPI type: ROAS for revenue, CPA for conversions.
      const efficiency =
        args.kpiType === 'conversions'
          ? { cpa: c.cpa, cpaInterval: pair(interval?.cpa) }
          : { roas: c.roas, roasInterval: pair(interval?.roas) };
      return {
        name: c.name,
        kind: c.kind,
        spend: c.spend,
        spendShare: c.spendShare,
        effectShare: c.effectShare,
        contribution: c.contribution,
        marginalRoas: c.marginalRoas,
        carryoverShare: c.carryoverShare,
        contributionInterval: pair(interval?.contribution),
        ...efficiency,
        marginalRoasInterval: pair(drawn.get(c.name)?.marginalRoas),
        effectShareInterval: pair(drawn.get(c.name)?.effectShare),
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
  const header = [
    'channel',
    'spend',
    'spend %',
    'effect %',
    'contribution',
    efficiency,
    'marginal',
    'carryover',
  ];
  const rows = s.channels.map((c) => {
    const range = s.kpiType === 'conversions' ? c.cpaInterval : c.roasInterval;
    const ci = c.contributionInterval;
    return [
      c.kind === 'organic' ? `${c.name} (organic)` : c.name,
      c.kind === 'organic' ? '-' : money(c.spend),
      c.kind === 'organic' ? '-' : pct(c.spendShare),
      c.kind === 'organic' ? '-' : pct(c.effectShare),
      money(c.contribution) + (ci ? ` [${money(ci.lower)}, ${money(ci.upper)}]` : ''),
      (s.kpiType === 'conversions' ? num(c.cpa ?? null, 2) : num(c.roas ?? null, 3)) +
        (range ? ` [${range.lower.toFixed(2)}, ${range.upper.toFixed(2)}]` : ''),
      num(c.marginalRoas, 3),
      pct(c.carryoverShare),
    ];
  });
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const fmt = (r: string[]) =>
    r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  ');
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  if (s.intervals) {
    lines.push(
      `intervals: ${Math.round(100 * s.intervals.level)}% over ${s.intervals.draws} model draws (${s.intervals.method})`,
    );
  }
  if (s.out) lines.push(`model written to ${s.out}`);
  return lines.join('\n');
}
