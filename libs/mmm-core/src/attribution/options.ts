/**
 * The attribution methods' options and the one function that checks them and applies the
 * defaults (docs/FORMULAS.md, section 9, gives each method's definition).
 */
import { journeyTimeSpan, type JourneyTable } from './table';
import { DAY_MS } from './units';

export const ATTRIBUTION_METHODS = [
  'last_touch',
  'first_touch',
  'linear',
  'time_decay',
  'position_based',
  'markov',
  'shapley',
] as const;

export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

export function isAttributionMethod(name: string): name is AttributionMethod {
  return (ATTRIBUTION_METHODS as readonly string[]).includes(name);
}

/**
 * The worth v(S) of a coalition S of channels in the Shapley value:
 * - 'conversion_rate' (default): the conversion rate of the journeys whose channels all lie in
 *   S (conversions / journeys among them; 0 when there are none);
 * - 'conversions': the conversions of those journeys, the game of Zhao et al. (2018), whose
 *   Shapley value is each conversion split equally among the distinct channels of its journey.
 */
export type ShapleyWorth = 'conversion_rate' | 'conversions';

export interface AttributionOptions {
  /**
   * Lookback window in days: touchpoints more than this before their journey's last touchpoint
   * are dropped. Default: none. Must not exceed the time the data spans.
   */
  windowDays?: number;
  /**
   * 'include' (default): journeys that did not convert enter the Markov chain (as paths to
   * null) and the Shapley worth (as journeys that did not convert); 'exclude': only converted
   * journeys are used. Rule-based methods credit conversions only, so this does not change them.
   */
  nonConverting?: 'include' | 'exclude';
  /** Half-life of the time-decay weights, in days; default 7. */
  halfLifeDays?: number;
  /** Position-based share of the first touchpoint; default 0.4. */
  firstWeight?: number;
  /** Position-based share of the last touchpoint; default 0.4 (the middle ones share the rest). */
  lastWeight?: number;
  /** Order of the Markov chain (how many past channels a state remembers); default 1. */
  markovOrder?: number;
  /** Coalition worth of the Shapley value; default 'conversion_rate'. */
  shapleyWorth?: ShapleyWorth;
  /**
   * Exact Shapley value up to this many channels (2^n coalitions); beyond, permutations are
   * sampled. Default 15, at most 22.
   */
  shapleyExactMaxChannels?: number;
  /** Permutations drawn when the Shapley value is sampled; default 1000. */
  shapleySamples?: number;
  /** Seed of the sampled Shapley value; default 1. */
  seed?: number;
}

/** AttributionOptions with every default applied. */
export interface AttributionSettings {
  windowDays: number | null;
  nonConverting: 'include' | 'exclude';
  halfLifeDays: number;
  firstWeight: number;
  lastWeight: number;
  markovOrder: number;
  shapleyWorth: ShapleyWorth;
  shapleyExactMaxChannels: number;
  shapleySamples: number;
  seed: number;
}

/** An option that cannot be used; `option` names it (e.g. 'windowDays'), for a field-level error. */
export class AttributionOptionError extends Error {
  override readonly name = 'AttributionOptionError';
  constructor(
    readonly option: keyof AttributionOptions | 'methods',
    readonly problem: string,
  ) {
    super(`${option}: ${problem}`);
  }
}

function inRange(
  option: keyof AttributionOptions,
  value: number,
  low: number,
  high: number,
  integer = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new AttributionOptionError(
      option,
      `must be ${integer ? 'an integer' : 'a finite number'}, got ${String(value)}`,
    );
  }
  if (value < low || value > high) {
    throw new AttributionOptionError(option, `must be between ${low} and ${high}, got ${value}`);
  }
  return value;
}

export function resolveAttributionSettings(
  table: JourneyTable,
  options: AttributionOptions = {},
): AttributionSettings {
  let windowDays: number | null = null;
  if (options.windowDays !== undefined) {
    windowDays = inRange('windowDays', options.windowDays, 0, Number.MAX_VALUE);
    if (windowDays === 0) throw new AttributionOptionError('windowDays', 'must be above 0');
    const { first, last } = journeyTimeSpan(table);
    const span = (last - first) / DAY_MS;
    if (!(windowDays <= span)) {
      const dates = Number.isNaN(first)
        ? 'there are no touchpoints'
        : `the touchpoints span ${+span.toFixed(3)} days, ${new Date(first).toISOString()} .. ${new Date(last).toISOString()}`;
      throw new AttributionOptionError(
        'windowDays',
        `${windowDays} days is longer than the data (${dates})`,
      );
    }
  }
  const nonConverting = options.nonConverting ?? 'include';
  if (nonConverting !== 'include' && nonConverting !== 'exclude') {
    throw new AttributionOptionError(
      'nonConverting',
      `must be 'include' or 'exclude', got '${String(nonConverting)}'`,
    );
  }
  const halfLifeDays = inRange('halfLifeDays', options.halfLifeDays ?? 7, 0, Number.MAX_VALUE);
  if (halfLifeDays === 0) throw new AttributionOptionError('halfLifeDays', 'must be above 0');
  const firstWeight = inRange('firstWeight', options.firstWeight ?? 0.4, 0, 1);
  const lastWeight = inRange('lastWeight', options.lastWeight ?? 0.4, 0, 1);
  if (firstWeight + lastWeight > 1 + 1e-12) {
    throw new AttributionOptionError(
      'lastWeight',
      `firstWeight + lastWeight must be at most 1, got ${firstWeight} + ${lastWeight}`,
    );
  }
  const shapleyWorth = options.shapleyWorth ?? 'conversion_rate';
  if (shapleyWorth !== 'conversion_rate' && shapleyWorth !== 'conversions') {
    throw new AttributionOptionError(
      'shapleyWorth',
      `must be 'conversion_rate' or 'conversions', got '${String(shapleyWorth)}'`,
    );
  }
  return {
    windowDays,
    nonConverting,
    halfLifeDays,
    firstWeight,
    lastWeight,
    markovOrder: inRange('markovOrder', options.markovOrder ?? 1, 1, 6, true),
    shapleyWorth,
    shapleyExactMaxChannels: inRange(
      'shapleyExactMaxChannels',
      options.shapleyExactMaxChannels ?? 15,
      0,
      22,
      true,
    ),
    shapleySamples: inRange('shapleySamples', options.shapleySamples ?? 1000, 1, 1_000_000, true),
    seed: inRange('seed', options.seed ?? 1, 0, 2 ** 32 - 1, true),
  };
}
