import { createHash } from 'node:crypto';
import type { IngestOptions } from './types';

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The options with defaults filled in and lists in a fixed order, so that two
 * requests that mean the same dataset (channels listed in another order, an
 * omitted channel name equal to its spend column) hash the same.
 */
export function canonicalOptions(options: IngestOptions): unknown {
  const { roles } = options;
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    format: options.format,
    frequency: options.frequency,
    aggregateToWeekly: options.aggregateToWeekly,
    missingMediaAsZero: options.missingMediaAsZero,
    roles: {
      date: roles.date,
      kpi: roles.kpi,
      kpiType: roles.kpiType,
      paidMedia: roles.paidMedia
        .map((m) => ({
          spend: m.spend,
          exposure: m.exposure?.trim() ? m.exposure : null,
          channel: (m.channel ?? '').trim() || m.spend,
        }))
        .sort((a, b) => byName(a.spend, b.spend)),
      organic: [...(roles.organic ?? [])].sort(byName),
      controls: [...(roles.controls ?? [])].sort(byName),
    },
    ...(options.long
      ? {
          long: {
            ...options.long,
            channelMap: [...options.long.channelMap]
              .map((m) => ({ from: m.from.trim(), to: m.to.trim() }))
              .sort((a, b) => byName(a.from, b.from)),
          },
        }
      : {}),
  };
}

/** SHA-256 (hex) of the raw file's bytes. */
export function contentHash(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/**
 * The dataset id: SHA-256 of the file's bytes, a zero byte, and the canonical
 * options, shortened to 80 bits (`ds_` + 20 hex digits) — collisions need about
 * 2^40 datasets. Same file with the same roles, same id; the dataset's display
 * name is not part of it.
 */
export function datasetId(content: string, options: IngestOptions): string {
  const hash = createHash('sha256')
    .update(content, 'utf8')
    .update(Buffer.from([0]))
    .update(canonicalJson(canonicalOptions(options)), 'utf8')
    .digest('hex');
  return `ds_${hash.slice(0, 20)}`;
}
