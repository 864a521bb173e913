/**
 * Rule-based attribution: each converted journey's conversion (1) and value are split over its
 * touchpoints inside the lookback window by fixed weights that sum to 1, and each touchpoint's
 * share goes to its channel. A channel touched twice gets two shares. Journeys that did not
 * convert credit nothing. Definitions and sources: docs/FORMULAS.md, section 9.
 */
import { emptyCredit, type ChannelCredit, type JourneyPaths } from './paths';
import { DAY_MS } from './units';

/** The whole conversion to the touchpoint at `pick(from, to)`. */
function singleTouch(paths: JourneyPaths, pick: (from: number, to: number) => number) {
  const { table, start } = paths;
  const { offsets, channelIndex, converted, conversionValue } = table;
  const credit = emptyCredit(table.channels.length);
  for (let j = 0; j < converted.length; j++) {
    if (converted[j] !== 1) continue;
    const c = channelIndex[pick(start[j], offsets[j + 1])];
    credit.conversions[c] += 1;
    credit.value[c] += conversionValue[j];
  }
  return credit;
}

export function lastTouchCredit(paths: JourneyPaths): ChannelCredit {
  return singleTouch(paths, (_from, to) => to - 1);
}

/** The first touchpoint inside the lookback window. */
export function firstTouchCredit(paths: JourneyPaths): ChannelCredit {
  return singleTouch(paths, (from) => from);
}

/** Equal shares: 1/k to each of the journey's k touchpoints. */
export function linearCredit(paths: JourneyPaths): ChannelCredit {
  const { table, start } = paths;
  const { offsets, channelIndex, converted, conversionValue } = table;
  const credit = emptyCredit(table.channels.length);
  for (let j = 0; j < converted.length; j++) {
    if (converted[j] !== 1) continue;
    const from = start[j];
    const to = offsets[j + 1];
    const share = 1 / (to - from);
    const valueShare = conversionValue[j] * share;
    for (let k = from; k < to; k++) {
      credit.conversions[channelIndex[k]] += share;
      credit.value[channelIndex[k]] += valueShare;
    }
  }
  return credit;
}

/**
 * w_i = 2^(-(t_last - t_i) / halfLife), normalised over the journey. The last touchpoint has
 * weight 1, so the sum never underflows however old the others are.
 */
export function timeDecayCredit(paths: JourneyPaths, halfLifeDays: number): ChannelCredit {
  const { table, start } = paths;
  const { offsets, channelIndex, timestamps, converted, conversionValue } = table;
  const credit = emptyCredit(table.channels.length);
  const rate = Math.LN2 / (halfLifeDays * DAY_MS);
  let weights = new Float64Array(64);
  for (let j = 0; j < converted.length; j++) {
    if (converted[j] !== 1) continue;
    const from = start[j];
    const to = offsets[j + 1];
    if (to - from > weights.length) weights = new Float64Array(2 * (to - from));
    const last = timestamps[to - 1];
    let sum = 0;
    for (let k = from; k < to; k++) {
      const w = Math.exp(-rate * (last - timestamps[k]));
      weights[k - from] = w;
      sum += w;
    }
    const scale = 1 / sum;
    const valueScale = conversionValue[j] * scale;
    for (let k = from; k < to; k++) {
      const w = weights[k - from];
      credit.conversions[channelIndex[k]] += w * scale;
      credit.value[channelIndex[k]] += w * valueScale;
    }
  }
  return credit;
}

/**
 * First touchpoint `firstWeight`, last `lastWeight`, the middle ones share the rest equally;
 * a two-touch journey splits equally, a one-touch journey gives that touch everything.
 */
export function positionBasedCredit(
  paths: JourneyPaths,
  firstWeight: number,
  lastWeight: number,
): ChannelCredit {
  const { table, start } = paths;
  const { offsets, channelIndex, converted, conversionValue } = table;
  const credit = emptyCredit(table.channels.length);
  const add = (k: number, share: number, v: number): void => {
    credit.conversions[channelIndex[k]] += share;
    credit.value[channelIndex[k]] += share * v;
  };
  for (let j = 0; j < converted.length; j++) {
    if (converted[j] !== 1) continue;
    const from = start[j];
    const to = offsets[j + 1];
    const n = to - from;
    const v = conversionValue[j];
    if (n === 1) {
      add(from, 1, v);
    } else if (n === 2) {
      add(from, 0.5, v);
      add(from + 1, 0.5, v);
    } else {
      add(from, firstWeight, v);
      add(to - 1, lastWeight, v);
      const middle = (1 - firstWeight - lastWeight) / (n - 2);
      for (let k = from + 1; k < to - 1; k++) add(k, middle, v);
    }
  }
  return credit;
}
