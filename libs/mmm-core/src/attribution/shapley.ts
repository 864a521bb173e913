/**
 * Shapley value attribution (Shapley 1953). The players are the channels that appear in the
 * journeys used (inside the lookback window); a journey "lies in" a coalition S when every
 * channel it touched is in S. The worth v(S) (see ShapleyWorth):
 * - 'conversion_rate': conversions / journeys over the journeys that lie in S (0 if none), the
 *   conversion probability given exposure, as the coalition worth of the Shapley attribution of
 *   Dalessandro, Perlich, Stitelman & Provost (2012, "Causally motivated attribution for online
 *   advertising", ADKDD), estimated from the journeys; "exposed to S" is read (our choice) as
 *   "exposed only to channels in S": exact channel sets would leave most of the 2^n coalitions
 *   without journeys, and v(all channels) at 0 whenever no journey touched every channel;
 * - 'conversions': the conversions of the journeys that lie in S, the game of Zhao, Mahboobi &
 *   Bagheri (2018, "Shapley value methods for attribution modeling in online advertising",
 *   arXiv:1804.05327): its Shapley value is their simplified formula, each conversion split
 *   equally among the distinct channels of its journey.
 * Value is credited by the same game with conversions replaced by conversion value.
 *
 * phi_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)); the phi sum to
 * v(N), so the credit of i is phi_i / v(N) x total conversions (x total value for the value
 * game). Under 'conversion_rate' a channel whose journeys convert less than the others can
 * get a negative credit.
 *
 * Exact up to `exactMaxChannels` players: v on all 2^n coalitions by a subset-sum (zeta)
 * transform of the journeys' counts by channel set, O(n 2^n). Beyond: the mean marginal
 * contribution over `samples` random orders of the players (Castro, Gomez & Tejada 2009,
 * "Polynomial calculation of the Shapley value based on sampling", Comput. Oper. Res. 36(5)),
 * seeded, with the standard error of each credit.
 */
import { SeededRandom } from '../search/random';
import type { ShapleyWorth } from './options';
import { emptyCredit, type ChannelCredit, type JourneyPaths } from './paths';

export interface ShapleyCredit extends ChannelCredit {
  worth: ShapleyWorth;
  /** true: every coalition was evaluated; false: permutations were sampled. */
  exact: boolean;
  /** Channels that took part (those with a touchpoint in the journeys used). */
  players: number;
  /** Permutations drawn (null when exact). */
  samples: number | null;
  /** Standard error of each channel's credited conversions (null when exact). */
  standardError: Float64Array | null;
}

export interface ShapleySettings {
  worth: ShapleyWorth;
  exactMaxChannels: number;
  samples: number;
  seed: number;
  nonConverting: 'include' | 'exclude';
}

/** The journeys grouped by their set of channels: how many, conversions and value per set. */
interface ChannelSets {
  /** Player index -> channel index. */
  playerChannel: number[];
  /** Per set, its players (CSR: set k has members[memberStart[k] .. memberStart[k + 1])). */
  memberStart: number[];
  members: number[];
  journeys: number[];
  conversions: number[];
  value: number[];
}

function groupByChannelSet(paths: JourneyPaths, nonConverting: 'include' | 'exclude'): ChannelSets {
  const { table, start } = paths;
  const { offsets, channelIndex, converted, conversionValue } = table;
  const player = new Int32Array(table.channels.length).fill(-1);
  const sets: ChannelSets = {
    playerChannel: [],
    memberStart: [0],
    members: [],
    journeys: [],
    conversions: [],
    value: [],
  };
  // A set's key: the bit mask of its channels when they fit in 30 bits (a number key is far
  // cheaper to build and hash), else its sorted channel indices as text.
  const byMask = table.channels.length <= 30;
  const setIndex = new Map<number | string, number>();
  const mark = new Uint8Array(table.channels.length);
  const distinct: number[] = [];
  for (let j = 0; j < converted.length; j++) {
    if (nonConverting === 'exclude' && converted[j] !== 1) continue;
    const from = start[j];
    const to = offsets[j + 1];
    if (to === from) continue;
    let key: number | string;
    if (byMask) {
      let mask = 0;
      for (let k = from; k < to; k++) mask |= 1 << channelIndex[k];
      key = mask;
    } else {
      distinct.length = 0;
      for (let k = from; k < to; k++) {
        const c = channelIndex[k];
        if (mark[c] === 0) {
          mark[c] = 1;
          distinct.push(c);
        }
      }
      for (const c of distinct) mark[c] = 0;
      key = distinct.sort((x, y) => x - y).join(',');
    }
    let set = setIndex.get(key);
    if (set === undefined) {
      set = sets.journeys.length;
      setIndex.set(key, set);
      const channels = byMask
        ? Array.from({ length: 30 }, (_, c) => c).filter((c) => (key as number) & (1 << c))
        : distinct;
      for (const c of channels) {
        if (player[c] < 0) {
          player[c] = sets.playerChannel.length;
          sets.playerChannel.push(c);
        }
        sets.members.push(player[c]);
      }
      sets.memberStart.push(sets.members.length);
      sets.journeys.push(0);
      sets.conversions.push(0);
      sets.value.push(0);
    }
    sets.journeys[set] += 1;
    if (converted[j] === 1) {
      sets.conversions[set] += 1;
      sets.value[set] += conversionValue[j];
    }
  }
  return sets;
}

/** v(S) from the totals of the journeys lying in S. */
function worthOf(worth: ShapleyWorth, journeys: number, amount: number): number {
  if (worth === 'conversions') return amount;
  return journeys > 0 ? amount / journeys : 0;
}

export function shapleyCredit(paths: JourneyPaths, settings: ShapleySettings): ShapleyCredit {
  const sets = groupByChannelSet(paths, settings.nonConverting);
  const n = sets.playerChannel.length;
  const exact = n <= settings.exactMaxChannels;
  const phi = exact ? exactShapley(sets, settings.worth) : sampledShapley(sets, settings);

  const channels = paths.table.channels.length;
  const credit = emptyCredit(channels);
  let standardError: Float64Array | null = null;
  let sumConversions = 0;
  let sumValue = 0;
  for (let p = 0; p < n; p++) {
    sumConversions += phi.conversions[p];
    sumValue += phi.value[p];
  }
  const scaleConversions = sumConversions !== 0 ? paths.totals.conversions / sumConversions : 0;
  const scaleValue = sumValue !== 0 ? paths.totals.value / sumValue : 0;
  for (let p = 0; p < n; p++) {
    const c = sets.playerChannel[p];
    credit.conversions[c] = phi.conversions[p] * scaleConversions;
    credit.value[c] = phi.value[p] * scaleValue;
  }
  if (phi.standardError !== null) {
    standardError = new Float64Array(channels);
    for (let p = 0; p < n; p++) {
      standardError[sets.playerChannel[p]] = phi.standardError[p] * Math.abs(scaleConversions);
    }
  }
  return {
    ...credit,
    worth: settings.worth,
    exact,
    players: n,
    samples: exact ? null : settings.samples,
    standardError,
  };
}

interface Phi {
  conversions: Float64Array;
  value: Float64Array;
  standardError: Float64Array | null;
}

/**
 * Every coalition: journeys, conversions and value by exact channel set (a bit mask), summed
 * over subsets (zeta transform: after pass i, a[S] adds a[S - i] for S containing i), give
 * the totals over the journeys lying in each S; then the Shapley sum over all S.
 */
function exactShapley(sets: ChannelSets, worth: ShapleyWorth): Phi {
  const n = sets.playerChannel.length;
  const size = 1 << n;
  const journeys = new Float64Array(size);
  const conversions = new Float64Array(size);
  const value = new Float64Array(size);
  for (let k = 0; k < sets.journeys.length; k++) {
    let mask = 0;
    for (let m = sets.memberStart[k]; m < sets.memberStart[k + 1]; m++)
      mask |= 1 << sets.members[m];
    journeys[mask] += sets.journeys[k];
    conversions[mask] += sets.conversions[k];
    value[mask] += sets.value[k];
  }
  for (let i = 0; i < n; i++) {
    const bit = 1 << i;
    for (let S = 0; S < size; S++) {
      if ((S & bit) === 0) continue;
      journeys[S] += journeys[S ^ bit];
      conversions[S] += conversions[S ^ bit];
      value[S] += value[S ^ bit];
    }
  }
  const v = new Float64Array(size);
  const vValue = new Float64Array(size);
  for (let S = 0; S < size; S++) {
    v[S] = worthOf(worth, journeys[S], conversions[S]);
    vValue[S] = worthOf(worth, journeys[S], value[S]);
  }
  // weight[s] = s! (n - s - 1)! / n!, by the recurrence weight[s + 1] = weight[s] (s + 1) / (n - s - 1).
  const weight = new Float64Array(Math.max(n, 1));
  weight[0] = 1 / n;
  for (let s = 0; s + 1 < n; s++) weight[s + 1] = (weight[s] * (s + 1)) / (n - s - 1);
  const popcount = new Uint8Array(size);
  for (let S = 1; S < size; S++) popcount[S] = popcount[S >> 1] + (S & 1);
  const phiConversions = new Float64Array(n);
  const phiValue = new Float64Array(n);
  for (let S = 0; S < size; S++) {
    const w = weight[popcount[S]];
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (S & bit) continue;
      phiConversions[i] += w * (v[S | bit] - v[S]);
      phiValue[i] += w * (vValue[S | bit] - vValue[S]);
    }
  }
  return { conversions: phiConversions, value: phiValue, standardError: null };
}

/**
 * Random orders of the players; along each, a set joins the coalition when its last missing
 * channel does (a countdown per set over an index channel -> sets), so one order costs
 * O(sum of set sizes) rather than a pass over the journeys per step.
 */
function sampledShapley(sets: ChannelSets, settings: ShapleySettings): Phi {
  const n = sets.playerChannel.length;
  const setCount = sets.journeys.length;
  const size = new Int32Array(setCount);
  const byPlayerCount = new Int32Array(n + 1);
  for (let k = 0; k < setCount; k++) {
    size[k] = sets.memberStart[k + 1] - sets.memberStart[k];
    for (let m = sets.memberStart[k]; m < sets.memberStart[k + 1]; m++) {
      byPlayerCount[sets.members[m] + 1]++;
    }
  }
  for (let p = 0; p < n; p++) byPlayerCount[p + 1] += byPlayerCount[p];
  const setsOf = new Int32Array(byPlayerCount[n]);
  const fill = byPlayerCount.slice(0, n);
  for (let k = 0; k < setCount; k++) {
    for (let m = sets.memberStart[k]; m < sets.memberStart[k + 1]; m++) {
      setsOf[fill[sets.members[m]]++] = k;
    }
  }
  const random = new SeededRandom(settings.seed, 0x5a);
  const order = Int32Array.from({ length: n }, (_, p) => p);
  const missing = new Int32Array(setCount);
  const sum = new Float64Array(n);
  const sumSq = new Float64Array(n);
  const sumValue = new Float64Array(n);
  for (let draw = 0; draw < settings.samples; draw++) {
    for (let p = n - 1; p > 0; p--) {
      const q = random.int(p + 1);
      const t = order[p];
      order[p] = order[q];
      order[q] = t;
    }
    missing.set(size);
    let journeys = 0;
    let conversions = 0;
    let value = 0;
    let before = 0;
    let beforeValue = 0;
    for (const p of order) {
      for (let m = byPlayerCount[p]; m < byPlayerCount[p + 1]; m++) {
        const k = setsOf[m];
        if (--missing[k] === 0) {
          journeys += sets.journeys[k];
          conversions += sets.conversions[k];
          value += sets.value[k];
        }
      }
      const after = worthOf(settings.worth, journeys, conversions);
      const afterValue = worthOf(settings.worth, journeys, value);
      const marginal = after - before;
      sum[p] += marginal;
      sumSq[p] += marginal * marginal;
      sumValue[p] += afterValue - beforeValue;
      before = after;
      beforeValue = afterValue;
    }
  }
  const m = settings.samples;
  const conversionsPhi = new Float64Array(n);
  const valuePhi = new Float64Array(n);
  const standardError = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const mean = sum[p] / m;
    conversionsPhi[p] = mean;
    valuePhi[p] = sumValue[p] / m;
    const variance = m > 1 ? Math.max(0, (sumSq[p] - m * mean * mean) / (m - 1)) : NaN;
    standardError[p] = Math.sqrt(variance / m);
  }
  return { conversions: conversionsPhi, value: valuePhi, standardError };
}
