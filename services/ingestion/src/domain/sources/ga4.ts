import type { LongRow } from '../types';
import { SourceError } from './errors';
import { exchange, retryAfterMs, withRetries, type HttpPolicy } from './http';
import type { googleAccessTokens } from './oauth';
import type { DateRange } from './types';

export interface Ga4Settings {
  /** e.g. https://analyticsdata.googleapis.com/v1beta */
  baseUrl: string;
  /** The GA4 property, digits only. */
  propertyId: string;
  /** Rows per page (the API allows up to 250,000). */
  pageSize: number;
}

interface Ga4Report {
  rows?: Array<{
    dimensionValues?: Array<{ value?: string }>;
    metricValues?: Array<{ value?: string }>;
  }>;
  rowCount?: number;
}

/**
 * GA4 Data API runReport by date and session default channel group: sessions, key events and
 * revenue, every value a string and dates YYYYMMDD; offset paging up to rowCount. GA4 knows no
 * cost, so its channel groups have no spend (ingestion makes them organic: their sessions).
 */
export function ga4Connector(
  settings: Ga4Settings,
  tokens: ReturnType<typeof googleAccessTokens>,
  policy: HttpPolicy,
) {
  const url = `${settings.baseUrl.replace(/\/$/, '')}/properties/${settings.propertyId}:runReport`;

  async function page(range: DateRange, offset: number): Promise<Ga4Report> {
    let refreshed = false;
    return withRetries<Ga4Report>(policy, async () => {
      const answer = await exchange(
        url,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await tokens.current()}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            dateRanges: [{ startDate: range.start, endDate: range.end }],
            dimensions: [{ name: 'date' }, { name: 'sessionDefaultChannelGroup' }],
            metrics: [{ name: 'sessions' }, { name: 'keyEvents' }, { name: 'totalRevenue' }],
            limit: String(settings.pageSize),
            offset: String(offset),
          }),
        },
        policy,
      );
      if (answer.status === 200) return { value: (answer.body ?? {}) as Ga4Report };
      const error = (answer.body as { error?: { message?: string; status?: string } } | null)
        ?.error;
      const text = `${error?.status ?? `HTTP ${answer.status}`}: ${error?.message ?? answer.text.slice(0, 200)}`;
      if (answer.status === 401 && !refreshed) {
        refreshed = true;
        await tokens.refresh();
        return { retryInMs: 0, reason: new SourceError('SOURCE_AUTH_FAILED', text) };
      }
      if (answer.status === 401 || answer.status === 403) {
        throw new SourceError(
          'SOURCE_AUTH_FAILED',
          `GA4 refused access to property ${settings.propertyId}: ${text}`,
        );
      }
      if (answer.status === 429 || error?.status === 'RESOURCE_EXHAUSTED') {
        return {
          retryInMs: retryAfterMs(answer.headers),
          reason: new SourceError('SOURCE_THROTTLED', `GA4 quota exhausted: ${text}`),
        };
      }
      if (answer.status >= 500) {
        return {
          retryInMs: null,
          reason: new SourceError('SOURCE_UNREACHABLE', `GA4 failed: ${text}`),
        };
      }
      throw new SourceError('SOURCE_REJECTED', `GA4 rejected the report: ${text}`);
    });
  }

  async function pull(range: DateRange): Promise<LongRow[]> {
    const rows: LongRow[] = [];
    for (let offset = 0; ; ) {
      const report = await page(range, offset);
      const got = report.rows ?? [];
      for (const row of got) {
        const [day, group] = (row.dimensionValues ?? []).map((v) => v.value ?? '');
        const [sessions, keyEvents, revenue] = (row.metricValues ?? []).map((v) =>
          Number(v.value ?? 0),
        );
        rows.push({
          date: /^\d{8}$/.test(day)
            ? `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`
            : day,
          channel: group,
          impressions: sessions,
          conversions: keyEvents,
          revenue,
        });
      }
      offset += got.length;
      if (got.length === 0 || offset >= (report.rowCount ?? 0)) break;
    }
    return rows;
  }

  return { pull };
}
