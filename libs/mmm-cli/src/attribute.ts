/**
 * `mmm attribute`: stream a journey file through the core's journey parser, run the chosen
 * attribution methods, print the channel x method table (text or JSON) and write it with --out.
 */
import * as fs from 'node:fs';
import {
  AttributionOptionError,
  attributeJourneys,
  buildComparisonTable,
  createJourneyParser,
  journeyTimeSpan,
  type AttributionMethod,
  type AttributionOptions,
  type AttributionRun,
  type JourneyField,
  type JourneyTable,
} from '@mmm/core';
import { UsageError } from './errors';
import { parseFlags } from './flags';
import type { Io } from './fit';

/** The command's method names, in the table's order, and the core's name of each. */
const METHOD_NAMES: Record<string, AttributionMethod> = {
  last: 'last_touch',
  first: 'first_touch',
  linear: 'linear',
  time_decay: 'time_decay',
  position: 'position_based',
  markov: 'markov',
  shapley: 'shapley',
};
const SHORT_NAME = Object.fromEntries(
  Object.entries(METHOD_NAMES).map(([short, method]) => [method, short]),
) as Record<AttributionMethod, string>;

/** Canonical column names (as in the file's header) -> the parser's fields. */
const COLUMN_FIELDS: Record<string, JourneyField> = {
  journey_id: 'journeyId',
  timestamp: 'timestamp',
  channel: 'channel',
  converted: 'converted',
  conversion_value: 'conversionValue',
  cost: 'cost',
};

/** Which flag sets each core option, for errors that name the flag. */
const OPTION_FLAGS: Partial<Record<keyof AttributionOptions | 'methods', string>> = {
  windowDays: '--window',
  halfLifeDays: '--half-life',
  firstWeight: '--position-weights',
  lastWeight: '--position-weights',
  markovOrder: '--markov-order',
  nonConverting: '--non-converting',
  shapleyWorth: '--shapley-worth',
  shapleySamples: '--shapley-samples',
  seed: '--seed',
  methods: '--methods',
};

export const ATTRIBUTE_USAGE = `usage: mmm attribute --journeys file.csv
  [--methods last,first,linear,time_decay,position,markov,shapley] [--half-life D] [--window D]
  [--non-converting include|exclude] [--position-weights F,L] [--markov-order K]
  [--shapley-worth conversion_rate|conversions] [--shapley-samples N] [--seed S]
  [--format csv|json] [--columns journey_id=user,timestamp=ts,...] [--json] [--out table.json]
  --journeys: one row per touchpoint: journey_id,timestamp,channel,converted,conversion_value
  (optional cost); ISO 8601 timestamps; rows in any order. --columns maps other header names.
  --methods: default all seven. --half-life: time-decay half-life in days (default 7).
  --window: lookback window in days before each journey's last touchpoint (default none).`;

interface AttributeArgs {
  journeys: string;
  format: 'csv' | 'json';
  columns: Partial<Record<JourneyField, string>>;
  methods: AttributionMethod[];
  options: AttributionOptions;
  json: boolean;
  out: string | undefined;
}

const VALUE_FLAGS = new Set([
  'journeys',
  'methods',
  'half-life',
  'window',
  'non-converting',
  'position-weights',
  'markov-order',
  'shapley-worth',
  'shapley-samples',
  'seed',
  'format',
  'columns',
  'out',
]);

function positive(flags: Map<string, string>, flag: string): number | undefined {
  const raw = flags.get(flag);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) {
    throw new UsageError(`--${flag} must be a number of days above 0, got '${raw}'`);
  }
  return v;
}

function integer(flags: Map<string, string>, flag: string): number | undefined {
  const raw = flags.get(flag);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${flag} must be an integer, got '${raw}'`);
  return Number(raw);
}

export function parseAttributeArgs(argv: readonly string[]): AttributeArgs {
  const flags = parseFlags(argv, { values: VALUE_FLAGS, booleans: new Set(['json']) });
  const journeys = flags.get('journeys');
  if (journeys === undefined) throw new UsageError('--journeys is required');
  const methods: AttributionMethod[] = [];
  for (const name of (flags.get('methods') ?? Object.keys(METHOD_NAMES).join(',')).split(',')) {
    const method = METHOD_NAMES[name.trim()];
    if (method === undefined) {
      throw new UsageError(
        `--methods: unknown method '${name.trim()}' (methods: ${Object.keys(METHOD_NAMES).join(', ')})`,
      );
    }
    if (!methods.includes(method)) methods.push(method);
  }
  const format = flags.get('format') ?? (journeys.toLowerCase().endsWith('.json') ? 'json' : 'csv');
  if (format !== 'csv' && format !== 'json') {
    throw new UsageError(`--format must be csv or json, got '${format}'`);
  }
  const columns: Partial<Record<JourneyField, string>> = {};
  for (const item of (flags.get('columns') ?? '').split(',').filter((s) => s.trim() !== '')) {
    const [canonical, name, ...rest] = item.split('=').map((s) => s.trim());
    const field = COLUMN_FIELDS[canonical];
    if (field === undefined || !name || rest.length > 0) {
      throw new UsageError(
        `--columns expects canonical=name items with canonical one of ${Object.keys(COLUMN_FIELDS).join(', ')}, got '${item}'`,
      );
    }
    columns[field] = name;
  }
  const options: AttributionOptions = {
    halfLifeDays: positive(flags, 'half-life'),
    windowDays: positive(flags, 'window'),
    markovOrder: integer(flags, 'markov-order'),
    shapleySamples: integer(flags, 'shapley-samples'),
    seed: integer(flags, 'seed'),
  };
  const nonConverting = flags.get('non-converting');
  if (nonConverting !== undefined) {
    if (nonConverting !== 'include' && nonConverting !== 'exclude') {
      throw new UsageError(`--non-converting must be include or exclude, got '${nonConverting}'`);
    }
    options.nonConverting = nonConverting;
  }
  const worth = flags.get('shapley-worth');
  if (worth !== undefined) {
    if (worth !== 'conversion_rate' && worth !== 'conversions') {
      throw new UsageError(
        `--shapley-worth must be conversion_rate or conversions, got '${worth}'`,
      );
    }
    options.shapleyWorth = worth;
  }
  const weights = flags.get('position-weights');
  if (weights !== undefined) {
    const parts = weights.split(',').map((s) => Number(s.trim()));
    if (parts.length !== 2 || parts.some((v) => !Number.isFinite(v))) {
      throw new UsageError(`--position-weights expects F,L (e.g. 0.4,0.4), got '${weights}'`);
    }
    [options.firstWeight, options.lastWeight] = parts;
  }
  const out = flags.get('out');
  if (out !== undefined && out === journeys) {
    throw new UsageError(`--out and --journeys name the same file ${out}`);
  }
  return { journeys, format, columns, methods, options, json: flags.has('json'), out };
}

/** Streams the file through the parser: the file is never held whole in memory. */
async function readJourneys(args: AttributeArgs): Promise<{ table: JourneyTable; rows: number }> {
  const parser = createJourneyParser({ format: args.format, columns: args.columns });
  try {
    const stream = fs.createReadStream(args.journeys, { encoding: 'utf8', highWaterMark: 1 << 20 });
    for await (const chunk of stream) parser.push(chunk as string);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code;
    throw new UsageError(
      `cannot read --journeys ${args.journeys}: ${why ?? (error as Error).message}`,
    );
  }
  const result = parser.finish();
  if (!result.ok) {
    const rest = result.issueCount - 1;
    const more = rest > 0 ? ` (and ${rest} more ${rest === 1 ? 'issue' : 'issues'})` : '';
    throw new UsageError(`${args.journeys}: ${result.issues[0].message}${more}`);
  }
  return { table: result.table, rows: result.rows };
}

export interface ChannelFigures {
  conversions: number;
  value: number;
  /** Share of the credited conversions. */
  share: number;
}

export interface AttributionSummary {
  journeys: {
    file: string;
    rows: number;
    journeys: number;
    /** Touchpoints inside the lookback window. */
    touchpoints: number;
    channels: string[];
    conversions: number;
    value: number;
    firstTouchpoint: string;
    lastTouchpoint: string;
  };
  settings: AttributionRun['settings'];
  /** Per method (the command's names), per channel. */
  methods: Record<
    string,
    {
      channels: Record<string, ChannelFigures>;
      markov?: {
        order: number;
        states: number;
        conversionProbability: number;
        removalEffects: Record<string, number>;
      };
      shapley?: {
        worth: string;
        exact: boolean;
        players: number;
        samples: number | null;
        standardErrors: Record<string, number> | null;
      };
    }
  >;
}

function summarize(
  args: AttributeArgs,
  table: JourneyTable,
  rows: number,
  run: AttributionRun,
): AttributionSummary {
  const comparison = buildComparisonTable(run);
  const span = journeyTimeSpan(table);
  const perChannel = (values: Float64Array) =>
    Object.fromEntries(run.channels.map((c, k) => [c, values[k]]));
  const methods: AttributionSummary['methods'] = {};
  run.results.forEach((result, m) => {
    const column = comparison.columns[m];
    const entry: AttributionSummary['methods'][string] = {
      channels: Object.fromEntries(
        run.channels.map((c, k) => [
          c,
          {
            conversions: column.conversions[k] as number,
            value: column.value[k] as number,
            share: column.share[k] as number,
          },
        ]),
      ),
    };
    if (result.method === 'markov') {
      entry.markov = {
        order: result.order,
        states: result.states,
        conversionProbability: result.conversionProbability,
        removalEffects: perChannel(result.removalEffects),
      };
    } else if (result.method === 'shapley') {
      entry.shapley = {
        worth: result.worth,
        exact: result.exact,
        players: result.players,
        samples: result.samples,
        standardErrors: result.standardError ? perChannel(result.standardError) : null,
      };
    }
    methods[SHORT_NAME[result.method]] = entry;
  });
  return {
    journeys: {
      file: args.journeys,
      rows,
      journeys: run.totals.journeys,
      touchpoints: run.totals.touchpoints,
      channels: run.channels,
      conversions: run.totals.conversions,
      value: run.totals.value,
      firstTouchpoint: new Date(span.first).toISOString(),
      lastTouchpoint: new Date(span.last).toISOString(),
    },
    settings: run.settings,
    methods,
  };
}

export async function attributeCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseAttributeArgs(argv);
  const { table, rows } = await readJourneys(args);
  let run: AttributionRun;
  try {
    run = attributeJourneys(table, args.methods, args.options);
  } catch (error) {
    if (error instanceof AttributionOptionError) {
      const flag = OPTION_FLAGS[error.option] ?? error.option;
      throw new UsageError(`${flag}: ${error.problem}`);
    }
    throw error;
  }
  const summary = summarize(args, table, rows, run);
  const json = JSON.stringify(summary, null, 2);
  if (args.out) {
    try {
      fs.writeFileSync(args.out, json + '\n');
    } catch (error) {
      throw new UsageError(`cannot write --out ${args.out}: ${(error as Error).message}`);
    }
  }
  io.stdout(args.json ? json : formatAttribution(summary));
  return 0;
}

const count = (v: number): string =>
  v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

function settingsLine(s: AttributionSummary): string {
  const st = s.settings;
  const parts = [
    st.windowDays === null ? 'no lookback window' : `lookback ${st.windowDays} days`,
    `half-life ${st.halfLifeDays} days`,
    `position ${Math.round(st.firstWeight * 100)}/${Math.round((1 - st.firstWeight - st.lastWeight) * 100)}/${Math.round(st.lastWeight * 100)}`,
    `non-converting journeys ${st.nonConverting === 'include' ? 'included' : 'excluded'}`,
  ];
  return `settings: ${parts.join(', ')}`;
}

export function formatAttribution(s: AttributionSummary): string {
  const j = s.journeys;
  const lines: string[] = [];
  lines.push(
    `journeys: ${j.file}, ${j.rows.toLocaleString('en-US')} rows, ${j.journeys.toLocaleString('en-US')} journeys, ${j.channels.length} channels, ${j.firstTouchpoint.slice(0, 10)} .. ${j.lastTouchpoint.slice(0, 10)}`,
  );
  lines.push(
    `observed: ${j.conversions.toLocaleString('en-US')} conversions, value ${count(j.value)}; ${j.touchpoints.toLocaleString('en-US')} touchpoints in the window`,
  );
  lines.push(settingsLine(s));
  const names = Object.keys(s.methods);
  for (const [title, measure] of [
    ['conversions credited (share)', 'conversions'],
    ['value credited', 'value'],
  ] as const) {
    lines.push('', title);
    const header = ['channel', ...names];
    const rows = j.channels.map((c) => [
      c,
      ...names.map((m) => {
        const f = s.methods[m].channels[c];
        return measure === 'conversions'
          ? `${count(f.conversions)} (${pct(f.share)})`
          : count(f.value);
      }),
    ]);
    const total = measure === 'conversions' ? j.conversions : j.value;
    rows.push(['total', ...names.map(() => count(total))]);
    const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
    const fmt = (r: string[]) =>
      r.map((v, k) => (k === 0 ? v.padEnd(widths[k]) : v.padStart(widths[k]))).join('  ');
    lines.push(fmt(header));
    for (const r of rows) lines.push(fmt(r));
  }
  const notes: string[] = [];
  const markov = s.methods.markov?.markov;
  if (markov) {
    const effects = Object.entries(markov.removalEffects)
      .map(([c, e]) => `${c} ${e.toFixed(3)}`)
      .join(', ');
    notes.push(
      `markov: order ${markov.order}, ${markov.states} states, conversion probability ${markov.conversionProbability.toFixed(4)}; removal effects: ${effects}`,
    );
  }
  const shapley = s.methods.shapley?.shapley;
  if (shapley) {
    notes.push(
      `shapley: ${shapley.worth === 'conversion_rate' ? 'conversion-rate' : 'conversions'} worth, ` +
        (shapley.exact
          ? `exact over ${shapley.players} channels`
          : `sampled, ${shapley.samples} permutations of ${shapley.players} channels (standard errors in --json)`),
    );
  }
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n');
}
