/** Small journey tables for the tests, written as the canonical CSV and read by the parser. */
import { parseJourneys, type JourneyTable } from '../../src';

export interface JourneySpec {
  id: string;
  /** Channels in time order; touchpoint k is at day `days[k]` (default k) of January 2024. */
  path: string[];
  days?: number[];
  converted: boolean;
  value?: number;
}

const DAY_MS = 86_400_000;
export const EPOCH = Date.UTC(2024, 0, 1);

export function journeysCsv(specs: readonly JourneySpec[]): string {
  const lines = ['journey_id,timestamp,channel,converted,conversion_value'];
  for (const s of specs) {
    s.path.forEach((channel, k) => {
      const ts = new Date(EPOCH + (s.days?.[k] ?? k) * DAY_MS).toISOString();
      lines.push(
        [s.id, ts, channel, s.converted ? 1 : 0, s.converted ? (s.value ?? 0) : 0].join(','),
      );
    });
  }
  return lines.join('\n') + '\n';
}

export function journeyTable(specs: readonly JourneySpec[]): JourneyTable {
  const result = parseJourneys(journeysCsv(specs));
  if (!result.ok) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.table;
}

/** `count` copies of one journey (ids `${prefix}1` ...). */
export function repeat(
  count: number,
  prefix: string,
  spec: Omit<JourneySpec, 'id'>,
): JourneySpec[] {
  return Array.from({ length: count }, (_, k) => ({ ...spec, id: `${prefix}${k + 1}` }));
}

/** Credit per channel name, for readable expectations. */
export function byChannel(channels: string[], values: Float64Array): Record<string, number> {
  return Object.fromEntries(channels.map((c, k) => [c, values[k]]));
}
