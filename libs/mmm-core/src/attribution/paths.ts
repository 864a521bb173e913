/**
 * The journeys as the methods see them: each journey's touchpoints inside the lookback window
 * (a suffix of the time-sorted touchpoints, so only its first index is stored), and the
 * observed totals every method's credit must add up to.
 */
import type { JourneyTable } from './table';
import { DAY_MS } from './units';

export interface JourneyPaths {
  table: JourneyTable;
  /** Per journey: its first touchpoint inside the window; its last is offsets[j + 1] - 1. */
  start: Uint32Array;
  totals: AttributionTotals;
}

export interface AttributionTotals {
  journeys: number;
  /** Touchpoints inside the lookback window. */
  touchpoints: number;
  /** Observed conversions (converted journeys): what every method's credit adds up to. */
  conversions: number;
  /** Observed conversion value: what every method's credited value adds up to. */
  value: number;
}

/** Credit per channel (indexed like table.channels). */
export interface ChannelCredit {
  conversions: Float64Array;
  value: Float64Array;
}

/**
 * Keeps the touchpoints at most `windowDays` before their journey's last touchpoint (no
 * conversion timestamp exists, so the last touchpoint is the reference). null keeps all.
 */
export function lookbackPaths(table: JourneyTable, windowDays: number | null): JourneyPaths {
  const journeys = table.journeyIds.length;
  const { offsets, timestamps, converted, conversionValue } = table;
  const start = new Uint32Array(journeys);
  const windowMs = windowDays === null ? Infinity : windowDays * DAY_MS;
  let touchpoints = 0;
  let conversions = 0;
  let value = 0;
  for (let j = 0; j < journeys; j++) {
    const from = offsets[j];
    const to = offsets[j + 1];
    if (to === from) {
      if (converted[j] === 1) {
        throw new RangeError(`journey '${table.journeyIds[j]}' converted with no touchpoint`);
      }
      start[j] = from;
      continue;
    }
    let k = from;
    if (windowMs !== Infinity) {
      const earliest = timestamps[to - 1] - windowMs;
      while (timestamps[k] < earliest) k++;
    }
    start[j] = k;
    touchpoints += to - k;
    if (converted[j] === 1) {
      conversions++;
      value += conversionValue[j];
    }
  }
  return {
    table,
    start,
    totals: {
      journeys,
      touchpoints,
      conversions,
      value,
    },
  };
}

export function emptyCredit(channels: number): ChannelCredit {
  return { conversions: new Float64Array(channels), value: new Float64Array(channels) };
}
