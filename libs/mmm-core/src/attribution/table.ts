/**
 * The journey table: user-level paths to conversion, in columns. Touchpoints are stored
 * journey by journey (compressed-row layout): journey j owns touchpoints
 * `[offsets[j], offsets[j + 1])`, in time order. Every attribution method reads this shape.
 */
export interface JourneyTable {
  /** Channel names, sorted (code-unit order); touchpoints refer to them by index. */
  channels: string[];
  /** Journey ids, in the order of their first row in the input. */
  journeyIds: string[];
  /** Length journeys + 1: journey j's touchpoints are [offsets[j], offsets[j + 1]). */
  offsets: Uint32Array;
  /** Per touchpoint: epoch milliseconds (UTC); ascending within a journey, ties in input order. */
  timestamps: Float64Array;
  /** Per touchpoint: index into `channels`. */
  channelIndex: Uint32Array;
  /** Per touchpoint: its cost, when the input had a cost column; else null. */
  cost: Float64Array | null;
  /** Per journey: 1 if the journey converted after its last touchpoint, else 0. */
  converted: Uint8Array;
  /** Per journey: the conversion's value (0 for a journey that did not convert). */
  conversionValue: Float64Array;
}

export function journeyCount(table: JourneyTable): number {
  return table.journeyIds.length;
}

export function touchpointCount(table: JourneyTable): number {
  return table.timestamps.length;
}

/** Earliest and latest touchpoint (epoch ms); NaN for an empty table. */
export function journeyTimeSpan(table: JourneyTable): { first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const t of table.timestamps) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return table.timestamps.length === 0 ? { first: NaN, last: NaN } : { first, last };
}
