import type { ScopedKv } from '@mmm/platform';

// Attribution runs as stored in KV (bucket mmm_attributions, kind 'attribution'), keyed
// `<workspace>.attribution.<id>`. The attribution methods will write them; until then there are none.

export const ATTRIBUTION_KIND = 'attribution';

export type AttributionMethod =
  | 'LAST_TOUCH'
  | 'FIRST_TOUCH'
  | 'LINEAR'
  | 'TIME_DECAY'
  | 'POSITION_BASED'
  | 'MARKOV'
  | 'SHAPLEY'
  | 'MMM';

export interface ChannelCredit {
  channel: string;
  credit: number;
  share: number;
}

export interface AttributionRecord {
  id: string;
  conversions: number;
  results: Array<{ method: AttributionMethod; channels: ChannelCredit[] }>;
  /** ISO-8601. */
  createdAt: string;
}

export interface AttributionBook {
  get(id: string): Promise<AttributionRecord | null>;
}

export function createAttributionBook(attributions: ScopedKv): AttributionBook {
  return { get: (id) => attributions.get<AttributionRecord>(ATTRIBUTION_KIND, id) };
}
