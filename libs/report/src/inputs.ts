/**
 * What the report is drawn from besides the model: a budget allocation and an attribution run.
 * Both are read structurally (only the fields the report uses), so the engine's
 * AllocationResult, `mmm allocate`'s JSON and the platform's stored scenario all fit, and the
 * attribution service's GraphQL answer as well as `mmm attribute`'s JSON.
 */

/** A figure with its interval (bounds null where none was computed). */
export interface ReportEstimate {
  estimate: number;
  lower: number | null;
  upper: number | null;
}

export interface ReportChannelAllocation {
  channel: string;
  /** Spend per period: the model's current mean, and the recommendation. */
  current: number;
  recommended: number;
  /** recommended / current - 1 (null when current is 0). */
  change: number | null;
  /** Incremental KPI over the horizon at current and recommended spend. */
  response: { current: number; recommended: number };
  marginalRoas?: number | null;
  bound?: 'lower' | 'upper' | 'locked' | null;
  beyondHistory?: boolean;
}

export interface ReportBinding {
  rule: string;
  kind: string;
  channels: string[];
  spend: number;
  shadowPrice: number | null;
}

/** A budget scenario's allocation (spend per period, responses over the horizon). */
export interface ReportAllocation {
  objective: string;
  periods: number;
  method?: string;
  status?: string;
  /** Budget over the horizon. */
  budget: number;
  spend: { current: number; recommended: number };
  channels: ReportChannelAllocation[];
  /** Incremental KPI of the paid channels over the horizon. */
  response: { current: ReportEstimate; recommended: ReportEstimate; lift: ReportEstimate };
  /** Predicted KPI over the horizon (baseline included). */
  expectedKpi: { current: ReportEstimate; recommended: ReportEstimate; lift: ReportEstimate };
  binding: ReportBinding[];
  notes: string[];
}

/** An attribution run: per method, the credit of each channel. */
export interface ReportAttribution {
  id?: string;
  methods: Array<{
    method: string;
    channels: Array<{ channel: string; credit: number; share: number }>;
  }>;
}

/** An input file or record without the shape the report needs (names where and what). */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

type Json = unknown;

function record(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ReportInputError(path, 'expected an object');
  }
  return v as Record<string, Json>;
}

function num(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ReportInputError(path, 'expected a finite number');
  }
  return v;
}

function numOrNull(v: Json, path: string): number | null {
  return v === null || v === undefined ? null : num(v, path);
}

function text(v: Json, path: string): string {
  if (typeof v !== 'string') throw new ReportInputError(path, 'expected a string');
  return v;
}

function list(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) throw new ReportInputError(path, 'expected an array');
  return v;
}

function estimate(v: Json, path: string): ReportEstimate {
  const e = record(v, path);
  return {
    estimate: num(e.estimate, `${path}.estimate`),
    lower: numOrNull(e.lower, `${path}.lower`),
    upper: numOrNull(e.upper, `${path}.upper`),
  };
}

function triple(v: Json, path: string) {
  const r = record(v, path);
  return {
    current: estimate(r.current, `${path}.current`),
    recommended: estimate(r.recommended, `${path}.recommended`),
    lift: estimate(r.lift, `${path}.lift`),
  };
}

const BOUNDS = ['lower', 'upper', 'locked'] as const;

/**
 * Reads an allocation: the engine's result, `mmm allocate --out`'s JSON, or a stored scenario
 * (its `allocation` field). Checks every field the report uses.
 */
export function parseReportAllocation(input: Json): ReportAllocation {
  let root = record(input, '(root)');
  if (root.allocation !== undefined && root.channels === undefined) {
    root = record(root.allocation, 'allocation');
  }
  const channels = list(root.channels, 'channels').map((c, i): ReportChannelAllocation => {
    const path = `channels[${i}]`;
    const ch = record(c, path);
    const response = record(ch.response, `${path}.response`);
    const bound = ch.bound;
    if (bound !== undefined && bound !== null && !(BOUNDS as readonly Json[]).includes(bound)) {
      throw new ReportInputError(`${path}.bound`, `expected one of ${BOUNDS.join(', ')} or null`);
    }
    return {
      channel: text(ch.channel, `${path}.channel`),
      current: num(ch.current, `${path}.current`),
      recommended: num(ch.recommended, `${path}.recommended`),
      change: numOrNull(ch.change, `${path}.change`),
      response: {
        current: num(response.current, `${path}.response.current`),
        recommended: num(response.recommended, `${path}.response.recommended`),
      },
      marginalRoas: numOrNull(ch.marginalRoas, `${path}.marginalRoas`),
      bound: (bound ?? null) as ReportChannelAllocation['bound'],
      beyondHistory: ch.beyondHistory === true,
    };
  });
  const spend = record(root.spend, 'spend');
  return {
    objective: text(root.objective, 'objective'),
    periods: num(root.periods, 'periods'),
    method: typeof root.method === 'string' ? root.method : undefined,
    status: typeof root.status === 'string' ? root.status : undefined,
    budget: num(root.budget, 'budget'),
    spend: {
      current: num(spend.current, 'spend.current'),
      recommended: num(spend.recommended, 'spend.recommended'),
    },
    channels,
    response: triple(root.response, 'response'),
    expectedKpi: triple(root.expectedKpi, 'expectedKpi'),
    binding: (root.binding === undefined ? [] : list(root.binding, 'binding')).map((b, i) => {
      const path = `binding[${i}]`;
      const r = record(b, path);
      return {
        rule: text(r.rule, `${path}.rule`),
        kind: text(r.kind, `${path}.kind`),
        channels: list(r.channels, `${path}.channels`).map((c, j) =>
          text(c, `${path}.channels[${j}]`),
        ),
        spend: num(r.spend, `${path}.spend`),
        shadowPrice: numOrNull(r.shadowPrice, `${path}.shadowPrice`),
      };
    }),
    notes: (root.notes === undefined ? [] : list(root.notes, 'notes')).map((n, i) =>
      text(n, `notes[${i}]`),
    ),
  };
}

/**
 * Reads an attribution run: the attribution service's `{ results: [{ method, channels: [{
 * channel, credit, share }] }] }`, or `mmm attribute`'s JSON (`{ methods: { <method>: {
 * channels: { <channel>: { conversions, share } } } } }`).
 */
export function parseReportAttribution(input: Json): ReportAttribution {
  const root = record(input, '(root)');
  if (Array.isArray(root.results)) {
    return {
      id: typeof root.id === 'string' ? root.id : undefined,
      methods: root.results.map((r, i) => {
        const path = `results[${i}]`;
        const m = record(r, path);
        return {
          method: text(m.method, `${path}.method`),
          channels: list(m.channels, `${path}.channels`).map((c, j) => {
            const cp = `${path}.channels[${j}]`;
            const ch = record(c, cp);
            return {
              channel: text(ch.channel, `${cp}.channel`),
              credit: num(ch.credit, `${cp}.credit`),
              share: num(ch.share, `${cp}.share`),
            };
          }),
        };
      }),
    };
  }
  // mmm attribute's JSON: { methods: { last: { channels: { tv: { conversions, share } } } } }
  const methods = record(root.methods, 'methods');
  return {
    methods: Object.entries(methods).map(([method, m]) => {
      const path = `methods.${method}`;
      const channels = record(record(m, path).channels, `${path}.channels`);
      return {
        method,
        channels: Object.entries(channels).map(([channel, c]) => {
          const cp = `${path}.channels.${channel}`;
          const ch = record(c, cp);
          return {
            channel,
            credit: num(ch.conversions, `${cp}.conversions`),
            share: num(ch.share, `${cp}.share`),
          };
        }),
      };
    }),
  };
}
