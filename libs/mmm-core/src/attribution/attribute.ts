/**
 * Runs attribution methods on one journey table: options resolved once, the lookback window
 * applied once, then each method. Every result credits conversions and value per channel that
 * add up to the observed totals.
 */
import { markovCredit, type MarkovCredit } from './markov';
import {
  AttributionOptionError,
  isAttributionMethod,
  resolveAttributionSettings,
  type AttributionMethod,
  type AttributionOptions,
  type AttributionSettings,
} from './options';
import { lookbackPaths, type AttributionTotals, type ChannelCredit } from './paths';
import {
  firstTouchCredit,
  lastTouchCredit,
  linearCredit,
  positionBasedCredit,
  timeDecayCredit,
} from './rules';
import { shapleyCredit, type ShapleyCredit } from './shapley';
import type { JourneyTable } from './table';

export type AttributionResult =
  | ({
      method: Exclude<AttributionMethod, 'markov' | 'shapley'>;
    } & ChannelCredit)
  | ({ method: 'markov' } & MarkovCredit)
  | ({ method: 'shapley' } & ShapleyCredit);

export interface AttributionRun {
  /** Channel names; every result's arrays are indexed like this. */
  channels: string[];
  settings: AttributionSettings;
  totals: AttributionTotals;
  /** One per method, in the order asked. */
  results: AttributionResult[];
}

export function attributeJourneys(
  table: JourneyTable,
  methods: readonly string[],
  options: AttributionOptions = {},
): AttributionRun {
  if (methods.length === 0) throw new AttributionOptionError('methods', 'name at least one');
  for (const m of methods) {
    if (!isAttributionMethod(m))
      throw new AttributionOptionError('methods', `unknown method '${m}'`);
  }
  const settings = resolveAttributionSettings(table, options);
  const paths = lookbackPaths(table, settings.windowDays);
  const results = [...new Set(methods as readonly AttributionMethod[])].map(
    (method): AttributionResult => {
      switch (method) {
        case 'last_touch':
          return { method, ...lastTouchCredit(paths) };
        case 'first_touch':
          return { method, ...firstTouchCredit(paths) };
        case 'linear':
          return { method, ...linearCredit(paths) };
        case 'time_decay':
          return { method, ...timeDecayCredit(paths, settings.halfLifeDays) };
        case 'position_based':
          return {
            method,
            ...positionBasedCredit(paths, settings.firstWeight, settings.lastWeight),
          };
        case 'markov':
          return { method, ...markovCredit(paths, settings.markovOrder, settings.nonConverting) };
        case 'shapley':
          return {
            method,
            ...shapleyCredit(paths, {
              worth: settings.shapleyWorth,
              exactMaxChannels: settings.shapleyExactMaxChannels,
              samples: settings.shapleySamples,
              seed: settings.seed,
              nonConverting: settings.nonConverting,
            }),
          };
      }
    },
  );
  return { channels: table.channels, settings, totals: paths.totals, results };
}
